/** Data: browse a dataset by class with its audit, preview augmentation, and label an unlabelled folder by keyboard. */
import { useEffect, useState } from 'preact/hooks';
import { api, send } from '../api.ts';
import { Pixels, Status } from '../components/Heat.tsx';
import { href } from '../router.ts';

interface DatasetEntry {
  name: string;
  kind: 'builtin' | 'labelled' | 'unlabelled';
  description: string;
}

export function DataPage({ name }: { name?: string }) {
  const [datasets, setDatasets] = useState<DatasetEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => {
    api<{ datasets: DatasetEntry[] }>('/api/datasets').then(
      (d) => setDatasets(d.datasets),
      (e) => setError(e.message),
    );
  }, []);
  const current = datasets?.find((d) => d.name === (name ?? 'shapes')) ?? datasets?.[0];
  return (
    <section>
      <h1>Data</h1>
      <Status error={error} loading={!datasets} />
      <nav class="tabs">
        {datasets?.map((d) => (
          <a key={d.name} href={href('data', d.name)} class={d === current ? 'active' : ''} title={d.description}>
            {d.name} {d.kind === 'unlabelled' && <span class="badge running">to label</span>}
          </a>
        ))}
      </nav>
      {current && current.kind !== 'unlabelled' && <Browse key={current.name} dataset={current} />}
      {current && current.kind === 'unlabelled' && <Labeller key={current.name} dataset={current.name} />}
    </section>
  );
}

interface ByClass {
  classes: string[];
  counts: number[];
  indices: number[][];
  length: number;
  shape: number[];
}

function Browse({ dataset }: { dataset: DatasetEntry }) {
  const [data, setData] = useState<ByClass | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [chosen, setChosen] = useState<number | null>(null);
  const base = `/api/datasets/${encodeURIComponent(dataset.name)}`;
  useEffect(() => {
    api<ByClass>(base).then(setData, (e) => setError(e.message));
  }, [dataset.name]);
  if (!data) return <Status error={error} loading />;
  return (
    <div>
      <p class="muted">
        {dataset.description} · {data.length} images of {data.shape.join('×')} · {data.classes.length} classes. Click an image to preview augmentation.
      </p>
      <div class="grid2">
        <div data-testid="browse">
          {data.classes.map((c, k) => (
            <div key={c} class="class-row">
              <h3>
                {c} <span class="muted">({data.counts[k]})</span>
              </h3>
              <div class="thumbs small">
                {data.indices[k].slice(0, 12).map((i) => (
                  <button type="button" key={i} class={`thumb-button${chosen === i ? ' active' : ''}`} onClick={() => setChosen(i)}>
                    <Pixels src={`${base}/samples/${i}.png`} size={48} alt={`${c} ${i}`} />
                  </button>
                ))}
              </div>
            </div>
          ))}
        </div>
        <div>
          <Audit base={base} />
          {chosen !== null && <Augmentation base={base} index={chosen} />}
        </div>
      </div>
    </div>
  );
}

function Audit({ base }: { base: string }) {
  const [text, setText] = useState<string | null>(null);
  const [note, setNote] = useState<string | null>(null);
  useEffect(() => {
    api<{ text: string }>(`${base}/audit`).then(
      (r) => setText(r.text),
      (e) => setNote(`audit failed: ${e.message}`),
    );
  }, [base]);
  return (
    <div data-testid="audit">
      <h2>Audit</h2>
      {text ? <pre class="audit">{text}</pre> : <p class="muted">{note ?? 'auditing…'}</p>}
    </div>
  );
}

function Augmentation({ base, index }: { base: string; index: number }) {
  const [preset, setPreset] = useState('standard');
  const [data, setData] = useState<{ original: string; variants: string[]; steps: unknown[] } | null>(null);
  useEffect(() => {
    setData(null);
    api<{ original: string; variants: string[]; steps: unknown[] }>(`${base}/augment?index=${index}&preset=${preset}&count=8`).then(setData);
  }, [base, index, preset]);
  return (
    <div data-testid="augment">
      <h2>Augmentation preview</h2>
      <label>
        preset{' '}
        <select value={preset} onChange={(e) => setPreset((e.target as HTMLSelectElement).value)}>
          {['light', 'standard', 'strong'].map((p) => (
            <option key={p}>{p}</option>
          ))}
        </select>
      </label>
      {data && (
        <div>
          <div class="thumbs">
            <figure>
              <Pixels src={data.original} size={72} alt="original" />
              <figcaption>original</figcaption>
            </figure>
            {data.variants.map((v, i) => (
              <Pixels key={v} src={v} size={72} alt={`augmented ${i}`} />
            ))}
          </div>
          <pre class="audit">{data.steps.map((s) => JSON.stringify(s)).join('\n')}</pre>
        </div>
      )}
    </div>
  );
}

