/**
 * Embedding projector: a dataset's images (raw pixels) or a classifier run's penultimate-layer embeddings, projected
 * to 2-D (PCA, UMAP, or what else the server lists) and drawn as a scatter coloured by label or by k-means cluster.
 * Hovering a point shows its image; clicking a cluster (in the legend or on the plot) lists its members.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, pct, send } from '../api.ts';
import type { Projection2d, ProjectorSources } from '../../../src/server/api-types.ts';
import { Status } from '../components/Heat.tsx';
import '../components/pages.css';

const PALETTE = [
  '#2563eb',
  '#dc2626',
  '#16a34a',
  '#9333ea',
  '#ea580c',
  '#0891b2',
  '#be185d',
  '#65a30d',
  '#854d0e',
  '#475569',
  '#f59e0b',
  '#14b8a6',
  '#a855f7',
  '#f43f5e',
  '#84cc16',
];
const color = (k: number) => (k < 0 ? '#94a3b8' : PALETTE[k % PALETTE.length]);
const SIZE = 560;
const PAD = 12;

export function ProjectorPage() {
  const [sources, setSources] = useState<ProjectorSources | null>(null);
  const [source, setSource] = useState('');
  const [method, setMethod] = useState('pca');
  const [n, setN] = useState(1000);
  const [k, setK] = useState(10);
  const [result, setResult] = useState<Projection2d | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [colorBy, setColorBy] = useState<'label' | 'cluster'>('label');
  const [selected, setSelected] = useState<number | null>(null);

  useEffect(() => {
    api<ProjectorSources>('/api/projector/sources')
      .then((s) => {
        setSources(s);
        setSource(s.datasets.includes('fashion-mnist') ? 'dataset:fashion-mnist' : `dataset:${s.datasets[0] ?? 'shapes'}`);
      })
      .catch((e) => setError(e.message));
  }, []);

  const project = async () => {
    setBusy(true);
    setError(null);
    setSelected(null);
    try {
      const r = await send<Projection2d>('/api/projector', { source, method, n, k });
      setResult(r);
      if (r.labels.every((l) => l < 0)) setColorBy('cluster');
    } catch (e) {
      setError((e as Error).message);
    } finally {
      setBusy(false);
    }
  };

  return (
    <section>
      <h1>Embedding projector</h1>
      <Status error={!sources ? error : null} loading={!sources} />
      {sources && (
        <div class="form-row" data-testid="projector-form">
          <label>
            embeddings of
            <select name="source" value={source} onChange={(e) => setSource((e.target as HTMLSelectElement).value)}>
              <optgroup label="datasets (pixels)">
                {sources.datasets.map((d) => (
                  <option key={d} value={`dataset:${d}`}>
                    {d}
                  </option>
                ))}
              </optgroup>
              {sources.runs.length > 0 && (
                <optgroup label="classifier runs (penultimate layer)">
                  {sources.runs.map((r) => (
                    <option key={r.id} value={`run:${r.id}`}>
                      {r.id} ({r.model} on {r.dataset})
                    </option>
                  ))}
                </optgroup>
              )}
            </select>
          </label>
          <label>
            projection
            <select name="method" value={method} onChange={(e) => setMethod((e.target as HTMLSelectElement).value)}>
              {sources.methods.map((m) => (
                <option key={m} value={m}>
                  {m.toUpperCase()}
                </option>
              ))}
            </select>
          </label>
          <label>
            images
            <input name="n" type="number" min={3} max={2000} value={n} onInput={(e) => setN(Number((e.target as HTMLInputElement).value))} />
          </label>
          <label>
            k-means k
            <input name="k" type="number" min={2} max={30} value={k} onInput={(e) => setK(Number((e.target as HTMLInputElement).value))} />
          </label>
          <button type="button" class="primary" onClick={project} disabled={busy || !source} data-testid="project">
            {busy ? 'projecting…' : 'Project'}
          </button>
        </div>
      )}
      {sources && error && <p class="error">{error}</p>}
      {busy && <p class="muted">embedding and projecting (UMAP takes a while on many points)…</p>}
      {result && (
        <ProjectionView
          key={`${result.source}|${result.method}|${result.points.length}|${result.k}`}
          r={result}
          colorBy={colorBy}
          setColorBy={setColorBy}
          selected={selected}
          setSelected={setSelected}
        />
      )}
    </section>
  );
}

interface ViewProps {
  r: Projection2d;
  colorBy: 'label' | 'cluster';
  setColorBy: (c: 'label' | 'cluster') => void;
  selected: number | null;
  setSelected: (c: number | null) => void;
}

/** One thumbnail cut from the atlas by CSS background-position. */
function Thumb({ r, i, url, size = 40 }: { r: Projection2d; i: number; url: string; size?: number }) {
  const { cols, width, height } = r.atlas;
  const scale = size / width;
  const rows = Math.ceil(r.labels.length / cols);
  return (
    <span
      class="thumb-cell"
      data-index={r.indices[i]}
      style={{
        width: `${size}px`,
        height: `${height * scale}px`,
        backgroundImage: `url(${url})`,
        backgroundSize: `${cols * width * scale}px ${rows * height * scale}px`,
        backgroundPosition: `-${(i % cols) * width * scale}px -${Math.floor(i / cols) * height * scale}px`,
      }}
    />
  );
}

