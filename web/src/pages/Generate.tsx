/**
 * Generate: pick a generative run, a class, a seed (and steps / sampler / η / guidance where the model has them) and
 * watch the samples appear step by step — a sequential sampler's x̂_0 trajectory as a filmstrip, streamed; a VAE or
 * GAN in one frame. A text-to-image run takes a prompt (and a negative prompt) instead of a class, and shows which
 * pixels each word of the prompt attended to (its cross-attention maps over the first image). Below: the run's per-epoch sample grids and curves (the GAN's D and G losses, the VAE's
 * reconstruction and KL), and for a VAE a 2-D latent map and an interpolation strip.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { api, type EpochRecord, fixed, send } from '../api.ts';
import type { GenerativeRun, GenerativeRunDetail, SampleDone, SampleStep } from '../../../src/server/api-types.ts';
import { Chart } from '../components/Chart.tsx';
import { Status } from '../components/Heat.tsx';
import { postEvents } from '../components/stream.ts';
import { href } from '../router.ts';
import '../components/pages.css';

const enc = encodeURIComponent;
const METRIC_COLORS = ['#dc2626', '#2563eb', '#16a34a', '#9333ea'];

export function GeneratePage({ id }: { id?: string }) {
  const [runs, setRuns] = useState<GenerativeRun[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ runs: GenerativeRun[] }>('/api/generate/runs')
      .then((r) => {
        setRuns(r.runs);
        const first = r.runs.find((x) => x.ready) ?? r.runs[0];
        if (!id && first) location.replace(href('generate', first.id));
      })
      .catch((e) => setError(e.message));
  }, [id]);
  return (
    <section>
      <h1>Generate</h1>
      <Status error={error} loading={!runs} />
      {runs && runs.length === 0 && (
        <p class="muted">
          No generative run yet. Train one, e.g. <code>simmer train fashion-mnist --model vae-cond --epochs 10</code>, or pick model vae / dcgan on the Runs
          page.
        </p>
      )}
      {runs && runs.length > 0 && (
        <div class="form-row">
          <label>
            run
            <select data-testid="gen-run" value={id} onChange={(e) => (location.hash = href('generate', (e.target as HTMLSelectElement).value))}>
              {runs.map((r) => (
                <option key={r.id} value={r.id} disabled={!r.ready}>
                  {r.id} · {r.model} · {r.status}
                  {r.ready ? '' : ' (no checkpoint yet)'}
                </option>
              ))}
            </select>
          </label>
        </div>
      )}
      {id && <GenerativeRunView key={id} id={id} />}
    </section>
  );
}

function GenerativeRunView({ id }: { id: string }) {
  const [detail, setDetail] = useState<GenerativeRunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    let timer: ReturnType<typeof setTimeout> | undefined;
    let alive = true;
    const load = () =>
      api<GenerativeRunDetail>(`/api/generate/${enc(id)}`)
        .then((d) => {
          if (!alive) return;
          setDetail(d);
          // While it trains, new epochs (grids, curves) and the first checkpoint arrive: look again.
          if (d.run.status === 'running' || d.run.status === 'stopping') timer = setTimeout(load, 3000);
        })
        .catch((e) => alive && setError(e.message));
    load();
    return () => {
      alive = false;
      clearTimeout(timer);
    };
  }, [id]);
  if (!detail) return <Status error={error} loading />;
  const info = detail.info;
  return (
    <>
      <p class="muted">
        {String(detail.run.recipe.model)} on{' '}
        {String(detail.run.recipe.dataset ?? '')
          .split('/')
          .pop()}{' '}
        · {detail.run.epochsDone}/{String(detail.run.recipe.epochs)} epochs · <span class={`badge ${detail.run.status}`}>{detail.run.status}</span> ·{' '}
        <a href={href('runs', id)}>run page</a>
      </p>
      {info ? <Sampler id={id} info={info} /> : <p class="muted">No checkpoint yet: sampling opens after the first epoch.</p>}
      <Training detail={detail} id={id} />
      {info?.hasLatent && <LatentViews id={id} info={info} />}
    </>
  );
}

type Info = NonNullable<GenerativeRunDetail['info']>;

function Sampler({ id, info }: { id: string; info: Info }) {
  const [cls, setCls] = useState<number | null>(info.conditional ? 0 : null);
  const [n, setN] = useState(8);
  const [seed, setSeed] = useState(1);
  const [steps, setSteps] = useState(info.defaults.steps ?? 25);
  const [sampler, setSampler] = useState<'ddim' | 'ddpm'>('ddim');
  const [eta, setEta] = useState(0);
  const [guidance, setGuidance] = useState(info.defaults.guidance ?? 2);
  const [temperature, setTemperature] = useState(info.defaults.temperature ?? 1);
  const [topK, setTopK] = useState(info.defaults.topK ?? 0);
  const [prompt, setPrompt] = useState(info.dataset === 'shapes' ? 'a red circle above a blue square' : '');
  const [negative, setNegative] = useState('');
  const [progress, setProgress] = useState<{ step: number; total: number } | null>(null);
  const [frames, setFrames] = useState<{ step: number; url: string; noisy?: string }[]>([]);
  const [done, setDone] = useState<SampleDone | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const abort = useRef<AbortController | null>(null);
  useEffect(() => () => abort.current?.abort(), []);

  const has = (c: string) => info.controls.includes(c as Info['controls'][number]);
  const run = async () => {
    abort.current?.abort();
    const controller = new AbortController();
    abort.current = controller;
    setBusy(true);
    setError(null);
    setFrames([]);
    setDone(null);
    setProgress(null);
    const body: Record<string, unknown> = { n, seed, class: info.conditional ? cls : null };
    if (has('steps')) body.steps = steps;
    if (has('sampler')) body.sampler = sampler;
    if (has('eta')) body.eta = eta;
    if (has('guidance')) body.guidance = guidance;
    if (has('temperature')) body.temperature = temperature;
    if (has('topK')) body.topK = topK;
    if (info.prompted) {
      body.prompt = prompt;
      if (negative.trim()) body.negative = negative;
    }
    try {
      await postEvents(
        `/api/generate/${enc(id)}/sample`,
        body,
        (event, data) => {
          if (event === 'step') {
            const s = data as SampleStep;
            setProgress({ step: s.step, total: s.total });
            const url = s.frame;
            if (url) setFrames((f) => [...f, { step: s.step, url, noisy: s.noisy }]);
          } else if (event === 'done') setDone(data as SampleDone);
          else if (event === 'error') setError((data as { error: string }).error);
        },
        controller.signal,
      );
    } catch (e) {
      if ((e as Error).name !== 'AbortError') setError((e as Error).message);
    } finally {
      if (abort.current === controller) setBusy(false);
    }
  };
  const latest = frames[frames.length - 1];
  return (
    <div class="panel" data-testid="sampler">
      <h2>Sample</h2>
      {info.prompted && (
        <div class="form-row">
          <label style={{ flex: '1 1 24rem' }}>
            prompt
            <input
              name="prompt"
              type="text"
              value={prompt}
              placeholder="empty: unconditional"
              style={{ width: '100%', boxSizing: 'border-box' }}
              onInput={(e) => setPrompt((e.target as HTMLInputElement).value)}
              onKeyDown={(e) => e.key === 'Enter' && !busy && run()}
            />
          </label>
          <label style={{ flex: '1 1 14rem' }} title="guidance steers away from this prompt (it replaces the empty prompt)">
            negative prompt
            <input
              name="negative"
              type="text"
              value={negative}
              style={{ width: '100%', boxSizing: 'border-box' }}
              onInput={(e) => setNegative((e.target as HTMLInputElement).value)}
            />
          </label>
        </div>
      )}
      <div class="form-row">
        {info.conditional && (
          <label>
            class
            <select
              name="class"
              value={cls === null ? '' : String(cls)}
              onChange={(e) => setCls((e.target as HTMLSelectElement).value === '' ? null : Number((e.target as HTMLSelectElement).value))}
            >
              <option value="">every class in turn</option>
              {info.classes.map((c, i) => (
                <option key={c} value={i}>
                  {i} {c}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          images
          <input name="n" type="number" min={1} max={64} value={n} onInput={(e) => setN(Number((e.target as HTMLInputElement).value))} />
        </label>
        <label>
          seed
          <input name="seed" type="number" min={0} value={seed} onInput={(e) => setSeed(Number((e.target as HTMLInputElement).value))} />
        </label>
        {has('steps') && (
          <label title={`1–${info.defaults.maxSteps ?? 1000}`}>
            steps
            <input
              name="steps"
              type="number"
              min={1}
              max={info.defaults.maxSteps}
              value={steps}
              onInput={(e) => setSteps(Number((e.target as HTMLInputElement).value))}
            />
          </label>
        )}
        {has('sampler') && (
          <label>
            sampler
            <select name="sampler" value={sampler} onChange={(e) => setSampler((e.target as HTMLSelectElement).value as 'ddim' | 'ddpm')}>
              <option>ddim</option>
              <option>ddpm</option>
            </select>
          </label>
        )}
        {has('eta') && sampler === 'ddim' && (
          <label title="0: deterministic DDIM; 1: the DDPM posterior variance">
            η
            <input name="eta" type="number" min={0} max={1} step={0.1} value={eta} onInput={(e) => setEta(Number((e.target as HTMLInputElement).value))} />
          </label>
        )}
        {has('guidance') && (
          <label title="classifier-free guidance: 1 = conditional only, 0 = unconditional, > 1 pushes towards the class">
            guidance
            <input
              name="guidance"
              type="number"
              min={0}
              max={20}
              step={0.5}
              value={guidance}
              onInput={(e) => setGuidance(Number((e.target as HTMLInputElement).value))}
            />
          </label>
        )}
        {has('temperature') && (
          <label title="sampling temperature: below 1 sharper, above 1 more varied">
            temperature
            <input
              name="temperature"
              type="number"
              min={0}
              max={5}
              step={0.1}
              value={temperature}
              onInput={(e) => setTemperature(Number((e.target as HTMLInputElement).value))}
            />
          </label>
        )}
        {has('topK') && (
          <label title="sample among the k likeliest tokens (0 = all)">
            top-k
            <input name="topK" type="number" min={0} max={4096} value={topK} onInput={(e) => setTopK(Number((e.target as HTMLInputElement).value))} />
          </label>
        )}
        <button type="button" class="primary" onClick={run} disabled={busy} data-testid="generate">
          {busy ? 'sampling…' : 'Generate'}
        </button>
      </div>
      {error && <p class="error">{error}</p>}
      {progress && (
        <div data-testid="progress">
          <span class="muted">
            step {progress.step}/{progress.total}
            {done ? ` · ${done.seconds.toFixed(2)} s` : ''}
          </span>
          <div class="progress">
            <span style={{ width: `${(100 * progress.step) / progress.total}%` }} />
          </div>
        </div>
      )}
      {info.sequential && frames.length > 0 && (
        <>
          <h3>
            {info.family === 'ddpm' || info.family === 'text2img'
              ? 'the denoising trajectory, x_T (noise) → x_0: the sample x_t after each step (top) and its estimate x̂₀ (below)'
              : 'the image as the sampler fills it in, step by step'}
          </h3>
          {latest && <img class="px" data-testid="current-frame" src={latest.url} alt={`step ${latest.step}`} style={{ height: '120px' }} />}
          <div class="filmstrip" data-testid="filmstrip">
            {frames.map((f) => (
              <figure key={f.step} data-testid="frame">
                {f.noisy && <img class="px" data-testid="frame-xt" src={f.noisy} alt={`x_t after step ${f.step}`} />}
                <img class="px" data-testid="frame-x0" src={f.url} alt={`x̂₀ after step ${f.step}`} />
                <figcaption>{f.step}</figcaption>
              </figure>
            ))}
          </div>
        </>
      )}
      {done && (
        <>
          <h3>Samples</h3>
          <div class="samples-grid" data-testid="samples">
            {done.images.map((src, i) => (
              <figure key={i}>
                <img class="px" src={src} width={72} height={72} alt={`sample ${i}`} />
                <figcaption>{info.conditional ? info.classes[done.labels[i]] : `#${i}`}</figcaption>
              </figure>
            ))}
          </div>
        </>
      )}
      {done?.attention && <AttentionView maps={done.attention} />}
    </div>
  );
}

/** Which pixels each token of the prompt attended to in sample #0: one heat map per token, with its share of attention. */
function AttentionView({ maps }: { maps: NonNullable<SampleDone['attention']> }) {
  return (
    <>
      <h3>
        which words went where — cross-attention of sample #0, averaged over heads, layers and the {maps.steps} steps (each map stretched from its own minimum
        to its maximum; the share is the word's part of all attention)
      </h3>
      <div class="samples-grid" data-testid="attention">
        <figure>
          <img class="px" src={maps.image} width={96} height={96} alt="sample #0" />
          <figcaption>sample #0</figcaption>
        </figure>
        {maps.tokens.map((t, k) => (
          <figure key={k} data-testid="attention-map">
            <img class="px" src={t.map} width={96} height={96} alt={`attention of '${t.token}'`} />
            <figcaption>
              {t.token} · {(100 * t.share).toFixed(0)}%
            </figcaption>
          </figure>
        ))}
      </div>
    </>
  );
}

