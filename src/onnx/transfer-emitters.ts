/**
 * ONNX emitters for fine-tuned models (src/transfer): the input adapter (grayscale ↔ RGB, bilinear resize), the
 * body (any exportable module, an imported ONNX graph included) and the new head.
 */
import { InputAdapter } from '../transfer/adapter.ts';
import { TransferNet } from '../transfer/backbone.ts';
import { mul } from '../ops/elementwise.ts';
import { Tensor } from '../tensor/tensor.ts';
import { registerOnnxEmitter } from './export.ts';
import { OnnxModel } from './import.ts';

registerOnnxEmitter(OnnxModel, (ctx, m, inputs) => m.emitOnnx(ctx, inputs));

registerOnnxEmitter(InputAdapter, (ctx, m, [x]) => {
  const y = m.forward(x.tensor);
  const [fc] = m.from;
  const [tc, th, tw] = m.to;
  let v = x;
  if (fc === 3 && tc === 1) {
    // Luma as a 1x1 convolution with the ITU-R 601 weights.
    const w = ctx.constFloat(new Tensor(Float32Array.from([0.299, 0.587, 0.114]), [1, 3, 1, 1]), 'luma');
    v = ctx.node('Conv', [v.name, w], mul(y, 1), { kernel_shape: [1, 1] });
  } else if (fc === 1 && tc === 3) v = ctx.node('Concat', [v.name, v.name, v.name], y, { axis: 1 });
  if (x.tensor.shape[2] !== th || x.tensor.shape[3] !== tw) {
    const nc = ctx.node('Slice', [ctx.node('Shape', [v.name], y).name, ctx.constInts([0]), ctx.constInts([2])], y);
    const sizes = ctx.node('Concat', [nc.name, ctx.constInts([th, tw])], y, { axis: 0 });
    v = ctx.node('Resize', [v.name, '', '', sizes.name], y, { mode: 'linear', coordinate_transformation_mode: 'half_pixel' });
  }
  return { name: v.name, tensor: y };
});

registerOnnxEmitter(TransferNet, (ctx, m, [x]) => {
  const input = m.adapter ? ctx.emit(m.adapter, [x]) : x;
  return ctx.emit(m.head, [ctx.emit(m.body, [input])]);
});
