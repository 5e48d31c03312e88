/** Inside the model: architecture, first-layer filters, and for one image its feature maps, saliency and Grad-CAM. */
import { useEffect, useState } from 'preact/hooks';
import { api } from '../api.ts';
import { Bar, Pixels, Status } from '../components/Heat.tsx';
import { href } from '../router.ts';

interface Architecture {
  model: string;
  classes: string[];
  inputShape: number[];
  outputShape: number[];
  totalParams: number;
  layers: { name: string; type: string; outputShape: number[]; params: number }[];
  filters: { layer: string; shape: number[]; images: string[] } | null;
  /** Set for a model fine-tuned with --from: which layers were frozen, and each one's rate after unfreezing. */
  transfer?: {
    from: string;
    description: string;
    freezeEpochs: number;
    epochs: number;
    inputConversion: string;
    frozenNow: boolean;
    layers: { name: string; part: 'adapter' | 'body' | 'head'; frozenEpochs: number; lrScale: number }[];
  } | null;
}

type Transfer = NonNullable<Architecture['transfer']>;

/** How a layer of a fine-tuned model learned, as a state (the row's marking) and in words. */
interface LayerTraining {
  /** frozen: pretrained weights held still for some epochs; trainable: learned every epoch; fixed: the input adapter; none: no weights. */
  state: 'frozen' | 'trainable' | 'fixed' | 'none';
  text: string;
}

/**
 * A layer's training: the adapter is fixed; a layer without weights of its own or below it has none; a container
 * (body) points at its layers; a body layer was frozen for the first epochs, then learned at its share of the head's
 * rate; the new head learned every epoch.
 */
function layerTraining(t: Transfer, layer: { name: string; params: number }, isContainer: boolean): LayerTraining {
  const l = t.layers.find((x) => x.name === layer.name);
  if (!l) return { state: 'none', text: '' };
  if (l.part === 'adapter') return { state: 'fixed', text: 'fixed (input conversion)' };
  if (layer.params === 0 && !isContainer) return { state: 'none', text: '— (no weights)' };
  // The text follows the row's badge ("frozen" / "trains"): when, and at what rate after.
  if (l.part === 'head') return { state: 'trainable', text: 'new head, every epoch' };
  const frozen = Math.min(l.frozenEpochs, t.epochs);
  const rate = isContainer ? 'each layer below at its own rate' : `lr ×${l.lrScale.toPrecision(2)} of the head's`;
  if (frozen === 0) return { state: 'trainable', text: `every epoch, ${rate}` };
  if (frozen >= t.epochs) return { state: 'frozen', text: `all ${t.epochs} epochs` };
  return { state: 'frozen', text: `${frozen === 1 ? 'epoch 1' : `epochs 1–${frozen}`}, then ${rate}` };
}

/** "the first epoch of 3", "the first 2 of 5 epochs", "all 4 epochs". */
function frozenSpan(frozen: number, epochs: number): string {
  if (frozen >= epochs) return epochs === 1 ? 'its one epoch' : `all ${epochs} epochs`;
  return frozen === 1 ? `the first epoch of ${epochs}` : `the first ${frozen} of ${epochs} epochs`;
}

interface Explanation {
  index: number;
  label: number;
  predicted: number;
  target: number;
  classes: string[];
  probabilities: number[];
  image: string;
  featureMaps: { name: string; type: string; shape: number[]; grid: string }[];
  saliency: { heat: string; overlay: string };
  gradCam: { layer: string; heat: string; overlay: string } | null;
}

