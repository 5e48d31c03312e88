/** Runs: the list (with side-by-side comparison), the form that starts a run, and one run's live curves. */
import { useEffect, useState } from 'preact/hooks';
import { api, type BatchRecord, type EpochRecord, fixed, pct, type RecipeFieldInfo, type RecipeSchema, type RunDetail, type RunRow, send } from '../api.ts';
import { Chart } from '../components/Chart.tsx';
import { Status } from '../components/Heat.tsx';
import { href } from '../router.ts';

const COLORS = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#be185d', '#65a30d'];

export function RunsPage() {
  const [runs, setRuns] = useState<RunRow[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [selected, setSelected] = useState<string[]>([]);

  const refresh = () =>
    api<{ runs: RunRow[] }>('/api/runs')
      .then((r) => setRuns(r.runs))
      .catch((e) => setError(e.message));
  useEffect(() => {
    refresh();
    const timer = setInterval(refresh, 3000);
    return () => clearInterval(timer);
  }, []);

  const toggle = (id: string) => setSelected((s) => (s.includes(id) ? s.filter((x) => x !== id) : [...s, id]));

  return (
    <section>
      <h1>Runs</h1>
      <NewRunForm />
      <Status error={error} loading={!runs} />
      {runs && runs.length === 0 && <p class="muted">No runs yet: start one above.</p>}
      {runs && runs.length > 0 && (
        <table class="runs" data-testid="runs-table">
          <thead>
            <tr>
              <th title="compare">⇄</th>
              <th>run</th>
              <th>status</th>
              <th>dataset</th>
              <th>model</th>
              <th>optimizer</th>
              <th>epochs</th>
              <th>train acc</th>
              <th>val acc</th>
              <th>best val</th>
              <th>img/s</th>
            </tr>
          </thead>
          <tbody>
            {runs.map((r) => (
              <tr key={r.id}>
                <td>
                  <input type="checkbox" checked={selected.includes(r.id)} onChange={() => toggle(r.id)} aria-label={`compare ${r.id}`} />
                </td>
                <td>
                  <a href={href('runs', r.id)}>{r.id}</a>
                </td>
                <td>
                  <span class={`badge ${r.status}`}>{r.status}</span>
                </td>
                <td>
                  {String(r.recipe.dataset ?? '–')
                    .split('/')
                    .pop()}
                </td>
                <td>{String(r.recipe.model ?? '–')}</td>
                <td>
                  {String(r.recipe.optimizer ?? '–')} {String(r.recipe.lr ?? '')}
                </td>
                <td>
                  {r.epochsDone}/{String(r.recipe.epochs ?? '–')}
                </td>
                <td>{pct(r.last?.trainAccuracy)}</td>
                <td>{pct(r.last?.valAccuracy)}</td>
                <td>{pct(r.bestValAccuracy)}</td>
                <td>{r.last ? Math.round(r.last.imagesPerSec) : '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {selected.length > 0 && <Compare ids={selected} />}
    </section>
  );
}

/** Validation accuracy and loss per epoch of several runs on one chart. */
function Compare({ ids }: { ids: string[] }) {
  const [details, setDetails] = useState<RunDetail[]>([]);
  useEffect(() => {
    Promise.all(ids.map((id) => api<RunDetail>(`/api/runs/${encodeURIComponent(id)}`))).then(setDetails, () => setDetails([]));
  }, [ids.join()]);
  const n = Math.max(0, ...details.map((d) => d.epochs.length));
  const x = Array.from({ length: n }, (_, i) => i + 1);
  const line = (key: keyof EpochRecord) =>
    details.map((d, i) => ({ label: d.id, color: COLORS[i % COLORS.length], points: true, values: x.map((_, e) => (d.epochs[e]?.[key] as number) ?? null) }));
  return (
    <div class="grid2" data-testid="compare">
      <Chart title="validation accuracy" x={x} xLabel="epoch" lines={line('valAccuracy')} />
      <Chart title="validation loss" x={x} xLabel="epoch" lines={line('valLoss')} />
    </div>
  );
}

/** The fields the form shows, in order, with their labels; ranges, choices and defaults come from GET /api/recipe-schema. */
const FORM_FIELDS: { name: string; label: string; title?: string }[] = [
  { name: 'model', label: 'model' },
  { name: 'epochs', label: 'epochs' },
  { name: 'batchSize', label: 'batch size' },
  { name: 'lr', label: 'learning rate', title: "0 = the optimizer's default" },
  { name: 'optimizer', label: 'optimizer' },
  { name: 'augment', label: 'augmentation' },
  { name: 'limit', label: 'image limit', title: 'train on the first N images only (0 = all)' },
  { name: 'classes', label: 'classes', title: "only these classes, e.g. 5,6,7,8,9 or 0-4 or Sandal,Bag ('' = all)" },
  { name: 'perClass', label: 'images per class', title: 'train on the first N images of every class (0 = all)' },
];

/** A dashboard run is a quick one unless the user asks for more: these start values replace the recipe defaults. */
const QUICK_RUN: Record<string, string | number> = { epochs: 3, limit: 2000 };

function NewRunForm() {
  const [datasets, setDatasets] = useState<{ name: string; kind: string }[]>([]);
  const [schema, setSchema] = useState<RecipeSchema | null>(null);
  const [form, setForm] = useState<Record<string, string | number>>({ dataset: 'shapes' });
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  useEffect(() => {
    api<{ datasets: { name: string; kind: string }[] }>('/api/datasets').then((d) => setDatasets(d.datasets.filter((x) => x.kind !== 'unlabelled')));
    api<RecipeSchema>('/api/recipe-schema')
      .then((s) => {
        setSchema(s);
        const start: Record<string, string | number> = {};
        for (const f of s.fields) if (FORM_FIELDS.some((x) => x.name === f.name)) start[f.name] = QUICK_RUN[f.name] ?? f.default;
        setForm((current) => ({ ...start, ...current }));
      })
      .catch((e) => setError(e.message));
  }, []);
  const set = (field: RecipeFieldInfo | { name: string; type: 'string' }) => (e: Event) => {
    const v = (e.target as HTMLInputElement).value;
    setForm({ ...form, [field.name]: field.type === 'string' ? v : Number(v) });
  };
  const submit = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const r = await send<{ id: string }>('/api/runs', form);
      location.hash = href('runs', r.id);
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const fields = FORM_FIELDS.map((f) => ({ ...f, field: schema?.fields.find((x) => x.name === f.name) })).filter((f) => f.field);
  return (
    <form class="new-run" onSubmit={submit} data-testid="new-run">
      <label>
        dataset
        <select name="dataset" value={form.dataset} onChange={set({ name: 'dataset', type: 'string' })}>
          {(datasets.length ? datasets : [{ name: 'shapes' }]).map((d) => (
            <option key={d.name}>{d.name}</option>
          ))}
        </select>
      </label>
      {fields.map(({ name, label, title, field }) => {
        const f = field as RecipeFieldInfo;
        return (
          <label key={name} title={title ?? f.help}>
            {label}
            {f.choices ? (
              <select name={name} value={form[name]} onChange={set(f)}>
                {f.choices.map((c) => (
                  <option key={c}>{c}</option>
                ))}
              </select>
            ) : f.type === 'string' ? (
              <input name={name} type="text" size={12} value={form[name]} onInput={set(f)} />
            ) : (
              <input name={name} type="number" step={f.type === 'integer' ? 1 : 'any'} min={f.min} max={f.max} value={form[name]} onInput={set(f)} />
            )}
          </label>
        );
      })}
      <button type="submit" disabled={busy || !schema}>
        {busy ? 'starting…' : 'Start run'}
      </button>
      {error && <p class="error">{error}</p>}
    </form>
  );
}

/** One run: live loss and accuracy (train vs validation, the gap shaded), learning rate, throughput; stop button. */
export function RunPage({ id }: { id: string }) {
  const [run, setRun] = useState<RunDetail | null>(null);
  const [error, setError] = useState<string | null>(null);

  useEffect(() => {
    setRun(null);
    const source = new EventSource(`/api/runs/${encodeURIComponent(id)}/events`);
    source.addEventListener('snapshot', (e) => setRun(JSON.parse((e as MessageEvent).data)));
    source.addEventListener('batch', (e) => {
      const b = JSON.parse((e as MessageEvent).data) as BatchRecord;
      setRun((r) => (r ? { ...r, batches: [...r.batches, b] } : r));
    });
    source.addEventListener('epoch', (e) => {
      const ep = JSON.parse((e as MessageEvent).data) as EpochRecord;
      setRun((r) => (r ? { ...r, epochs: [...r.epochs, ep], epochsDone: r.epochsDone + 1, last: ep } : r));
    });
    source.addEventListener('status', (e) => {
      const s = JSON.parse((e as MessageEvent).data) as { status: string; error?: string };
      setRun((r) => (r ? { ...r, status: s.status, error: s.error, live: s.status === 'running' || s.status === 'stopping' } : r));
    });
    source.onerror = () => {
      if (source.readyState === EventSource.CLOSED) setError('lost the connection to the dashboard server');
    };
    return () => source.close();
  }, [id]);

  if (!run) return <Status error={error} loading />;
  const stop = () => send(`/api/runs/${encodeURIComponent(id)}/stop`, {}).catch((e) => setError(e.message));
  const lastBatch = run.batches[run.batches.length - 1];
  const perEpoch = lastBatch?.batchesPerEpoch ?? 1;
  const epochStep = (e: EpochRecord) => (e.epoch + 1) * perEpoch;
  // One x axis for all: the batch steps, plus each epoch's end.
  const steps = [...new Set([...run.batches.map((b) => b.globalStep), ...run.epochs.map(epochStep)])].sort((a, b) => a - b);
  const at = <T,>(records: T[], step: (r: T) => number, value: (r: T) => number | undefined) => {
    const byStep = new Map(records.map((r) => [step(r), value(r)]));
    return steps.map((s) => byStep.get(s) ?? null);
  };
  const batchAt = (value: (b: BatchRecord) => number | undefined) => at(run.batches, (b) => b.globalStep, value);
  const epochAt = (value: (e: EpochRecord) => number | undefined) => at(run.epochs, epochStep, value);
  const last = run.epochs[run.epochs.length - 1];
  const gap = last && last.valAccuracy !== undefined && last.trainAccuracy !== undefined ? last.trainAccuracy - last.valAccuracy : null;

  return (
    <section>
      <h1>
        Run {run.id} <span class={`badge ${run.status}`}>{run.status}</span>
      </h1>
      <p class="muted">
        {String(run.recipe.model)} on {String(run.recipe.dataset).split('/').pop()} · {String(run.recipe.optimizer)} lr {String(run.recipe.lr)} · batch{' '}
        {String(run.recipe.batchSize)} · augment {String(run.recipe.augment)} · images{' '}
        {Number(run.recipe.imageSize) > 0 ? `resized to ${String(run.recipe.imageSize)}px` : 'at their own size'} ·{' '}
        <a href={href('eval', run.id)}>evaluation</a> · <a href={href('model', run.id)}>inside the model</a>
      </p>
      {run.live && (
        <button type="button" class="danger" onClick={stop} disabled={run.status === 'stopping'} data-testid="stop-run">
          {run.status === 'stopping' ? 'stopping…' : 'Stop run'}
        </button>
      )}
      {run.error && <p class="error">{run.error}</p>}
      {error && <p class="error">{error}</p>}
      <div class="stats" data-testid="run-stats">
        <Stat label="epoch" value={`${run.epochs.length}/${String(run.recipe.epochs)}`} />
        <Stat label="step" value={lastBatch ? String(lastBatch.globalStep) : '–'} />
        <Stat label="learning rate" value={lastBatch ? lastBatch.lr.toPrecision(3) : last ? last.lr.toPrecision(3) : '–'} />
        <Stat label="images/s" value={lastBatch ? String(Math.round(lastBatch.imagesPerSec)) : last ? String(Math.round(last.imagesPerSec)) : '–'} />
        <Stat label="step time" value={lastBatch ? `${lastBatch.stepMs.toFixed(1)} ms` : last ? `${last.stepMs.toFixed(1)} ms` : '–'} />
        <Stat label="val accuracy" value={pct(last?.valAccuracy)} />
        <Stat label="train − val gap" value={gap === null ? '–' : `${(gap * 100).toFixed(1)} pts`} warn={gap !== null && gap > 0.05} />
      </div>
      {run.epochs.some((e) => e.overfitting) && (
        <p class="warning" data-testid="overfitting">
          ⚠ {run.epochs.filter((e) => e.overfitting).slice(-1)[0].overfitting}
        </p>
      )}
      <div class="grid2">
        <Chart
          testId="loss-chart"
          title="loss"
          x={steps}
          lines={[
            { label: 'batch loss', color: '#93c5fd', values: batchAt((b) => b.loss), width: 1 },
            { label: 'train loss (epoch)', color: '#2563eb', values: epochAt((e) => e.trainLoss), points: true, width: 2 },
            { label: 'validation loss', color: '#dc2626', values: epochAt((e) => e.valLoss), points: true, width: 2 },
          ]}
        />
        <Chart
          testId="accuracy-chart"
          title="accuracy — the shaded band is the train/validation gap"
          x={steps}
          lines={[
            { label: 'train accuracy', color: '#2563eb', values: epochAt((e) => e.trainAccuracy), points: true, width: 2 },
            { label: 'validation accuracy', color: '#dc2626', values: epochAt((e) => e.valAccuracy), points: true, width: 2 },
            { label: 'running train acc', color: '#93c5fd', values: batchAt((b) => b.epochAccuracy), width: 1 },
          ]}
          band={{ between: [0, 1], color: 'rgba(220, 38, 38, 0.15)' }}
        />
        <Chart title="learning rate" x={steps} lines={[{ label: 'lr', color: '#9333ea', values: batchAt((b) => b.lr) }]} height={160} />
        <Chart
          title="throughput"
          x={steps}
          lines={[
            { label: 'images/s', color: '#16a34a', values: batchAt((b) => b.imagesPerSec) },
            { label: 'step ms', color: '#ea580c', values: batchAt((b) => b.stepMs) },
          ]}
          height={160}
        />
      </div>
      <table class="epochs">
        <thead>
          <tr>
            <th>epoch</th>
            <th>train loss</th>
            <th>val loss</th>
            <th>train acc</th>
            <th>val acc</th>
            <th>gap</th>
            <th>img/s</th>
          </tr>
        </thead>
        <tbody>
          {run.epochs.map((e) => {
            const g = e.valAccuracy === undefined || e.trainAccuracy === undefined ? null : e.trainAccuracy - e.valAccuracy;
            return (
              <tr key={e.epoch} class={e.overfitting ? 'overfit' : ''}>
                <td>{e.epoch + 1}</td>
                <td>{fixed(e.trainLoss)}</td>
                <td>{fixed(e.valLoss)}</td>
                <td>{pct(e.trainAccuracy)}</td>
                <td>{pct(e.valAccuracy)}</td>
                <td>{g === null ? '–' : `${(g * 100).toFixed(1)}`}</td>
                <td>{Math.round(e.imagesPerSec)}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </section>
  );
}

function Stat({ label, value, warn }: { label: string; value: string; warn?: boolean }) {
  return (
    <div class={`stat${warn ? ' warn' : ''}`}>
      <div class="stat-value">{value}</div>
      <div class="stat-label">{label}</div>
    </div>
  );
}
