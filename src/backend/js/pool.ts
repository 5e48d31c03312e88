/** Reference pooling and resampling kernels over N×C planes. */
import type { F32, Pool2dGeometry, ResampleGeometry, UpsampleMode } from '../backend.ts';

export function maxPool2dForward(x: F32, y: F32, argmax: Int32Array, g: Pool2dGeometry): void {
  const planes = g.n * g.c;
  for (let p = 0; p < planes; p++) {
    const xo = p * g.h * g.w;
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++) {
        let best = Number.NEGATIVE_INFINITY;
        let bestIdx = -1;
        for (let r = 0; r < g.kernelH; r++) {
          const iy = oy * g.strideH - g.padH + r * g.dilationH;
          if (iy < 0 || iy >= g.h) continue;
          for (let s = 0; s < g.kernelW; s++) {
            const ix = ox * g.strideW - g.padW + s * g.dilationW;
            if (ix < 0 || ix >= g.w) continue;
            const v = x[xo + iy * g.w + ix];
            if (v > best || bestIdx < 0 || Number.isNaN(v)) {
              best = v;
              bestIdx = iy * g.w + ix;
            }
          }
        }
        const o = (p * g.oh + oy) * g.ow + ox;
        y[o] = best;
        argmax[o] = bestIdx;
      }
  }
}

export function maxPool2dBackward(gy: F32, argmax: Int32Array, gx: F32, g: Pool2dGeometry): void {
  gx.fill(0);
  const planes = g.n * g.c;
  const outPlane = g.oh * g.ow;
  for (let p = 0; p < planes; p++)
    for (let i = 0; i < outPlane; i++) {
      const o = p * outPlane + i;
      if (argmax[o] >= 0) gx[p * g.h * g.w + argmax[o]] += gy[o];
    }
}

function windowCount(g: Pool2dGeometry, oy: number, ox: number, countIncludePad: boolean): number {
  if (countIncludePad) {
    // PyTorch counts padded cells but not cells past the padding.
    const y0 = oy * g.strideH - g.padH;
    const x0 = ox * g.strideW - g.padW;
    const y1 = Math.min(y0 + g.kernelH, g.h + g.padH);
    const x1 = Math.min(x0 + g.kernelW, g.w + g.padW);
    return (y1 - y0) * (x1 - x0);
  }
  let count = 0;
  for (let r = 0; r < g.kernelH; r++) {
    const iy = oy * g.strideH - g.padH + r;
    if (iy < 0 || iy >= g.h) continue;
    for (let s = 0; s < g.kernelW; s++) {
      const ix = ox * g.strideW - g.padW + s;
      if (ix >= 0 && ix < g.w) count++;
    }
  }
  return count;
}

export function avgPool2dForward(x: F32, y: F32, g: Pool2dGeometry, countIncludePad: boolean): void {
  const planes = g.n * g.c;
  for (let p = 0; p < planes; p++) {
    const xo = p * g.h * g.w;
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++) {
        let sum = 0;
        for (let r = 0; r < g.kernelH; r++) {
          const iy = oy * g.strideH - g.padH + r;
          if (iy < 0 || iy >= g.h) continue;
          for (let s = 0; s < g.kernelW; s++) {
            const ix = ox * g.strideW - g.padW + s;
            if (ix >= 0 && ix < g.w) sum += x[xo + iy * g.w + ix];
          }
        }
        y[(p * g.oh + oy) * g.ow + ox] = sum / windowCount(g, oy, ox, countIncludePad);
      }
  }
}

export function avgPool2dBackward(gy: F32, gx: F32, g: Pool2dGeometry, countIncludePad: boolean): void {
  gx.fill(0);
  const planes = g.n * g.c;
  for (let p = 0; p < planes; p++) {
    const xo = p * g.h * g.w;
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++) {
        const v = gy[(p * g.oh + oy) * g.ow + ox] / windowCount(g, oy, ox, countIncludePad);
        for (let r = 0; r < g.kernelH; r++) {
          const iy = oy * g.strideH - g.padH + r;
          if (iy < 0 || iy >= g.h) continue;
          for (let s = 0; s < g.kernelW; s++) {
            const ix = ox * g.strideW - g.padW + s;
            if (ix >= 0 && ix < g.w) gx[xo + iy * g.w + ix] += v;
          }
        }
      }
  }
}

