/**
 * REINFORCE with a learned baseline (Williams 1992; Sutton & Barto §13.4): run a batch of whole episodes with the
 * stochastic policy, compute each step's discounted return G_t, and descend
 * −mean(log π(a_t | s_t) · (G_t − V(s_t))) − c_e·H(π) + c_v·mean((V(s_t) − G_t)²), the advantages normalised over the
 * batch. An episode cut by the time limit bootstraps its tail from V(final observation), so the last steps of a
 * 500-step CartPole episode are not mistaken for a failure.
 * @example
 *   const agent = new Reinforce({ env: 'cartpole', seed: 1 });
 *   while (agent.episodes < 1000) agent.iterate();
 */
import { noGrad } from '../../autograd/grad-mode.ts';
import type { Sequential } from '../../nn/layers/container.ts';
import { clipGradNorm } from '../../optim/clip.ts';
import { Adam } from '../../optim/optimizers.ts';
import { Generator, type RngState } from '../../tensor/random.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { type Agent, type AgentState, type IterationReport, loadModuleTensors, loadOptimizerTensors, moduleTensors, optimizerTensors } from '../agent.ts';
import type { ArrayEnv, EnvSnapshot } from '../env.ts';
import { buildNet, categoricalLogProbAndEntropy, greedyActions, type NetSpec, observationBatch, sampleActions } from '../nets.ts';
import { type EnvName, type EnvOptions, makeEnv } from '../registry.ts';
import { flatSize } from '../spaces.ts';

export interface ReinforceConfig {
  env: EnvName;
  envOptions?: EnvOptions;
  seed: number;
  /** Episodes run in parallel and learned from in one update. */
  episodesPerUpdate: number;
  gamma: number;
  learningRate: number;
  valueLearningRate: number;
  entropyCoef: number;
  maxGradNorm: number;
  hidden: number[];
  convChannels: number[];
}

export const REINFORCE_DEFAULTS: Omit<ReinforceConfig, 'env' | 'seed'> = {
  episodesPerUpdate: 4,
  gamma: 0.99,
  learningRate: 3e-3,
  valueLearningRate: 3e-3,
  entropyCoef: 0,
  maxGradNorm: 1,
  hidden: [64, 64],
  convChannels: [16, 32],
};

export class Reinforce implements Agent {
  readonly algo = 'reinforce';
  readonly config: ReinforceConfig;
  readonly actor: Sequential;
  readonly baseline: Sequential;
  readonly envs: ArrayEnv[];
  private readonly policyOptimizer: Adam;
  private readonly valueOptimizer: Adam;
  private readonly rng: Generator;
  private readonly obsShape: readonly number[];
  private readonly obsSize: number;
  private steps = 0;
  private finished = 0;
  private seeded = false;

  constructor(config: Partial<ReinforceConfig> & Pick<ReinforceConfig, 'env' | 'seed'>) {
    this.config = { ...REINFORCE_DEFAULTS, ...config };
    const c = this.config;
    this.envs = Array.from({ length: c.episodesPerUpdate }, () => makeEnv(c.env, c.envOptions));
    const space = this.envs[0].observationSpace;
    this.obsShape = space.kind === 'box' ? space.shape : [1];
    this.obsSize = flatSize(space);
    const actions = this.envs[0].actionSpace.n;
    const spec = (outputs: number): NetSpec =>
      this.obsShape.length === 3
        ? { kind: 'conv', inputShape: this.obsShape as [number, number, number], channels: c.convChannels, hidden: c.hidden[0] ?? 64, outputs }
        : { kind: 'mlp', inputs: this.obsSize, hidden: c.hidden, outputs, activation: 'tanh' };
    const initGen = new Generator(c.seed * 7919 + 3);
    this.actor = buildNet(spec(actions), initGen, { scheme: 'orthogonal', outputGain: 0.01 });
    this.baseline = buildNet(spec(1), initGen, { scheme: 'orthogonal', outputGain: 1 });
    this.policyOptimizer = new Adam(this.actor.parameters(), { lr: c.learningRate });
    this.valueOptimizer = new Adam(this.baseline.parameters(), { lr: c.valueLearningRate });
    this.rng = new Generator(c.seed);
  }

  get envSteps(): number {
    return this.steps;
  }

  get episodes(): number {
    return this.finished;
  }

  greedyActions(observations: Tensor): Int32Array {
    return noGrad(() => greedyActions(this.actor.forward(observations)));
  }

