/**
 * Data: browse a dataset by class with its audit, preview augmentation, and label a folder of loose images by
 * keyboard, by click or by typing a class name. Once every image has a label the folder is a labelled dataset: it
 * browses by class here and the Runs page's form trains it.
 */
import { useEffect, useState } from 'preact/hooks';
import { api, send } from '../api.ts';
import { Pixels, Status } from '../components/Heat.tsx';
import { href } from '../router.ts';

interface DatasetEntry {
  name: string;
  kind: 'builtin' | 'labelled' | 'unlabelled';
  description: string;
  /** Set for a folder of loose images: its labels.csv, and how many of its images have a label. */
  manifest?: string;
  images?: number;
  labelled?: number;
}

export function DataPage({ name }: { name?: string }) {
  const [datasets, setDatasets] = useState<DatasetEntry[] | null>(null);
  const [error, setError] = useState<string | null>(null);
  // The labelled loose-image folder whose labels are being edited (an unlabelled one always shows the labeller).
  const [editing, setEditing] = useState<string | null>(null);
  const reload = () =>
    api<{ datasets: DatasetEntry[] }>('/api/datasets').then(
      (d) => setDatasets(d.datasets),
      (e) => setError(e.message),
    );
  // Refetched on every visit, so a folder added to the data root since shows up without a reload.
  useEffect(() => {
    reload();
  }, [name]);
  const current = datasets?.find((d) => d.name === (name ?? 'shapes')) ?? datasets?.[0];
  const labelling = !!current?.manifest && (current.kind === 'unlabelled' || editing === current.name);
  const finishLabelling = () => {
    setEditing(null);
    reload();
  };
  return (
    <section>
      <h1>Data</h1>
      <Status error={error} loading={!datasets} />
      <nav class="tabs">
        {datasets?.map((d) => (
          <a key={d.name} href={href('data', d.name)} class={d === current ? 'active' : ''} title={d.description}>
            {d.name} {d.kind === 'unlabelled' && <span class="badge running">to label{d.labelled ? ` ${d.labelled}/${d.images}` : ''}</span>}
          </a>
        ))}
      </nav>
      {current && !labelling && <Browse key={current.name} dataset={current} onEditLabels={current.manifest ? () => setEditing(current.name) : undefined} />}
      {current && labelling && <Labeller key={current.name} dataset={current.name} onFinish={finishLabelling} />}
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

function Browse({ dataset, onEditLabels }: { dataset: DatasetEntry; onEditLabels?: () => void }) {
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
        {onEditLabels && (
          <>
            {' '}
            Labelled here, in {dataset.manifest}: train it from the <a href={href('runs')}>Runs</a> page.{' '}
            <button type="button" data-testid="edit-labels" onClick={onEditLabels}>
              edit labels
            </button>
          </>
        )}
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

/** The key that assigns class `i` (1–9, then 0 for the tenth); classes after the tenth are clicked or typed. */
export function classKey(i: number): string | null {
  return i < 9 ? String(i + 1) : i === 9 ? '0' : null;
}

/** The class index a key assigns (the inverse of classKey), or -1. */
function classOfKey(key: string): number {
  return /^[1-9]$/.test(key) ? Number(key) - 1 : key === '0' ? 9 : -1;
}

/**
 * Labelling a folder of loose images: keys 1–9 and 0 assign the first ten classes and move on; any class (however
 * many) can be clicked, or typed in the filter (Enter assigns the first match); ←/→ move, Backspace or Delete
 * clears. Each change rewrites labels.csv (atomically, on the server).
 */
function Labeller({ dataset, onFinish }: { dataset: string; onFinish: () => void }) {
  const storageKey = `simmer.classes.${dataset}`;
  const [images, setImages] = useState<string[]>([]);
  const [labels, setLabels] = useState<Record<string, string>>({});
  const [manifest, setManifest] = useState('');
  const [classes, setClasses] = useState<string[]>(() => (localStorage.getItem(storageKey) ?? 'cat,dog').split(',').filter(Boolean));
  const [classText, setClassText] = useState(() => classes.join(','));
  const [filter, setFilter] = useState('');
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
        if (known.length)
          setClasses((c) => {
            const all = [...new Set([...c, ...known])];
            setClassText(all.join(','));
            return all;
          });
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
  /** Labels the current image and moves to the next one. */
  const assignAndNext = (label: string) => {
    assign(images[at], label);
    setAt((i) => Math.min(images.length - 1, i + 1));
  };

  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if ((e.target as HTMLElement).tagName === 'INPUT' || !images.length) return;
      const k = classOfKey(e.key);
      if (k >= 0 && classes[k]) assignAndNext(classes[k]);
      else if (e.key === 'Backspace' || e.key === 'Delete') assign(images[at], '');
      else if (e.key === 'ArrowRight') setAt((i) => Math.min(images.length - 1, i + 1));
      else if (e.key === 'ArrowLeft') setAt((i) => Math.max(0, i - 1));
      else return;
      e.preventDefault();
    };
    window.addEventListener('keydown', onKey);
    return () => window.removeEventListener('keydown', onKey);
  }, [images, at, classes]);

  const setClassList = (text: string) => {
    setClassText(text);
    const list = [
      ...new Set(
        text
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      ),
    ];
    setClasses(list);
    localStorage.setItem(storageKey, list.join(','));
  };
  if (!images.length) return <Status error={error} loading />;
  const path = images[at];
  const done = images.filter((p) => labels[p] !== undefined).length;
  const needle = filter.trim().toLowerCase();
  const shown = classes.map((c, i) => ({ c, i })).filter(({ c }) => !needle || c.toLowerCase().includes(needle));
  /** Enter in the filter assigns its first match, or the typed name itself as a new class. */
  const onFilterKey = (e: KeyboardEvent) => {
    if (e.key === 'Enter') {
      const typed = filter.trim();
      const label = shown[0]?.c ?? typed;
      if (!label) return;
      if (!classes.includes(label)) setClassList([...classes, label].join(','));
      assignAndNext(label);
      setFilter('');
      e.preventDefault();
    } else if (e.key === 'Escape') {
      setFilter('');
      (e.target as HTMLInputElement).blur();
    }
  };
  return (
    <div class="labeller" data-testid="labeller">
      <p class="muted">
        Press <kbd>1</kbd>–<kbd>9</kbd> and <kbd>0</kbd> (the tenth class) to label and move on, or click a class, or type in the filter and press{' '}
        <kbd>Enter</kbd> (any number of classes); <kbd>←</kbd> <kbd>→</kbd> to move, <kbd>Backspace</kbd> to clear. Labels are saved to {manifest} after every
        change (written atomically).{' '}
        <span data-testid="label-progress">
          {done}/{images.length} labelled.
        </span>
      </p>
      {done === images.length && (
        <p data-testid="labelled-all">
          Every image has a label: {dataset} is a labelled dataset now; train it from the <a href={href('runs')}>Runs</a> page.{' '}
          <button type="button" onClick={onFinish}>
            browse by class
          </button>
        </p>
      )}
      <label>
        classes (comma-separated) <input name="classes" value={classText} onInput={(e) => setClassList((e.target as HTMLInputElement).value)} />
      </label>
      <div class="label-main">
        <figure>
          <img class="pixels big" src={`/api/files/${encodeURIComponent(dataset)}/${encodeURIComponent(path)}`} alt={path} />
          <figcaption data-testid="current-image">
            {at + 1}/{images.length}: {path} — <b>{labels[path] ?? 'unlabelled'}</b>
          </figcaption>
        </figure>
        <div>
          <input
            name="class-filter"
            placeholder="type a class, Enter assigns"
            value={filter}
            onInput={(e) => setFilter((e.target as HTMLInputElement).value)}
            onKeyDown={onFilterKey}
          />
          <ol class="keys" data-testid="class-list" style={{ maxHeight: '320px', overflowY: 'auto' }}>
            {shown.map(({ c, i }) => {
              const key = classKey(i);
              return (
                <li key={c}>
                  <button type="button" class={labels[path] === c ? 'active' : ''} onClick={() => assignAndNext(c)}>
                    {key !== null && <kbd>{key}</kbd>} {c}
                  </button>
                </li>
              );
            })}
            {needle && !shown.length && <li class="muted">Enter adds “{filter.trim()}” as a new class</li>}
          </ol>
        </div>
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
