/**
 * Reference 2-D convolution, written as the direct definition (seven nested loops) so it is obviously right.
 * y[n,k,oy,ox] = bias[k] + Σ_{c in group, r, s} x[n, c, oy·sh − ph + r·dh, ox·sw − pw + s·dw] · w[k, c − c0, r, s]
 */
import type { Conv2dGeometry, F32 } from '../backend.ts';
import { maxPool2dForward } from './pool.ts';

export function conv2dForward(x: F32, w: F32, bias: F32 | null, y: F32, g: Conv2dGeometry): void {
  const cg = g.c / g.groups;
  const kg = g.k / g.groups;
  for (let n = 0; n < g.n; n++)
    for (let k = 0; k < g.k; k++) {
      const c0 = Math.floor(k / kg) * cg;
      for (let oy = 0; oy < g.oh; oy++)
        for (let ox = 0; ox < g.ow; ox++) {
          let acc = bias ? bias[k] : 0;
          for (let ci = 0; ci < cg; ci++)
            for (let r = 0; r < g.r; r++) {
              const iy = oy * g.strideH - g.padH + r * g.dilationH;
              if (iy < 0 || iy >= g.h) continue;
              for (let s = 0; s < g.s; s++) {
                const ix = ox * g.strideW - g.padW + s * g.dilationW;
                if (ix < 0 || ix >= g.w) continue;
                acc += x[((n * g.c + c0 + ci) * g.h + iy) * g.w + ix] * w[((k * cg + ci) * g.r + r) * g.s + s];
              }
            }
          y[((n * g.k + k) * g.oh + oy) * g.ow + ox] = acc;
        }
    }
}

export function conv2dBackwardInput(gy: F32, w: F32, gx: F32, g: Conv2dGeometry): void {
  gx.fill(0);
  const cg = g.c / g.groups;
  const kg = g.k / g.groups;
  for (let n = 0; n < g.n; n++)
    for (let k = 0; k < g.k; k++) {
      const c0 = Math.floor(k / kg) * cg;
      for (let oy = 0; oy < g.oh; oy++)
        for (let ox = 0; ox < g.ow; ox++) {
          const gv = gy[((n * g.k + k) * g.oh + oy) * g.ow + ox];
          if (gv === 0) continue;
          for (let ci = 0; ci < cg; ci++)
            for (let r = 0; r < g.r; r++) {
              const iy = oy * g.strideH - g.padH + r * g.dilationH;
              if (iy < 0 || iy >= g.h) continue;
              for (let s = 0; s < g.s; s++) {
                const ix = ox * g.strideW - g.padW + s * g.dilationW;
                if (ix < 0 || ix >= g.w) continue;
                gx[((n * g.c + c0 + ci) * g.h + iy) * g.w + ix] += gv * w[((k * cg + ci) * g.r + r) * g.s + s];
              }
            }
        }
    }
}

export function conv2dBackwardWeight(x: F32, gy: F32, gw: F32, g: Conv2dGeometry): void {
  gw.fill(0);
  const cg = g.c / g.groups;
  const kg = g.k / g.groups;
  for (let n = 0; n < g.n; n++)
    for (let k = 0; k < g.k; k++) {
      const c0 = Math.floor(k / kg) * cg;
      for (let oy = 0; oy < g.oh; oy++)
        for (let ox = 0; ox < g.ow; ox++) {
          const gv = gy[((n * g.k + k) * g.oh + oy) * g.ow + ox];
          if (gv === 0) continue;
          for (let ci = 0; ci < cg; ci++)
            for (let r = 0; r < g.r; r++) {
              const iy = oy * g.strideH - g.padH + r * g.dilationH;
              if (iy < 0 || iy >= g.h) continue;
              for (let s = 0; s < g.s; s++) {
                const ix = ox * g.strideW - g.padW + s * g.dilationW;
                if (ix < 0 || ix >= g.w) continue;
                gw[((k * cg + ci) * g.r + r) * g.s + s] += gv * x[((n * g.c + c0 + ci) * g.h + iy) * g.w + ix];
              }
            }
        }
    }
}

/** Reference of the fused conv + bias + ReLU: the plain convolution, then ReLU. */
export function conv2dForwardAct(x: F32, w: F32, bias: F32 | null, y: F32, g: Conv2dGeometry, relu: boolean): void {
  conv2dForward(x, w, bias, y, g);
  if (relu) for (let i = 0; i < g.n * g.k * g.oh * g.ow; i++) y[i] = y[i] > 0 ? y[i] : 0;
}

/** Reference of the fused inference block: conv + bias + ReLU into a full-size buffer, then a 2×2 stride-2 max pool. */
export function conv2dReluMaxPool2(x: F32, w: F32, bias: F32 | null, out: F32, g: Conv2dGeometry): void {
  conv2dReluMaxPool2Argmax(x, w, bias, out, new Int32Array(out.length), g);
}

/** Reference of the fused training block: conv + bias + ReLU into a full-size buffer, the reference max pool, -1 routes. */
export function conv2dReluMaxPool2Argmax(x: F32, w: F32, bias: F32 | null, out: F32, argmax: Int32Array, g: Conv2dGeometry): void {
  const y = new Float32Array(g.n * g.k * g.oh * g.ow);
  conv2dForwardAct(x, w, bias, y, g, true);
  const pool = { n: g.n, c: g.k, h: g.oh, w: g.ow, oh: Math.floor(g.oh / 2), ow: Math.floor(g.ow / 2) };
  maxPool2dForward(y, out, argmax, { ...pool, kernelH: 2, kernelW: 2, strideH: 2, strideW: 2, padH: 0, padW: 0, dilationH: 1, dilationW: 1 });
  for (let i = 0; i < out.length; i++) if (!(out[i] > 0)) argmax[i] = -1;
}
