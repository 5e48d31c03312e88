/** Learn: gradient descent on a 2-D loss surface, one step at a time — walking down a foggy hill. */
import { useEffect, useRef, useState } from 'preact/hooks';
import { type DescentState, descend, gradient, loss, type OptimizerName, start } from '../descent.ts';

const RANGE = 4; // the plot shows x, y in [-RANGE, RANGE]
const SIZE = 420;
const START: [number, number] = [-3.2, 2.6];

const toPx = (v: number) => ((v + RANGE) / (2 * RANGE)) * SIZE;
const fromPx = (p: number) => (p / SIZE) * 2 * RANGE - RANGE;

export function LearnPage() {
  const canvas = useRef<HTMLCanvasElement>(null);
  const [opt, setOpt] = useState<OptimizerName>('sgd');
  const [lr, setLr] = useState(0.1);
  const [momentum, setMomentum] = useState(0.9);
  const [path, setPath] = useState<DescentState[]>([start(...START)]);
  const [running, setRunning] = useState(false);
  const [fog, setFog] = useState(false);
  const here = path[path.length - 1];

  const step = () => setPath((p) => (p.length > 2000 ? p : [...p, descend(p[p.length - 1], opt, lr, momentum)]));
  const reset = (x = START[0], y = START[1]) => {
    setRunning(false);
    setPath([start(x, y)]);
  };

  useEffect(() => {
    if (!running) return;
    const timer = setInterval(step, 60);
    return () => clearInterval(timer);
  }, [running, opt, lr, momentum]);

  useEffect(() => reset(here.x, here.y), [opt]);

  useEffect(() => {
    const ctx = canvas.current?.getContext('2d');
    if (!ctx) return;
    drawSurface(ctx, fog ? here : null);
    ctx.strokeStyle = '#f8fafc';
    ctx.lineWidth = 2;
    ctx.beginPath();
    path.forEach((s, i) => (i === 0 ? ctx.moveTo(toPx(s.x), toPx(-s.y)) : ctx.lineTo(toPx(s.x), toPx(-s.y))));
    ctx.stroke();
    for (const s of path) {
      ctx.fillStyle = '#f8fafc';
      ctx.fillRect(toPx(s.x) - 1.5, toPx(-s.y) - 1.5, 3, 3);
    }
    // Where we stand, and the slope we feel there (an arrow pointing downhill).
    const [gx, gy] = gradient(here.x, here.y);
    const norm = Math.hypot(gx, gy) || 1;
    ctx.strokeStyle = '#22d3ee';
    ctx.beginPath();
    ctx.moveTo(toPx(here.x), toPx(-here.y));
    ctx.lineTo(toPx(here.x - (0.6 * gx) / norm), toPx(-(here.y - (0.6 * gy) / norm)));
    ctx.stroke();
    ctx.fillStyle = '#facc15';
    ctx.beginPath();
    ctx.arc(toPx(here.x), toPx(-here.y), 6, 0, 2 * Math.PI);
    ctx.fill();
  }, [path, fog]);

  const onClick = (e: MouseEvent) => {
    const r = (e.target as HTMLCanvasElement).getBoundingClientRect();
    reset(fromPx(((e.clientX - r.left) / r.width) * SIZE), -fromPx(((e.clientY - r.top) / r.height) * SIZE));
  };
  const [gx, gy] = gradient(here.x, here.y);
  const diverged = !Number.isFinite(here.x) || Math.abs(here.x) > 50 || Math.abs(here.y) > 50;

  return (
    <section>
      <h1>Learn: walking down a foggy hill</h1>
      <p class="lead">
        Training is standing on a hillside in fog. You cannot see the valley (the lowest loss), only feel the slope under your feet — the gradient. Each step:
        feel the slope, take a small step downhill, repeat. The learning rate is the step length; momentum lets you keep rolling in the direction you were
        going. Click the map to start somewhere else.
      </p>
      <div class="learn">
        <canvas ref={canvas} width={SIZE} height={SIZE} onClick={onClick} data-testid="surface" />
        <div class="controls">
          <label>
            optimizer
            <select value={opt} onChange={(e) => setOpt((e.target as HTMLSelectElement).value as OptimizerName)} data-testid="optimizer">
              <option value="sgd">SGD</option>
              <option value="momentum">SGD + momentum</option>
              <option value="adam">Adam</option>
            </select>
          </label>
          <label>
            learning rate <b>{lr.toFixed(3)}</b>
            <input
              type="range"
              min={0.005}
              max={1}
              step={0.005}
              value={lr}
              onInput={(e) => setLr(Number((e.target as HTMLInputElement).value))}
              data-testid="lr"
            />
          </label>
          <label>
            {opt === 'adam' ? 'β₁ (momentum of the mean)' : 'momentum'} <b>{momentum.toFixed(2)}</b>
            <input
              type="range"
              min={0}
              max={0.99}
              step={0.01}
              value={momentum}
              disabled={opt === 'sgd'}
              onInput={(e) => setMomentum(Number((e.target as HTMLInputElement).value))}
            />
          </label>
          <label class="inline">
            <input type="checkbox" checked={fog} onChange={() => setFog(!fog)} /> fog (see only around you)
          </label>
          <div class="buttons">
            <button type="button" onClick={step} data-testid="step">
              Step
            </button>
            <button type="button" onClick={() => setRunning(!running)}>
              {running ? 'Pause' : 'Run'}
            </button>
            <button type="button" onClick={() => reset()}>
              Reset
            </button>
          </div>
          <dl class="readout" data-testid="readout">
            <dt>step</dt>
            <dd>{here.step}</dd>
            <dt>position</dt>
            <dd>
              ({here.x.toFixed(3)}, {here.y.toFixed(3)})
            </dd>
            <dt>loss</dt>
            <dd data-testid="loss">{loss(here.x, here.y).toFixed(4)}</dd>
            <dt>slope (gradient)</dt>
            <dd>
              ({gx.toFixed(3)}, {gy.toFixed(3)})
            </dd>
          </dl>
          {diverged && <p class="error">The steps grew until they flew off the map: the learning rate is too large for this valley. Lower it and reset.</p>}
          <p class="muted">
            Try: SGD with a large learning rate zig-zags across the narrow valley (or diverges); a small one crawls. Momentum rolls along the valley floor. Adam
            scales each direction by its own gradient history.
          </p>
        </div>
      </div>
    </section>
  );
}

