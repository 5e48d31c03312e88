/**
 * Reinforcement learning: the runs `simmer rl` wrote or this page started, each one's episode-reward curve and greedy
 * evaluations followed live while it trains (server-sent events over its metrics log), and a replay of one greedy
 * episode of its current policy (the checkpoint of its latest evaluation, replayed afresh at each new one) played as
 * an animation from a sprite sheet of rendered frames.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, send } from '../api.ts';
import type { RlDetail, RlEvaluation, RlIteration, RlReplay, RlRun } from '../../../src/server/api-types.ts';
import { Chart } from '../components/Chart.tsx';
import { Status } from '../components/Heat.tsx';
import { href } from '../router.ts';
import '../components/pages.css';

const enc = encodeURIComponent;

export function RlPage({ id }: { id?: string }) {
  const [runs, setRuns] = useState<RlRun[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const load = () =>
      api<{ runs: RlRun[] }>('/api/rl/runs')
        .then((r) => {
          setRuns(r.runs);
          if (!id && r.runs[0]) location.replace(href('rl', r.runs[0].id));
        })
        .catch((e) => setError(e.message));
    load();
    const timer = setInterval(load, 5000);
    return () => clearInterval(timer);
  }, [id]);
  return (
    <section>
      <h1>Reinforcement learning</h1>
      <Status error={error} loading={!runs} />
      <StartRl />
      {runs && runs.length === 0 && (
        <p class="muted">
          No RL run yet. Start one above, or from a terminal: <code>simmer rl cartpole --algo ppo --seed 1</code> (it appears here and updates live).
        </p>
      )}
      {runs && runs.length > 0 && (
        <table class="runs" data-testid="rl-runs">
          <thead>
            <tr>
              <th>run</th>
              <th>status</th>
              <th>env</th>
              <th>algo</th>
              <th>seed</th>
              <th>steps</th>
              <th>episodes</th>
              <th>best greedy return</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id} class={r.id === id ? 'selected' : ''}>
                <td>
                  <a href={href('rl', r.id)}>{r.id}</a>
                </td>
                <td>
                  <span class={`badge ${r.status}`}>{r.status}</span>
                  {r.solved ? ' ✓ solved' : ''}
                </td>
                <td>{r.env}</td>
                <td>{r.algo}</td>
                <td>{r.seed}</td>
                <td>{r.envSteps.toLocaleString('en-US')}</td>
                <td>{r.episodes}</td>
                <td>{r.bestMeanReturn === null ? '–' : r.bestMeanReturn.toFixed(1)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {id && <RlRunView key={id} id={id} />}
    </section>
  );
}

const ENVS = ['cartpole', 'gridworld', 'pixel-gridworld'] as const;
const ALGOS = ['ppo', 'dqn', 'reinforce'] as const;

/** Starts an agent training in a worker process of the server; the page then follows it like a CLI run. */
function StartRl() {
  const [env, setEnv] = useState<string>('cartpole');
  const [algo, setAlgo] = useState<string>('ppo');
  const [seed, setSeed] = useState(1);
  const [steps, setSteps] = useState(0);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const start = () => {
    setBusy(true);
    setError(null);
    send<{ id: string }>('/api/rl/runs', { env, algo, seed, ...(steps > 0 ? (algo === 'reinforce' ? { episodes: steps } : { steps }) : {}) })
      .then((r) => location.assign(href('rl', r.id)))
      .catch((e) => setError(e.message))
      .finally(() => setBusy(false));
  };
  return (
    <div class="form-row" data-testid="rl-start">
      <Choice label="environment" value={env} choices={ENVS} onChange={setEnv} />
      <Choice label="algorithm" value={algo} choices={ALGOS} onChange={setAlgo} />
      <label>
        seed
        <input type="number" min={0} value={seed} onInput={(e) => setSeed(Number((e.target as HTMLInputElement).value))} />
      </label>
      <label title="0: the algorithm's default (PPO 100k steps, DQN 50k steps, REINFORCE 1000 episodes)">
        {algo === 'reinforce' ? 'episodes' : 'steps'} (0 = default)
        <input type="number" min={0} value={steps} onInput={(e) => setSteps(Number((e.target as HTMLInputElement).value))} />
      </label>
      <button type="button" class="primary" onClick={start} disabled={busy}>
        {busy ? 'starting…' : 'Train'}
      </button>
      {error && <span class="error">{error}</span>}
    </div>
  );
}

