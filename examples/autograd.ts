// Tensors and autograd in a few lines: fit y = 3x − 2 with gradient descent written by hand.
// Run: node --import tsx examples/autograd.ts
import { linspace, manualSeed, mse, noGrad, randn, tensor } from 'simmer-ml';

manualSeed(0);
const x = linspace(-1, 1, 32).reshape([32, 1]);
const y = x.mul(3).sub(2);
const w = randn([1, 1]).requiresGrad_();
const b = tensor([0]).requiresGrad_();

for (let step = 0; step <= 100; step++) {
  const loss = mse(x.matmul(w).add(b), y); // forward pass and how wrong it is
  w.grad = null;
  b.grad = null;
  loss.backward(); // which way: d loss / d w and d loss / d b
  noGrad(() => {
    // a small step downhill (in place, outside the graph)
    w.f32[0] -= 0.1 * (w.grad?.item() ?? 0);
    b.f32[0] -= 0.1 * (b.grad?.item() ?? 0);
  });
  if (step % 25 === 0) console.log(`step ${step}: loss ${loss.item().toFixed(5)}  w ${w.item().toFixed(3)}  b ${b.item().toFixed(3)}`);
}