/** Keyboard labelling: 1–9 assign a class and move on, ←/→ move, 0 or Backspace clears. Each change rewrites labels.csv. */
function Labeller({ dataset }: { dataset: string }) {
  const storageKey = `simmer.classes.${dataset}`;
  const [images, setImages] = useState<string[]>([]);
  const [labels, setLabels] = useState<Record<string, string>>({});
  const [manifest, setManifest] = useState('');
  const [classes, setClasses] = useState<string[]>(() => (localStorage.getItem(storageKey) ?? 'cat,dog').split(',').filter(Boolean));
  const [at, setAt] = useState(0);
  const [error, setError] = useState<string | null>(null);
  const base = `/api/label/${encodeURIComponent(dataset)}`;

  useEffect(() => {
    api<{ images: string[]; labels: Record<string, string>; manifest: string }>(base).then(
      (r) => {
        setImages(r.images);
        setLabels(r.labels);
        setManifest(r.manifest);
        const known = [...new Set(Object.values(r.labels))];
        if (known.length) setClasses((c) => [...new Set([...c, ...known])]);
      },
      (e) => setError(e.message),
    );
  }, [dataset]);

  const assign = async (path: string, label: string) => {
    try {
      const r = await send<{ labels: Record<string, string> }>(base, { labels: { [path]: label } }, 'PUT');
      setLabels(r.labels);
      setError(null);
    } catch (e) {
      setError((e as Error).message);
    }
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as HTMLElement).tagName === 'INPUT' || !images.length) return;
      const path = images[at];
      if (/^[1-9]$/.test(e.key) && classes[Number(e.key) - 1]) {
        assign(path, classes[Number(e.key) - 1]);
        setAt((i) => Math.min(images.length - 1, i + 1));
      } else if (e.key === '0' || e.key === 'Backspace') assign(path, '');
      else if (e.key === 'ArrowRight') setAt((i) => Math.min(images.length - 1, i + 1));
      else if (e.key === 'ArrowLeft') setAt((i) => Math.max(0, i - 1));
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [images, at, classes]);

  const setClassList = (text: string) => {
    const list = text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
      .slice(0, 9);
    setClasses(list);
    localStorage.setItem(storageKey, list.join(','));
  };
  if (!images.length) return <Status error={error} loading />;
  const path = images[at];
  const done = Object.keys(labels).length;
  return (
    <div class="labeller" data-testid="labeller">
      <p class="muted">
        Press <kbd>1</kbd>–<kbd>9</kbd> to label and move on, <kbd>←</kbd> <kbd>→</kbd> to move, <kbd>0</kbd> to clear. Labels are saved to {manifest} after
        every key (written atomically). {done}/{images.length} labelled.
      </p>
      <label>
        classes (comma-separated) <input name="classes" value={classes.join(',')} onChange={(e) => setClassList((e.target as HTMLInputElement).value)} />
      </label>
      <div class="label-main">
        <figure>
          <img class="pixels big" src={`/api/files/${encodeURIComponent(dataset)}/${encodeURIComponent(path)}`} alt={path} />
          <figcaption data-testid="current-image">
            {at + 1}/{images.length}: {path} — <b>{labels[path] ?? 'unlabelled'}</b>
          </figcaption>
        </figure>
        <ol class="keys">
          {classes.map((c, i) => (
            <li key={c}>
              <button type="button" onClick={() => assign(path, c)}>
                <kbd>{i + 1}</kbd> {c}
              </button>
            </li>
          ))}
        </ol>
      </div>
      {error && <p class="error">{error}</p>}
      <div class="thumbs small">
        {images.map((p, i) => (
          <button
            type="button"
            key={p}
            class={`thumb-button${i === at ? ' active' : ''}${labels[p] ? ' done' : ''}`}
            onClick={() => setAt(i)}
            title={labels[p] ?? 'unlabelled'}
          >
            <Pixels src={`/api/files/${encodeURIComponent(dataset)}/${encodeURIComponent(p)}`} size={40} alt={p} />
          </button>
        ))}
      </div>
    </div>
  );
}
