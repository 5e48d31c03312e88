/**
 * PPO (Schulman et al. 2017), clipped objective, as CleanRL / Stable-Baselines3 implement it: N vectorised
 * environments collect a rollout of numSteps each; GAE(λ) gives advantages and value targets; then several epochs of
 * shuffled minibatches minimise −min(ρÂ, clip(ρ, 1 ± ε)Â) + c_v·½(V − R)² − c_e·H(π), with advantages normalised per
 * minibatch, the gradient norm clipped and the learning rate annealed linearly to 0 over the step budget. Separate
 * actor and critic networks (orthogonal init; policy head gain 0.01, value head 1). A truncated episode bootstraps
 * from V(final observation).
 * @example
 *   const agent = new PPO({ env: 'cartpole', seed: 1, totalSteps: 100_000 });
 *   while (agent.envSteps < 100_000) agent.iterate();
 */
import { clipGradNorm } from '../../optim/clip.ts';
import { Adam } from '../../optim/optimizers.ts';
import { noGrad } from '../../autograd/grad-mode.ts';
import { minimum } from '../../ops/elementwise.ts';
import type { Sequential } from '../../nn/layers/container.ts';
import { Generator, type RngState } from '../../tensor/random.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { type Agent, type AgentState, type IterationReport, loadModuleTensors, loadOptimizerTensors, moduleTensors, optimizerTensors } from '../agent.ts';
import { type EnvName, type EnvOptions, makeEnv } from '../registry.ts';
import { generalizedAdvantages } from '../returns.ts';
import { buildNet, categoricalLogProbAndEntropy, greedyActions, type NetSpec, observationBatch, sampleActions } from '../nets.ts';
import { VectorEnv, type VectorSnapshot } from '../vector-env.ts';
import { flatSize } from '../spaces.ts';

export interface PpoConfig {
  env: EnvName;
  envOptions?: EnvOptions;
  seed: number;
  /** The step budget the learning rate is annealed over. */
  totalSteps: number;
  numEnvs: number;
  numSteps: number;
  epochs: number;
  minibatches: number;
  gamma: number;
  lambda: number;
  clip: number;
  entropyCoef: number;
  valueCoef: number;
  learningRate: number;
  annealLearningRate: boolean;
  maxGradNorm: number;
  hidden: number[];
  /** Conv channels for image observations (the pixel gridworld). */
  convChannels: number[];
}

export const PPO_DEFAULTS: Omit<PpoConfig, 'env' | 'seed' | 'totalSteps'> = {
  numEnvs: 8,
  numSteps: 64,
  epochs: 10,
  minibatches: 4,
  gamma: 0.99,
  lambda: 0.95,
  clip: 0.2,
  entropyCoef: 0,
  valueCoef: 0.5,
  learningRate: 1e-3,
  annealLearningRate: true,
  maxGradNorm: 0.5,
  hidden: [64, 64],
  convChannels: [16, 32],
};

export class PPO implements Agent {
  readonly algo = 'ppo';
  readonly config: PpoConfig;
  readonly actor: Sequential;
  readonly critic: Sequential;
  readonly envs: VectorEnv;
  private readonly optimizer: Adam;
  private readonly rng: Generator;
  private readonly obsShape: readonly number[];
  private observations: Float32Array;
  private steps = 0;
  private finished = 0;
  private iterations = 0;