export function ModelPage({ id, index }: { id: string; index: number }) {
  const [arch, setArch] = useState<Architecture | null>(null);
  const [ex, setEx] = useState<Explanation | null>(null);
  const [target, setTarget] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const base = `/api/runs/${encodeURIComponent(id)}`;

  useEffect(() => {
    api<Architecture>(`${base}/model`).then(setArch, (e) => setError(e.message));
  }, [id]);
  useEffect(() => {
    setEx(null);
    api<Explanation>(`${base}/explain/${index}${target === null ? '' : `?class=${target}`}`).then(setEx, (e) => setError(e.message));
  }, [id, index, target]);

  const go = (i: number) => {
    setTarget(null);
    location.hash = href('model', id, Math.max(0, i));
  };

  return (
    <section>
      <h1>Inside {id}</h1>
      <p class="muted">
        <a href={href('runs', id)}>curves</a> · <a href={href('eval', id)}>evaluation</a>
      </p>
      <Status error={error} loading={!arch} />
      <div class="grid2">
        {arch && (
          <div>
            <h2>Architecture: {arch.transfer ? 'fine-tuned' : arch.model}</h2>
            {arch.transfer && (
              <p class="muted" data-testid="transfer">
                Fine-tuned from {arch.transfer.description}.{' '}
                {arch.transfer.freezeEpochs > 0
                  ? `The pretrained body was frozen (no gradient, batch-norm statistics fixed) for ${frozenSpan(Math.min(arch.transfer.freezeEpochs, arch.transfer.epochs), arch.transfer.epochs)}; only the new head learned then.`
                  : 'Every layer learned from the first epoch.'}
                {arch.transfer.frozenNow ? ' The body is still frozen in this checkpoint.' : ''}
                {arch.transfer.inputConversion ? ` Input: ${arch.transfer.inputConversion}.` : ''}
              </p>
            )}
            <table class="arch" data-testid="architecture">
              <thead>
                <tr>
                  <th>layer</th>
                  <th>type</th>
                  <th>output shape</th>
                  <th>params</th>
                  {arch.transfer && <th>training</th>}
                </tr>
              </thead>
              <tbody>
                <tr>
                  <td>input</td>
                  <td />
                  <td>[{arch.inputShape.join(', ')}]</td>
                  <td />
                  {arch.transfer && <td />}
                </tr>
                {arch.layers.map((l) => {
                  const training = arch.transfer
                    ? layerTraining(
                        arch.transfer,
                        l,
                        arch.layers.some((x) => x.name.startsWith(`${l.name}.`)),
                      )
                    : null;
                  return (
                    <tr key={l.name} class={training ? `layer-${training.state}` : undefined} data-layer={l.name} data-state={training?.state}>
                      <td>{l.name}</td>
                      <td>{l.type}</td>
                      <td>[{l.outputShape.join(', ')}]</td>
                      <td class="num">{l.params.toLocaleString()}</td>
                      {training && (
                        <td data-testid="layer-training">
                          {(training.state === 'frozen' || training.state === 'trainable') && (
                            <span class={`badge ${training.state}`}>{training.state === 'frozen' ? 'frozen' : 'trains'}</span>
                          )}{' '}
                          {training.text}
                        </td>
                      )}
                    </tr>
                  );
                })}
                <tr class="total">
                  <td colSpan={3}>total</td>
                  <td class="num">{arch.totalParams.toLocaleString()}</td>
                  {arch.transfer && <td />}
                </tr>
              </tbody>
            </table>
          </div>
        )}
        {arch?.filters && (
          <div>
            <h2>First-layer filters ({arch.filters.shape.join('×')})</h2>
            <p class="muted">
              Each {arch.filters.shape[2]}×{arch.filters.shape[3]} kernel of layer {arch.filters.layer}, scaled to its own range: the patterns the first layer
              responds to.
            </p>
            <div class="filters" data-testid="filters">
              {arch.filters.images.map((src, i) => (
                <Pixels key={src} src={src} size={40} alt={`filter ${i}`} />
              ))}
            </div>
          </div>
        )}
      </div>
      <h2>One image through the model</h2>
      <div class="chooser">
        <button type="button" onClick={() => go(index - 1)} disabled={index === 0}>
          ← previous
        </button>
        <label>
          image #<input type="number" min={0} value={index} onChange={(e) => go(Number((e.target as HTMLInputElement).value))} />
        </label>
        <button type="button" onClick={() => go(index + 1)}>
          next →
        </button>
      </div>
      {!ex && !error && <p class="muted">computing…</p>}
      {ex && (
        <div data-testid="explanation">
          <div class="explain-row">
            <figure>
              <Pixels src={ex.image} size={160} alt="input" />
              <figcaption>
                input · true <b>{ex.classes[ex.label] ?? '?'}</b>
              </figcaption>
            </figure>
            {ex.gradCam && (
              <figure data-testid="gradcam">
                <Pixels src={ex.gradCam.overlay} size={160} alt="Grad-CAM" />
                <figcaption>
                  Grad-CAM for {ex.classes[ex.target]} (layer {ex.gradCam.layer})
                </figcaption>
              </figure>
            )}
            <figure data-testid="saliency">
              <Pixels src={ex.saliency.heat} size={160} alt="saliency" />
              <figcaption>saliency |∂score/∂pixel|</figcaption>
            </figure>
            <div class="probs">
              <h3>prediction: {ex.classes[ex.predicted]}</h3>
              {ex.probabilities.map((p, c) => (
                <button
                  type="button"
                  key={ex.classes[c]}
                  class={`prob${c === ex.target ? ' target' : ''}`}
                  onClick={() => setTarget(c)}
                  title="explain this class"
                >
                  <Bar value={p} label={ex.classes[c]} />
                </button>
              ))}
              <p class="muted">Click a class to see where the model finds evidence for it.</p>
            </div>
          </div>
          <h2>Feature maps</h2>
          {ex.featureMaps.length === 0 && <p class="muted">This model has no conv layers.</p>}
          {ex.featureMaps.map((m) => (
            <figure key={m.name} class="fmap" data-testid="feature-map">
              <figcaption>
                layer {m.name} ({m.type}) · {m.shape[1]} channels of {m.shape[2]}×{m.shape[3]}
              </figcaption>
              <img
                class="pixels"
                src={m.grid}
                alt={`feature maps of layer ${m.name}`}
                style={{ width: `${Math.min(720, m.shape[3] * Math.ceil(Math.sqrt(m.shape[1])) * 4)}px` }}
              />
            </figure>
          ))}
        </div>
      )}
    </section>
  );
}