/** Paints the loss as colour (dark = low) with contour lines; in fog, only a small circle around `here` is visible. */
function drawSurface(ctx: CanvasRenderingContext2D, here: DescentState | null): void {
  const img = ctx.createImageData(SIZE, SIZE);
  const levels = 14;
  for (let py = 0; py < SIZE; py++) {
    for (let px = 0; px < SIZE; px++) {
      const x = fromPx(px);
      const y = -fromPx(py);
      const l = Math.log1p(loss(x, y));
      const t = Math.min(1, l / 2.6);
      const band = Math.abs(((t * levels) % 1) - 0.5) > 0.47;
      let r = 20 + 200 * t;
      let g = 30 + 120 * t * t;
      let b = 80 + 60 * (1 - t);
      if (band) {
        r *= 0.7;
        g *= 0.7;
        b *= 0.7;
      }
      if (here && Math.hypot(x - here.x, y - here.y) > 0.9) {
        r = r * 0.15 + 190;
        g = g * 0.15 + 195;
        b = b * 0.15 + 200;
      }
      const k = (py * SIZE + px) * 4;
      img.data[k] = r;
      img.data[k + 1] = g;
      img.data[k + 2] = b;
      img.data[k + 3] = 255;
    }
  }
  ctx.putImageData(img, 0, 0);
}