function Choice({ label, value, choices, onChange }: { label: string; value: string; choices: readonly string[]; onChange: (v: string) => void }) {
  return (
    <label>
      {label}
      <select value={value} onChange={(e) => onChange((e.target as HTMLSelectElement).value)}>
        {choices.map((n) => (
          <option key={n}>{n}</option>
        ))}
      </select>
    </label>
  );
}

function RlRunView({ id }: { id: string }) {
  const [run, setRun] = useState<RlDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    const source = new EventSource(`/api/rl/${enc(id)}/events`);
    source.addEventListener('snapshot', (e) => setRun(JSON.parse((e as MessageEvent).data)));
    source.addEventListener('records', (e) => {
      const fresh = JSON.parse((e as MessageEvent).data) as { iterations: RlIteration[]; evaluations: RlEvaluation[] };
      setRun((r) => {
        if (!r) return r;
        const last = fresh.iterations[fresh.iterations.length - 1];
        return {
          ...r,
          iterations: [...r.iterations, ...fresh.iterations],
          evaluations: [...r.evaluations, ...fresh.evaluations],
          envSteps: last?.envSteps ?? r.envSteps,
          episodes: last?.episodes ?? r.episodes,
        };
      });
    });
    source.addEventListener('status', (e) => {
      const row = JSON.parse((e as MessageEvent).data) as RlRun;
      setRun((r) => (r ? { ...r, ...row } : r));
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setError('lost the connection to the dashboard server');
    };
    return () => source.close();
  }, [id]);
  if (!run) return <Status error={error} loading />;
  // One x axis (environment steps) for the training curve and the evaluations.
  const steps = [...new Set([...run.iterations.map((i) => i.envSteps), ...run.evaluations.map((e) => e.envSteps)])].sort((a, b) => a - b);
  const at = <T,>(records: T[], key: (r: T) => number, value: (r: T) => number | null) => {
    const m = new Map(records.map((r) => [key(r), value(r)]));
    return steps.map((s) => m.get(s) ?? null);
  };
  const threshold = run.solvedThreshold;
  const last = run.iterations[run.iterations.length - 1];
  return (
    <>
      <h2>
        {run.algo.toUpperCase()} on {run.env}, seed {run.seed} <span class={`badge ${run.status}`}>{run.status}</span>{' '}
        {run.status === 'running' && (
          <button type="button" onClick={() => send(`/api/rl/${enc(id)}/stop`, {}).catch((e) => setError(e.message))}>
            Stop
          </button>
        )}
      </h2>
      {error && <p class="error">{error}</p>}
      <div class="stats" data-testid="rl-stats">
        <Stat label="environment steps" value={run.envSteps.toLocaleString('en-US')} />
        <Stat label="episodes" value={String(run.episodes)} />
        <Stat label="episode reward (last 20)" value={last?.episodeReward === null || !last ? '–' : last.episodeReward.toFixed(1)} />
        <Stat label="best greedy return" value={run.evaluations.length ? Math.max(...run.evaluations.map((e) => e.meanReturn)).toFixed(1) : '–'} />
        <Stat label="steps/s" value={last ? String(Math.round(last.stepsPerSec)) : '–'} />
      </div>
      <div class="grid2">
        <Chart
          testId="reward-chart"
          title={`episode reward${threshold !== undefined ? ` (solved at a greedy mean of ${threshold})` : ''}`}
          x={steps}
          xLabel="environment steps"
          lines={[
            {
              label: 'episode reward, mean of the last 20',
              color: '#2563eb',
              values: at(
                run.iterations,
                (i) => i.envSteps,
                (i) => i.episodeReward,
              ),
              width: 1.5,
            },
            {
              label: 'greedy evaluation (mean return)',
              color: '#dc2626',
              values: at(
                run.evaluations,
                (e) => e.envSteps,
                (e) => e.meanReturn,
              ),
              points: true,
              width: 2,
            },
            ...(threshold !== undefined ? [{ label: 'solved', color: '#16a34a', values: steps.map(() => threshold), dash: [6, 4], width: 1 }] : []),
          ]}
        />
        <Replay id={id} evaluations={run.evaluations.length} />
      </div>
    </>
  );
}