/** Visits each adaptive window (PyTorch's start = floor(i·in/out), end = ceil((i+1)·in/out)). */
function adaptiveWindows(g: ResampleGeometry, visit: (p: number, o: number, y0: number, y1: number, x0: number, x1: number) => void): void {
  for (let p = 0; p < g.n * g.c; p++)
    for (let oy = 0; oy < g.oh; oy++) {
      const y0 = Math.floor((oy * g.h) / g.oh);
      const y1 = Math.ceil(((oy + 1) * g.h) / g.oh);
      for (let ox = 0; ox < g.ow; ox++) {
        const x0 = Math.floor((ox * g.w) / g.ow);
        const x1 = Math.ceil(((ox + 1) * g.w) / g.ow);
        visit(p, (p * g.oh + oy) * g.ow + ox, y0, y1, x0, x1);
      }
    }
}

export function adaptiveAvgPool2dForward(x: F32, y: F32, g: ResampleGeometry): void {
  adaptiveWindows(g, (p, o, y0, y1, x0, x1) => {
    let sum = 0;
    for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) sum += x[(p * g.h + iy) * g.w + ix];
    y[o] = sum / ((y1 - y0) * (x1 - x0));
  });
}

export function adaptiveAvgPool2dBackward(gy: F32, gx: F32, g: ResampleGeometry): void {
  gx.fill(0);
  adaptiveWindows(g, (p, o, y0, y1, x0, x1) => {
    const v = gy[o] / ((y1 - y0) * (x1 - x0));
    for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) gx[(p * g.h + iy) * g.w + ix] += v;
  });
}

/** Source coordinate of output index i along an axis of `inSize` → `outSize` (PyTorch's rules); ratio = input per output pixel. */
function sourceCoord(i: number, inSize: number, outSize: number, ratio: number, alignCorners: boolean): number {
  if (alignCorners) return outSize > 1 ? (i * (inSize - 1)) / (outSize - 1) : 0;
  return Math.max(0, (i + 0.5) * ratio - 0.5);
}

/** Calls visit(plane, outIndex, inIndex, weight) for every tap of the resampling. */
function resampleTaps(g: ResampleGeometry, mode: UpsampleMode, alignCorners: boolean, visit: (p: number, o: number, i: number, wgt: number) => void): void {
  const ratioH = g.ratioH ?? g.h / g.oh;
  const ratioW = g.ratioW ?? g.w / g.ow;
  for (let p = 0; p < g.n * g.c; p++)
    for (let oy = 0; oy < g.oh; oy++)
      for (let ox = 0; ox < g.ow; ox++) {
        const o = (p * g.oh + oy) * g.ow + ox;
        if (mode === 'nearest') {
          const iy = Math.min(Math.floor(oy * ratioH), g.h - 1);
          const ix = Math.min(Math.floor(ox * ratioW), g.w - 1);
          visit(p, o, iy * g.w + ix, 1);
          continue;
        }
        const sy = sourceCoord(oy, g.h, g.oh, ratioH, alignCorners);
        const sx = sourceCoord(ox, g.w, g.ow, ratioW, alignCorners);
        const y0 = Math.min(Math.floor(sy), g.h - 1);
        const x0 = Math.min(Math.floor(sx), g.w - 1);
        const y1 = Math.min(y0 + 1, g.h - 1);
        const x1 = Math.min(x0 + 1, g.w - 1);
        const ly = sy - y0;
        const lx = sx - x0;
        visit(p, o, y0 * g.w + x0, (1 - ly) * (1 - lx));
        visit(p, o, y0 * g.w + x1, (1 - ly) * lx);
        visit(p, o, y1 * g.w + x0, ly * (1 - lx));
        visit(p, o, y1 * g.w + x1, ly * lx);
      }
}

export function upsample2dForward(x: F32, y: F32, g: ResampleGeometry, mode: UpsampleMode, alignCorners: boolean): void {
  y.fill(0);
  const plane = g.h * g.w;
  resampleTaps(g, mode, alignCorners, (p, o, i, wgt) => {
    y[o] += wgt * x[p * plane + i];
  });
}

export function upsample2dBackward(gy: F32, gx: F32, g: ResampleGeometry, mode: UpsampleMode, alignCorners: boolean): void {
  gx.fill(0);
  const plane = g.h * g.w;
  resampleTaps(g, mode, alignCorners, (p, o, i, wgt) => {
    gx[p * plane + i] += wgt * gy[o];
  });
}