  constructor(config: Partial<PpoConfig> & Pick<PpoConfig, 'env' | 'seed' | 'totalSteps'>) {
    this.config = { ...PPO_DEFAULTS, ...config };
    const c = this.config;
    this.envs = new VectorEnv(() => makeEnv(c.env, c.envOptions), c.numEnvs);
    const space = this.envs.observationSpace;
    this.obsShape = space.kind === 'box' ? space.shape : [1];
    const initGen = new Generator(c.seed * 7919 + 1);
    const spec = (outputs: number): NetSpec =>
      this.obsShape.length === 3
        ? { kind: 'conv', inputShape: this.obsShape as [number, number, number], channels: c.convChannels, hidden: c.hidden[0] ?? 64, outputs }
        : { kind: 'mlp', inputs: flatSize(space), hidden: c.hidden, outputs, activation: 'tanh' };
    this.actor = buildNet(spec(this.envs.numActions), initGen, { scheme: 'orthogonal', outputGain: 0.01 });
    this.critic = buildNet(spec(1), initGen, { scheme: 'orthogonal', outputGain: 1 });
    this.optimizer = new Adam([...this.actor.parameters(), ...this.critic.parameters()], { lr: c.learningRate, eps: 1e-5 });
    this.rng = new Generator(c.seed);
    this.observations = this.envs.reset(c.seed * 1000);
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

  private batch(data: Float32Array): Tensor {
    return observationBatch(data, this.obsShape);
  }

  iterate(): IterationReport {
    const c = this.config;
    const n = c.numEnvs;
    const t = c.numSteps;
    const d = this.envs.obsSize;
    const total = n * t;
    const obs = new Float32Array(total * d);
    const actions = new Int32Array(total);
    const oldLogProbs = new Float32Array(total);
    const values = new Float32Array(total);
    const rewards = new Float32Array(total);
    const ends = new Uint8Array(total);
    const endValues = new Float32Array(total);
    const report: IterationReport = { episodes: [], losses: {} };
    for (let step = 0; step < t; step++) {
      const k0 = step * n;
      obs.set(this.observations, k0 * d);
      const x = this.batch(this.observations);
      const { chosen, logProb, value } = noGrad(() => {
        const logits = this.actor.forward(x);
        const chosen = sampleActions(logits, this.rng);
        return { chosen, logProb: categoricalLogProbAndEntropy(logits, chosen).logProb.f32, value: this.critic.forward(x).f32 };
      });
      actions.set(chosen, k0);
      oldLogProbs.set(logProb, k0);
      values.set(value, k0);
      const r = this.envs.step(chosen);
      rewards.set(r.rewards, k0);
      const truncatedRows: number[] = [];
      for (let i = 0; i < n; i++) {
        if (r.terminated[i] || r.truncated[i]) ends[k0 + i] = 1;
        if (r.truncated[i] && !r.terminated[i]) truncatedRows.push(i);
      }
      if (truncatedRows.length > 0) {
        const finals = new Float32Array(truncatedRows.length * d);
        truncatedRows.forEach((i, j) => finals.set(r.finalObservations[i] as Float32Array, j * d));
        const v = noGrad(() => this.critic.forward(this.batch(finals)).f32);
        truncatedRows.forEach((i, j) => {
          endValues[k0 + i] = v[j];
        });
      }
      report.episodes.push(...r.episodes);
      this.observations = r.observations;
    }
    this.steps += total;
    this.finished += report.episodes.length;
    const lastValues = noGrad(() => this.critic.forward(this.batch(this.observations)).f32);
    const { advantages, returns } = generalizedAdvantages({
      rewards,
      values,
      episodeEnds: ends,
      endValues,
      lastValues,
      numEnvs: n,
      gamma: c.gamma,
      lambda: c.lambda,
    });

    if (c.annealLearningRate) this.optimizer.lr = c.learningRate * Math.max(0, 1 - this.iterations / Math.ceil(c.totalSteps / total));
    this.iterations++;
    const params = [...this.actor.parameters(), ...this.critic.parameters()];
    const mb = Math.floor(total / c.minibatches);
    const order = new Int32Array(total);
    let sums = { policy: 0, value: 0, entropy: 0, clipFraction: 0 };
    let updates = 0;
    for (let epoch = 0; epoch < c.epochs; epoch++) {
      for (let i = 0; i < total; i++) order[i] = i;
      for (let i = total - 1; i > 0; i--) {
        const j = this.rng.int(0, i + 1);
        const tmp = order[i];
        order[i] = order[j];
        order[j] = tmp;
      }
      for (let start = 0; start + mb <= total; start += mb) {
        const mbObs = new Float32Array(mb * d);
        const mbActions = new Int32Array(mb);
        const mbOld = new Float32Array(mb);
        const mbAdv = new Float32Array(mb);
        const mbRet = new Float32Array(mb);
        let mean = 0;
        for (let j = 0; j < mb; j++) {
          const k = order[start + j];
          mbObs.set(obs.subarray(k * d, (k + 1) * d), j * d);
          mbActions[j] = actions[k];
          mbOld[j] = oldLogProbs[k];
          mbAdv[j] = advantages[k];
          mbRet[j] = returns[k];
          mean += advantages[k];
        }
        mean /= mb;
        let variance = 0;
        for (let j = 0; j < mb; j++) variance += (mbAdv[j] - mean) ** 2;
        const std = Math.sqrt(variance / Math.max(1, mb - 1));
        for (let j = 0; j < mb; j++) mbAdv[j] = (mbAdv[j] - mean) / (std + 1e-8);

        const x = this.batch(mbObs);
        const adv = new Tensor(mbAdv, [mb]);
        const { logProb, entropy } = categoricalLogProbAndEntropy(this.actor.forward(x), mbActions);
        const ratio = logProb.sub(new Tensor(mbOld, [mb])).exp();
        const policyLoss = minimum(ratio.mul(adv), ratio.clamp(1 - c.clip, 1 + c.clip).mul(adv))
          .mean()
          .neg();
        const v = this.critic.forward(x).reshape([mb]);
        const valueLoss = v
          .sub(new Tensor(mbRet, [mb]))
          .pow(2)
          .mean()
          .mul(0.5);
        const entropyMean = entropy.mean();
        let loss = policyLoss.add(valueLoss.mul(c.valueCoef));
        if (c.entropyCoef !== 0) loss = loss.sub(entropyMean.mul(c.entropyCoef));
        this.optimizer.zeroGrad();
        loss.backward();
        clipGradNorm(params, c.maxGradNorm);
        this.optimizer.step();

        let clipped = 0;
        for (const r of ratio.f32) if (Math.abs(r - 1) > c.clip) clipped++;
        sums = {
          policy: sums.policy + policyLoss.item(),
          value: sums.value + valueLoss.item(),
          entropy: sums.entropy + entropyMean.item(),
          clipFraction: sums.clipFraction + clipped / mb,
        };
        updates++;
      }
    }
    report.losses = Object.fromEntries(Object.entries(sums).map(([k, s]) => [k, s / Math.max(1, updates)]));
    return report;
  }

  stateDict(): AgentState {
    const opt = optimizerTensors('optim', this.optimizer);
    return {
      tensors: new Map([...moduleTensors('actor', this.actor), ...moduleTensors('critic', this.critic), ...opt.tensors]),
      json: {
        optimizer: opt.json,
        rng: this.rng.getState(),
        envs: this.envs.snapshot(),
        observations: [...this.observations],
        steps: this.steps,
        finished: this.finished,
        iterations: this.iterations,
      },
    };
  }

  loadStateDict(state: AgentState): void {
    const j = state.json;
    loadModuleTensors('actor', this.actor, state.tensors);
    loadModuleTensors('critic', this.critic, state.tensors);
    loadOptimizerTensors('optim', this.optimizer, j.optimizer, state.tensors);
    this.rng.setState(j.rng as RngState);
    this.envs.restore(j.envs as VectorSnapshot);
    this.observations = Float32Array.from(j.observations as number[]);
    this.steps = j.steps as number;
    this.finished = j.finished as number;
    this.iterations = j.iterations as number;
  }
}