  iterate(): IterationReport {
    const c = this.config;
    const d = this.obsSize;
    const k = this.envs.length;
    const current = new Float32Array(k * d);
    this.envs.forEach((e, i) => current.set(e.reset(this.seeded ? undefined : c.seed * 1000 + i).observation, i * d));
    this.seeded = true;
    const obs: number[][] = this.envs.map(() => []);
    const acts: number[][] = this.envs.map(() => []);
    const rewards: number[][] = this.envs.map(() => []);
    const tailValue = new Float64Array(k);
    const truncated: number[] = [];
    const finals: Float32Array[] = [];
    let active = this.envs.map((_, i) => i);
    while (active.length > 0) {
      const batch = new Float32Array(active.length * d);
      active.forEach((i, j) => batch.set(current.subarray(i * d, (i + 1) * d), j * d));
      const chosen = noGrad(() => sampleActions(this.actor.forward(observationBatch(batch, this.obsShape)), this.rng));
      const still: number[] = [];
      active.forEach((i, j) => {
        for (let q = 0; q < d; q++) obs[i].push(current[i * d + q]);
        acts[i].push(chosen[j]);
        const r = this.envs[i].step(chosen[j]);
        rewards[i].push(r.reward);
        current.set(r.observation, i * d);
        if (r.terminated) return;
        if (r.truncated) {
          truncated.push(i);
          finals.push(r.observation);
          return;
        }
        still.push(i);
      });
      active = still;
    }
    if (truncated.length > 0) {
      const batch = new Float32Array(truncated.length * d);
      finals.forEach((f, j) => batch.set(f, j * d));
      const v = noGrad(() => this.baseline.forward(observationBatch(batch, this.obsShape)).f32);
      truncated.forEach((i, j) => {
        tailValue[i] = v[j];
      });
    }

    const allObs: number[] = [];
    const allActs: number[] = [];
    const allReturns: number[] = [];
    const report: IterationReport = { episodes: [], losses: {} };
    for (let i = 0; i < k; i++) {
      let g = tailValue[i];
      const returns = new Array<number>(rewards[i].length);
      for (let t = rewards[i].length - 1; t >= 0; t--) {
        g = rewards[i][t] + c.gamma * g;
        returns[t] = g;
      }
      allObs.push(...obs[i]);
      allActs.push(...acts[i]);
      allReturns.push(...returns);
      report.episodes.push({ env: i, return: rewards[i].reduce((a, b) => a + b, 0), length: rewards[i].length });
    }
    const n = allActs.length;
    this.steps += n;
    this.finished += k;

    const x = observationBatch(Float32Array.from(allObs), this.obsShape);
    const returns = new Tensor(Float32Array.from(allReturns), [n]);
    const values = this.baseline.forward(x).reshape([n]);
    const adv = Float32Array.from(values.f32, (v, i) => allReturns[i] - v);
    let mean = 0;
    for (const a of adv) mean += a;
    mean /= n;
    let variance = 0;
    for (const a of adv) variance += (a - mean) ** 2;
    const std = Math.sqrt(variance / Math.max(1, n - 1));
    for (let i = 0; i < n; i++) adv[i] = (adv[i] - mean) / (std + 1e-8);

    const { logProb, entropy } = categoricalLogProbAndEntropy(this.actor.forward(x), Int32Array.from(allActs));
    let policyLoss = logProb
      .mul(new Tensor(adv, [n]))
      .mean()
      .neg();
    const entropyMean = entropy.mean();
    if (c.entropyCoef !== 0) policyLoss = policyLoss.sub(entropyMean.mul(c.entropyCoef));
    this.policyOptimizer.zeroGrad();
    policyLoss.backward();
    clipGradNorm(this.actor.parameters(), c.maxGradNorm);
    this.policyOptimizer.step();

    const valueLoss = values.sub(returns).pow(2).mean();
    this.valueOptimizer.zeroGrad();
    valueLoss.backward();
    this.valueOptimizer.step();
    report.losses = { policy: policyLoss.item(), value: valueLoss.item(), entropy: entropyMean.item() };
    return report;
  }

  stateDict(): AgentState {
    const p = optimizerTensors('optimPolicy', this.policyOptimizer);
    const v = optimizerTensors('optimValue', this.valueOptimizer);
    return {
      tensors: new Map([...moduleTensors('actor', this.actor), ...moduleTensors('baseline', this.baseline), ...p.tensors, ...v.tensors]),
      json: {
        policyOptimizer: p.json,
        valueOptimizer: v.json,
        rng: this.rng.getState(),
        envs: this.envs.map((e) => e.snapshot?.() ?? null),
        steps: this.steps,
        finished: this.finished,
        seeded: this.seeded,
      },
    };
  }

  loadStateDict(state: AgentState): void {
    const j = state.json;
    loadModuleTensors('actor', this.actor, state.tensors);
    loadModuleTensors('baseline', this.baseline, state.tensors);
    loadOptimizerTensors('optimPolicy', this.policyOptimizer, j.policyOptimizer, state.tensors);
    loadOptimizerTensors('optimValue', this.valueOptimizer, j.valueOptimizer, state.tensors);
    this.rng.setState(j.rng as RngState);
    (j.envs as (EnvSnapshot | null)[]).forEach((s, i) => {
      if (s) this.envs[i].restore?.(s);
    });
    this.steps = j.steps as number;
    this.finished = j.finished as number;
    this.seeded = j.seeded as boolean;
  }
}