function Training({ detail, id }: { detail: GenerativeRunDetail; id: string }) {
  const { samples, run } = detail;
  const [picked, setPicked] = useState<number | null>(null);
  const index = Math.min(picked ?? samples.length - 1, samples.length - 1);
  const epochs = run.epochs as EpochRecord[];
  const keys = [...new Set(epochs.flatMap((e) => Object.keys(e.trainMetrics ?? {})))];
  // The GAN's two losses share a chart; other metrics (a VAE's reconstruction and KL) differ in scale, one chart each.
  const charts =
    keys.includes('dLoss') && keys.includes('gLoss')
      ? [['dLoss', 'gLoss'], ...keys.filter((k) => k !== 'dLoss' && k !== 'gLoss').map((k) => [k])]
      : keys.map((k) => [k]);
  // The every-10th batch log carries the running epoch averages between epoch ends; x is in epochs for both.
  const batches = run.batches as unknown as { globalStep: number; batchesPerEpoch: number; epochMetrics?: Record<string, number> }[];
  const perEpoch = batches[batches.length - 1]?.batchesPerEpoch ?? 1;
  const x = [...new Set([...batches.map((b) => b.globalStep / perEpoch), ...epochs.map((e) => e.epoch + 1)])].sort((a, b) => a - b);
  const at = <T,>(records: T[], key: (r: T) => number, value: (r: T) => number | null | undefined) => {
    const m = new Map(records.map((r) => [key(r), value(r) ?? null]));
    return x.map((v) => m.get(v) ?? null);
  };
  const names: Record<string, string> = { dLoss: 'discriminator loss', gLoss: 'generator loss', recon: 'reconstruction', kl: 'KL' };
  const lines = (group: string[]) =>
    group.flatMap((k, i) => [
      {
        label: `${names[k] ?? k} (running)`,
        color: i ? '#93c5fd' : '#fca5a5',
        width: 1,
        values: at(
          batches,
          (b) => b.globalStep / perEpoch,
          (b) => b.epochMetrics?.[k],
        ),
      },
      {
        label: `${names[k] ?? k} (epoch)`,
        color: METRIC_COLORS[i % 4],
        points: true,
        width: 2,
        values: at(
          epochs,
          (e) => e.epoch + 1,
          (e) => e.trainMetrics?.[k],
        ),
      },
    ]);
  return (
    <div class="panel" data-testid="training">
      <h2>Training</h2>
      {samples.length === 0 && <p class="muted">No sample grid yet: one is written at the end of every epoch.</p>}
      <div class="train-layout">
        {samples.length > 0 ? (
          <figure style={{ margin: 0 }}>
            <img
              class="px"
              data-testid="epoch-grid"
              src={`/api/generate/${enc(id)}/samples/${samples[index]}`}
              alt={samples[index]}
              style={{ width: '300px' }}
            />
            <figcaption class="muted">
              samples after epoch {index + 1} of {samples.length} (the same latents every epoch)
            </figcaption>
            {samples.length > 1 && (
              <input
                type="range"
                data-testid="epoch-slider"
                min={0}
                max={samples.length - 1}
                value={index}
                onInput={(e) => setPicked(Number((e.target as HTMLInputElement).value))}
                style={{ width: '300px' }}
              />
            )}
          </figure>
        ) : (
          <div />
        )}
        <div class="chart-col">
          {charts.map((group) => (
            <Chart
              key={group.join()}
              testId={`metric-${group.join('-')}`}
              title={group.map((k) => names[k] ?? k).join(' and ')}
              x={x}
              xLabel="epoch"
              height={170}
              lines={lines(group)}
            />
          ))}
          <Chart
            testId="loss-chart"
            title="loss"
            x={x}
            xLabel="epoch"
            height={150}
            lines={[
              {
                label: 'train loss',
                color: '#2563eb',
                points: true,
                values: at(
                  epochs,
                  (e) => e.epoch + 1,
                  (e) => e.trainLoss,
                ),
              },
              {
                label: 'validation loss',
                color: '#dc2626',
                points: true,
                values: at(
                  epochs,
                  (e) => e.epoch + 1,
                  (e) => e.valLoss,
                ),
              },
            ]}
          />
        </div>
      </div>
      {epochs.length > 0 && keys.length > 0 && (
        <p class="muted">
          epoch {epochs.length}: {keys.map((k) => `${names[k] ?? k} ${fixed(epochs[epochs.length - 1].trainMetrics?.[k])}`).join(' · ')}
        </p>
      )}
    </div>
  );
}