function ProjectionView({ r, colorBy, setColorBy, selected, setSelected }: ViewProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [hover, setHover] = useState<number | null>(null);
  // The atlas as a short blob: URL, so each thumbnail's style does not repeat a data URL of hundreds of kilobytes.
  const [atlasUrl, setAtlasUrl] = useState('');
  useEffect(() => {
    let url = '';
    fetch(r.atlas.url)
      .then((res) => res.blob())
      .then((b) => {
        url = URL.createObjectURL(b);
        setAtlasUrl(url);
      });
    return () => url && URL.revokeObjectURL(url);
  }, [r]);
  const count = r.labels.length;
  const labelled = r.labels.some((l) => l >= 0);
  const groupOf = (i: number) => (colorBy === 'label' ? r.labels[i] : r.clusters[i]);
  // Points scaled into the canvas, the same scale on both axes so distances read true.
  const xy = useMemo(() => {
    let x0 = Infinity;
    let x1 = -Infinity;
    let y0 = Infinity;
    let y1 = -Infinity;
    for (let i = 0; i < count; i++) {
      x0 = Math.min(x0, r.points[2 * i]);
      x1 = Math.max(x1, r.points[2 * i]);
      y0 = Math.min(y0, r.points[2 * i + 1]);
      y1 = Math.max(y1, r.points[2 * i + 1]);
    }
    const s = (SIZE - 2 * PAD) / Math.max(x1 - x0, y1 - y0, 1e-9);
    const ox = (SIZE - s * (x1 - x0)) / 2;
    const oy = (SIZE - s * (y1 - y0)) / 2;
    return Array.from({ length: count }, (_, i) => [ox + s * (r.points[2 * i] - x0), SIZE - (oy + s * (r.points[2 * i + 1] - y0))]);
  }, [r]);

  useEffect(() => {
    const c = canvas.current;
    const ctx = c?.getContext('2d');
    if (!c || !ctx) return;
    ctx.clearRect(0, 0, SIZE, SIZE);
    // Members of the selected cluster on top, the rest faded.
    const order = Array.from({ length: count }, (_, i) => i).sort((a, b) => Number(r.clusters[a] === selected) - Number(r.clusters[b] === selected));
    for (const i of order) {
      const dim = selected !== null && r.clusters[i] !== selected;
      ctx.globalAlpha = dim ? 0.15 : 0.85;
      ctx.fillStyle = color(groupOf(i));
      ctx.beginPath();
      ctx.arc(xy[i][0], xy[i][1], dim ? 2.5 : 3.5, 0, 2 * Math.PI);
      ctx.fill();
    }
    ctx.globalAlpha = 1;
    if (hover !== null) {
      ctx.strokeStyle = '#0f172a';
      ctx.lineWidth = 2;
      ctx.beginPath();
      ctx.arc(xy[hover][0], xy[hover][1], 6, 0, 2 * Math.PI);
      ctx.stroke();
    }
  }, [xy, colorBy, selected, hover]);

  const nearest = (e: MouseEvent): number | null => {
    const rect = (e.target as HTMLCanvasElement).getBoundingClientRect();
    const mx = e.clientX - rect.left;
    const my = e.clientY - rect.top;
    let best = -1;
    let bestD = 64; // within 8 px
    for (let i = 0; i < count; i++) {
      const d = (xy[i][0] - mx) ** 2 + (xy[i][1] - my) ** 2;
      if (d < bestD) {
        bestD = d;
        best = i;
      }
    }
    return best >= 0 ? best : null;
  };

  const groups = colorBy === 'label' ? r.classes.map((_, i) => i) : Array.from({ length: r.k }, (_, i) => i);
  const sizes = groups.map((g) => r.labels.filter((_, i) => groupOf(i) === g).length);
  const members = selected === null ? [] : Array.from({ length: count }, (_, i) => i).filter((i) => r.clusters[i] === selected);
  const majority = (c: number): string => {
    const counts = new Map<number, number>();
    let size = 0;
    for (let i = 0; i < count; i++)
      if (r.clusters[i] === c) {
        size++;
        if (r.labels[i] >= 0) counts.set(r.labels[i], (counts.get(r.labels[i]) ?? 0) + 1);
      }
    const top = [...counts].sort((a, b) => b[1] - a[1])[0];
    return top ? `mostly ${r.classes[top[0]]} (${Math.round((100 * top[1]) / size)}%)` : '';
  };
  return (
    <>
      <p class="muted" data-testid="projection-info">
        {count} images of {r.source.replace(/^(dataset|run):/, '')} ({r.split}
        {r.layer !== null ? `, input of layer '${r.layer}'` : ', raw pixels'}, {r.dims} dimensions) · {r.method.toUpperCase()} in {r.seconds.toFixed(1)} s ·
        k-means k = {r.k}
        {r.scores ? ` · clustering accuracy ${pct(r.scores.accuracy)}, NMI ${r.scores.nmi.toFixed(3)} against the labels` : ''}
      </p>
      <div class="projector">
        <div class="scatter-wrap">
          <canvas
            ref={canvas}
            width={SIZE}
            height={SIZE}
            data-testid="scatter"
            data-points={count}
            onMouseMove={(e) => setHover(nearest(e))}
            onMouseLeave={() => setHover(null)}
            onClick={(e) => {
              const i = nearest(e);
              setSelected(i === null ? null : r.clusters[i] === selected ? null : r.clusters[i]);
            }}
          />
          {hover !== null && (
            <div class="tip" data-testid="hover" style={{ left: `${Math.min(xy[hover][0] + 14, SIZE - 130)}px`, top: `${Math.max(0, xy[hover][1] - 110)}px` }}>
              <Thumb r={r} i={hover} url={atlasUrl} size={56} />
              <div>
                {labelled ? r.classes[r.labels[hover]] : 'unlabelled'} · cluster {r.clusters[hover]}
              </div>
              <div class="muted">image {r.indices[hover]}</div>
            </div>
          )}
        </div>
        <div>
          <div class="form-row">
            <label>
              colour by
              <select name="color-by" value={colorBy} onChange={(e) => setColorBy((e.target as HTMLSelectElement).value as 'label' | 'cluster')}>
                {labelled && <option value="label">label</option>}
                <option value="cluster">k-means cluster</option>
              </select>
            </label>
          </div>
          <div class="legend" data-testid="legend">
            {groups.map((g, j) =>
              colorBy === 'cluster' ? (
                <button key={g} type="button" class={selected === g ? 'active' : ''} onClick={() => setSelected(selected === g ? null : g)}>
                  <span class="swatch" style={{ background: color(g) }} /> cluster {g} ({sizes[j]}) <span class="muted">{labelled ? majority(g) : ''}</span>
                </button>
              ) : (
                <span key={g} style={{ padding: '2px 6px' }}>
                  <span class="swatch" style={{ background: color(g) }} /> {r.classes[g]} ({sizes[j]})
                </span>
              ),
            )}
          </div>
          {colorBy === 'label' && <p class="muted">click a point to see the members of its k-means cluster</p>}
        </div>
      </div>
      {selected !== null && (
        <div class="panel" data-testid="members">
          <h2>
            Cluster {selected}: {members.length} images {labelled ? `· ${majority(selected)}` : ''}{' '}
            <button type="button" onClick={() => setSelected(null)}>
              close
            </button>
          </h2>
          <div class="members">
            {members.map((i) => (
              <span key={i} title={labelled ? r.classes[r.labels[i]] : `image ${r.indices[i]}`}>
                <Thumb r={r} i={i} url={atlasUrl} size={36} />
              </span>
            ))}
          </div>
        </div>
      )}
    </>
  );
}