/**
 * One greedy episode of the current policy, played from a sprite sheet on a canvas (play / pause, a frame slider).
 * A new evaluation writes a new checkpoint, so the episode is fetched again each time their count changes.
 */
function Replay({ id, evaluations }: { id: string; evaluations: number }) {
  const [replay, setReplay] = useState<RlReplay | null>(null);
  const [seed, setSeed] = useState(1_000_000);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [frame, setFrame] = useState(0);
  const [playing, setPlaying] = useState(true);
  const canvas = useRef<HTMLCanvasElement>(null);
  const sheet = useRef<HTMLImageElement | null>(null);
  const [loaded, setLoaded] = useState(false);

  const load = () => {
    setBusy(true);
    setError(null);
    send<RlReplay>(`/api/rl/${enc(id)}/replay`, { seed })
      .then((r) => {
        setLoaded(false);
        const img = new Image();
        img.onload = () => {
          sheet.current = img;
          setFrame(0);
          setLoaded(true);
        };
        img.src = r.sprite.url;
        setReplay(r);
      })
      .catch((e) => setError(e.message))
      .finally(() => setBusy(false));
  };
  useEffect(load, [id, evaluations]);

  useEffect(() => {
    if (!replay || !loaded || !playing) return;
    const timer = setInterval(() => setFrame((f) => (f + 1) % replay.frames), 1000 / 25);
    return () => clearInterval(timer);
  }, [replay, loaded, playing]);

  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!replay || !loaded || !ctx || !sheet.current) return;
    const { perRow, gap, width, height } = replay.sprite;
    const sx = gap + (frame % perRow) * (width + gap);
    const sy = gap + Math.floor(frame / perRow) * (height + gap);
    ctx.imageSmoothingEnabled = false;
    ctx.drawImage(sheet.current, sx, sy, width, height, 0, 0, ctx.canvas.width, ctx.canvas.height);
  }, [frame, replay, loaded]);

  const scale = replay ? Math.max(1, Math.floor(360 / replay.sprite.width)) : 1;
  return (
    <div class="panel replay" data-testid="replay" data-frames={replay?.frames ?? 0} data-frame={frame} data-loaded={loaded ? 'yes' : 'no'}>
      <h3>Replay: one greedy episode of the current policy</h3>
      <div class="form-row">
        <label>
          episode seed
          <input type="number" min={0} value={seed} onInput={(e) => setSeed(Number((e.target as HTMLInputElement).value))} />
        </label>
        <button type="button" class="primary" onClick={load} disabled={busy}>
          {busy ? 'playing…' : 'New episode'}
        </button>
        <button type="button" onClick={() => setPlaying(!playing)} disabled={!loaded} data-testid="play-pause">
          {playing ? 'Pause' : 'Play'}
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      {replay && (
        <>
          <canvas ref={canvas} width={replay.sprite.width * scale} height={replay.sprite.height * scale} />
          <div>
            <input
              type="range"
              min={0}
              max={replay.frames - 1}
              value={frame}
              onInput={(e) => {
                setPlaying(false);
                setFrame(Number((e.target as HTMLInputElement).value));
              }}
              style={{ width: `${replay.sprite.width * scale}px` }}
            />
          </div>
          <p class="muted">
            return {replay.return.toFixed(1)} over {replay.length} steps · frame {frame + 1}/{replay.frames}
            {replay.frames < replay.length + 1 ? ` (every ${((replay.length + 1) / replay.frames).toFixed(1)}th state)` : ''} · {replay.checkpoint}
          </p>
        </>
      )}
    </div>
  );
}

function Stat({ label, value }: { label: string; value: string }) {
  return (
    <div class="stat">
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}