function LatentViews({ id, info }: { id: string; info: Info }) {
  const [dims, setDims] = useState<[number, number]>([0, 1]);
  const [cls, setCls] = useState(0);
  const [map, setMap] = useState<string | null>(null);
  const [a, setA] = useState(1);
  const [b, setB] = useState(2);
  const [strip, setStrip] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const label = info.conditional ? cls : null;
  const draw = () =>
    send<{ grid: string }>(`/api/generate/${enc(id)}/latent-map`, { dims, size: 15, class: label })
      .then((r) => setMap(r.grid))
      .catch((e) => setError(e.message));
  const walk = () =>
    send<{ strip: string }>(`/api/generate/${enc(id)}/interpolate`, { a, b, steps: 10, class: label })
      .then((r) => setStrip(r.strip))
      .catch((e) => setError(e.message));
  useEffect(() => {
    draw();
  }, [dims[0], dims[1], cls]);
  useEffect(() => {
    walk();
  }, [a, b, cls]);
  const dimOptions = Array.from({ length: info.latentDim }, (_, i) => i);
  return (
    <div class="panel" data-testid="latent">
      <h2>Latent space</h2>
      <div class="form-row">
        {info.conditional && (
          <label>
            class
            <select value={cls} onChange={(e) => setCls(Number((e.target as HTMLSelectElement).value))}>
              {info.classes.map((c, i) => (
                <option key={c} value={i}>
                  {c}
                </option>
              ))}
            </select>
          </label>
        )}
        <label>
          x: latent dim
          <select value={dims[0]} onChange={(e) => setDims([Number((e.target as HTMLSelectElement).value), dims[1]])}>
            {dimOptions.map((d) => (
              <option key={d} value={d} disabled={d === dims[1]}>
                z{d}
              </option>
            ))}
          </select>
        </label>
        <label>
          y: latent dim
          <select value={dims[1]} onChange={(e) => setDims([dims[0], Number((e.target as HTMLSelectElement).value)])}>
            {dimOptions.map((d) => (
              <option key={d} value={d} disabled={d === dims[0]}>
                z{d}
              </option>
            ))}
          </select>
        </label>
        <label>
          from seed
          <input type="number" min={0} value={a} onChange={(e) => setA(Number((e.target as HTMLInputElement).value))} />
        </label>
        <label>
          to seed
          <input type="number" min={0} value={b} onChange={(e) => setB(Number((e.target as HTMLInputElement).value))} />
        </label>
      </div>
      {error && <p class="error">{error}</p>}
      <figure style={{ margin: '0 0 12px' }}>
        {strip ? (
          <img class="px" data-testid="interpolation" src={strip} alt="interpolation" style={{ width: '100%', maxWidth: '700px' }} />
        ) : (
          <p class="muted">drawing…</p>
        )}
        <figcaption class="muted">
          interpolation: a straight line in latent space from the latent of seed {a} to that of seed {b}
        </figcaption>
      </figure>
      <figure style={{ margin: 0 }}>
        {map ? <img class="px" data-testid="latent-map" src={map} alt="latent map" style={{ width: '420px' }} /> : <p class="muted">drawing…</p>}
        <figcaption class="muted">
          latent map: decoded over z{dims[0]} (→) and z{dims[1]} (↑) from −2.5 to 2.5, the other {info.latentDim - 2} dimensions at 0
        </figcaption>
      </figure>
    </div>
  );
}
