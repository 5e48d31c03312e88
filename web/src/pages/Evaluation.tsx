/** Evaluation: the confusion matrix (click a cell for its images), per-class precision and recall, the most confidently wrong. */
import { useEffect, useState } from 'preact/hooks';
import { api, type Evaluation, type Prediction, pct } from '../api.ts';
import { Bar, Pixels, Status } from '../components/Heat.tsx';
import { href } from '../router.ts';

export function EvaluationPage({ id }: { id: string }) {
  const [ev, setEv] = useState<Evaluation | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [cell, setCell] = useState<{ actual: number; predicted: number; images: Prediction[] } | null>(null);
  const base = `/api/runs/${encodeURIComponent(id)}`;

  useEffect(() => {
    setEv(null);
    setCell(null);
    api<Evaluation>(`${base}/evaluation`).then(setEv, (e) => setError(e.message));
  }, [id]);

  const openCell = (actual: number, predicted: number) =>
    api<{ images: Prediction[] }>(`${base}/evaluation/cell?actual=${actual}&predicted=${predicted}`).then(
      (r) => setCell({ actual, predicted, images: r.images }),
      (e) => setError(e.message),
    );

  if (!ev)
    return (
      <Status error={error} loading>
        evaluating the model on held-out images…
      </Status>
    );
  const max = Math.max(1, ...ev.confusion.flat());
  const image = (p: Prediction) => (
    <a key={p.index} class="thumb" href={href('model', id, p.index)} title={`open image ${p.index} inside the model`}>
      <Pixels src={`${base}/images/${p.index}.png`} size={72} alt={`image ${p.index}`} />
      <span>
        {ev.classes[p.label]} → <b>{ev.classes[p.predicted]}</b> {pct(p.confidence, 0)}
      </span>
    </a>
  );

  return (
    <section>
      <h1>Evaluation of {id}</h1>
      <p class="muted">
        {ev.count} held-out images ({ev.split}), checkpoint {ev.checkpoint}: accuracy <b>{pct(ev.accuracy)}</b>, loss {ev.loss.toFixed(4)} ·{' '}
        <a href={href('runs', id)}>curves</a> · <a href={href('model', id)}>inside the model</a>
      </p>
      <div class="grid2">
        <div>
          <h2>Confusion matrix</h2>
          <p class="muted">Rows: true class. Columns: predicted. Click a cell to see its images.</p>
          <table class="confusion" data-testid="confusion">
            <thead>
              <tr>
                <th />
                {ev.classes.map((c) => (
                  <th key={c}>{c}</th>
                ))}
              </tr>
            </thead>
            <tbody>
              {ev.confusion.map((row, a) => (
                <tr key={ev.classes[a]}>
                  <th>{ev.classes[a]}</th>
                  {row.map((n, p) => {
                    const strength = n / max;
                    const diagonal = a === p;
                    const color = diagonal ? `rgba(22, 163, 74, ${0.1 + 0.8 * strength})` : `rgba(220, 38, 38, ${n ? 0.1 + 0.8 * strength : 0})`;
                    const active = cell?.actual === a && cell?.predicted === p;
                    return (
                      <td key={p} class={active ? 'active' : ''} style={{ background: color, color: strength > 0.6 ? 'white' : undefined }}>
                        <button type="button" data-cell={`${a}-${p}`} onClick={() => openCell(a, p)} disabled={n === 0}>
                          {n}
                        </button>
                      </td>
                    );
                  })}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
        <div>
          <h2>Per class</h2>
          <table class="per-class">
            <thead>
              <tr>
                <th>class</th>
                <th>precision</th>
                <th>recall</th>
                <th>F1</th>
                <th>support</th>
              </tr>
            </thead>
            <tbody>
              {ev.perClass.map((c) => (
                <tr key={c.name}>
                  <td>{c.name}</td>
                  <td>
                    <Bar value={c.precision} label="" />
                  </td>
                  <td>
                    <Bar value={c.recall} label="" />
                  </td>
                  <td>{c.f1.toFixed(3)}</td>
                  <td>{c.support}</td>
                </tr>
              ))}
            </tbody>
          </table>
          <p class="muted">Precision: of the images called this class, the share that are. Recall: of the images of this class, the share found.</p>
        </div>
      </div>
      {cell && (
        <div data-testid="cell-images">
          <h2>
            True {ev.classes[cell.actual]}, predicted {ev.classes[cell.predicted]} ({cell.images.length})
          </h2>
          <div class="thumbs">{cell.images.slice(0, 60).map(image)}</div>
        </div>
      )}
      <h2>Most confidently wrong</h2>
      <p class="muted">The mistakes the model was surest about: label noise and real blind spots show up here first. Click one to look inside the model.</p>
      <div class="thumbs" data-testid="confidently-wrong">
        {ev.mostConfidentlyWrong.length ? ev.mostConfidentlyWrong.map(image) : <p class="muted">No mistakes.</p>}
      </div>
    </section>
  );
}
