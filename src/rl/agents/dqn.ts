/**
 * DQN (Mnih et al. 2015) with the usual refinements: an experience replay, a target network (hard copies every
 * targetUpdateInterval steps, or Polyak averaging with tau < 1), ε-greedy exploration on a linear schedule, the Huber
 * loss, gradient-norm clipping, and double DQN (van Hasselt et al. 2016: the online network picks the next action, the
 * target network values it). Training runs every trainFreq environment steps, gradientSteps minibatches at a time,
 * once learningStarts transitions are stored.
 * @example
 *   const agent = new DQN({ env: 'cartpole', seed: 1 });
 *   while (agent.envSteps < 50_000) agent.iterate();
 */
import { noGrad } from '../../autograd/grad-mode.ts';
import { smoothL1 } from '../../ops/loss.ts';
import { gather } from '../../ops/shape.ts';
import type { Sequential } from '../../nn/layers/container.ts';
import { clipGradNorm } from '../../optim/clip.ts';
import { Adam } from '../../optim/optimizers.ts';
import { Generator, type RngState } from '../../tensor/random.ts';
import { Tensor } from '../../tensor/tensor.ts';
import { type Agent, type AgentState, type IterationReport, loadModuleTensors, loadOptimizerTensors, moduleTensors, optimizerTensors } from '../agent.ts';
import { buildNet, greedyActions, type NetSpec, observationBatch } from '../nets.ts';
import { type EnvName, type EnvOptions, makeEnv } from '../registry.ts';
import { ReplayBuffer } from '../replay-buffer.ts';
import { linearSchedule } from '../schedule.ts';
import { flatSize } from '../spaces.ts';
import { VectorEnv, type VectorSnapshot } from '../vector-env.ts';

export interface DqnConfig {
  env: EnvName;
  envOptions?: EnvOptions;
  seed: number;
  bufferSize: number;
  learningStarts: number;
  batchSize: number;
  gamma: number;
  learningRate: number;
  trainFreq: number;
  gradientSteps: number;
  /** Environment steps between target updates. */
  targetUpdateInterval: number;
  /** 1 = hard copy; < 1 = Polyak averaging θ′ ← τθ + (1 − τ)θ′ at each target update. */
  tau: number;
  epsilonStart: number;
  epsilonEnd: number;
  /** Steps over which ε falls from start to end. */
  epsilonSteps: number;
  double: boolean;
  maxGradNorm: number;
  hidden: number[];
  convChannels: number[];
  /** Environment steps per iterate() call. */
  chunk: number;
}

export const DQN_DEFAULTS: Omit<DqnConfig, 'env' | 'seed'> = {
  bufferSize: 50_000,
  learningStarts: 1000,
  batchSize: 64,
  gamma: 0.99,
  learningRate: 2.3e-3,
  trainFreq: 256,
  gradientSteps: 128,
  targetUpdateInterval: 10,
  tau: 1,
  epsilonStart: 1,
  epsilonEnd: 0.04,
  epsilonSteps: 8000,
  double: true,
  maxGradNorm: 10,
  hidden: [64, 64],
  convChannels: [16, 32],
  chunk: 1000,
};

/**
 * The TD targets r + γ·(1 − terminated)·Q′(s′, a′) of a batch as [B, 1], with a′ the picked action of each row of
 * nextQ [B, actions] (double DQN: the online network's greedy action; else the target's own argmax, i.e. its max).
 * A loop over B values instead of five broadcast ops on [B, 1] tensors, at a fifth of the cost per update; each
 * product and sum is rounded to float32 as the ops round them, so the targets are bit for bit the same.
 */
export function tdTargets(rewards: Float32Array, dones: Float32Array, nextQ: Float32Array, picked: Int32Array, gamma: number): Tensor {
  const b = rewards.length;
  const actions = nextQ.length / b;
  const g = Math.fround(gamma);
  const out = new Float32Array(b);
  for (let k = 0; k < b; k++) {
    const bootstrap = Math.fround(Math.fround(1 - dones[k]) * nextQ[k * actions + picked[k]]);
    out[k] = Math.fround(rewards[k] + Math.fround(bootstrap * g));
  }
  return new Tensor(out, [b, 1]);
}

export class DQN implements Agent {
  readonly algo = 'dqn';
  readonly config: DqnConfig;
  readonly online: Sequential;
  readonly target: Sequential;
  readonly replay: ReplayBuffer;
  readonly envs: VectorEnv;
  private readonly optimizer: Adam;
  private readonly rng: Generator;
  private readonly epsilon: (step: number) => number;
  private readonly obsShape: readonly number[];
  /** The online parameters (clipped every update) and target ← online tensor pairs, listed once, not per update. */
  private readonly params: Tensor[];
  private readonly targetPairs: [Tensor, Tensor][];
  private observations: Float32Array;
  private steps = 0;
  private finished = 0;

  constructor(config: Partial<DqnConfig> & Pick<DqnConfig, 'env' | 'seed'>) {
    this.config = { ...DQN_DEFAULTS, ...config };
    const c = this.config;
    this.envs = new VectorEnv(() => makeEnv(c.env, c.envOptions), 1);
    const space = this.envs.observationSpace;
    this.obsShape = space.kind === 'box' ? space.shape : [1];
    const spec: NetSpec =
      this.obsShape.length === 3
        ? {
            kind: 'conv',
            inputShape: this.obsShape as [number, number, number],
            channels: c.convChannels,
            hidden: c.hidden[0] ?? 64,
            outputs: this.envs.numActions,
          }
        : { kind: 'mlp', inputs: flatSize(space), hidden: c.hidden, outputs: this.envs.numActions, activation: 'relu' };
    const initGen = new Generator(c.seed * 7919 + 2);
    this.online = buildNet(spec, initGen);
    this.target = buildNet(spec, initGen);
    this.target.loadStateDict(this.online.stateDict());
    this.params = this.online.parameters();
    const online = this.online.stateDict();
    this.targetPairs = [...this.target.stateDict()].map(([k, t]) => [t, online.get(k) as Tensor]);
    this.optimizer = new Adam(this.online.parameters(), { lr: c.learningRate });
    this.replay = new ReplayBuffer(c.bufferSize, this.envs.obsSize, this.obsShape);
    this.rng = new Generator(c.seed);
    this.epsilon = linearSchedule(c.epsilonStart, c.epsilonEnd, c.epsilonSteps);
    this.observations = this.envs.reset(c.seed * 1000);
  }

  get actor(): Sequential {
    return this.online;
  }

  get envSteps(): number {
    return this.steps;
  }

  get episodes(): number {
    return this.finished;
  }

  /** The exploration rate at the current step. */
  get currentEpsilon(): number {
    return this.epsilon(this.steps);
  }

  greedyActions(observations: Tensor): Int32Array {
    return noGrad(() => greedyActions(this.online.forward(observations)));
  }

  iterate(): IterationReport {
    const c = this.config;
    const report: IterationReport = { episodes: [], losses: {} };
    let lossSum = 0;
    let updates = 0;
    for (let k = 0; k < c.chunk; k++) {
      const action =
        this.rng.uniform() < this.epsilon(this.steps)
          ? this.rng.int(0, this.envs.numActions)
          : this.greedyActions(observationBatch(this.observations, this.obsShape))[0];
      const r = this.envs.step([action]);
      const next = r.finalObservations[0] ?? r.observations;
      this.replay.add(this.observations, action, r.rewards[0], next, r.terminated[0] === 1);
      this.observations = r.observations;
      this.steps++;
      report.episodes.push(...r.episodes);
      if (this.steps >= c.learningStarts && this.steps % c.trainFreq === 0) {
        for (let g = 0; g < c.gradientSteps; g++) {
          lossSum += this.trainStep();
          updates++;
        }
      }
      if (this.steps % c.targetUpdateInterval === 0) this.updateTarget();
    }
    this.finished += report.episodes.length;
    if (updates > 0) report.losses = { td: lossSum / updates, epsilon: this.epsilon(this.steps) };
    return report;
  }

  /** One minibatch of temporal-difference learning; returns the Huber loss. */
  trainStep(): number {
    const c = this.config;
    const b = this.replay.sample(c.batchSize, this.rng);
    const target = noGrad(() => {
      const nextTarget = this.target.forward(b.nextObservations);
      const picked = c.double ? greedyActions(this.online.forward(b.nextObservations)) : greedyActions(nextTarget);
      return tdTargets(b.rewards.f32, b.dones.f32, nextTarget.f32, picked, c.gamma);
    });
    const q = gather(this.online.forward(b.observations), 1, b.actions);
    const loss = smoothL1(q, target);
    this.optimizer.zeroGrad();
    loss.backward();
    clipGradNorm(this.params, c.maxGradNorm);
    this.optimizer.step();
    return loss.item();
  }

  private updateTarget(): void {
    const tau = this.config.tau;
    for (const [target, online] of this.targetPairs) {
      const src = online.f32;
      const dst = target.f32;
      if (tau >= 1) dst.set(src);
      else for (let j = 0; j < dst.length; j++) dst[j] = tau * src[j] + (1 - tau) * dst[j];
      target.bumpVersion();
    }
  }

  stateDict(): AgentState {
    const opt = optimizerTensors('optim', this.optimizer);
    const replay = this.replay.stateDict();
    return {
      tensors: new Map([...moduleTensors('online', this.online), ...moduleTensors('target', this.target), ...opt.tensors, ...replay.tensors]),
      json: {
        optimizer: opt.json,
        replay: replay.json,
        rng: this.rng.getState(),
        envs: this.envs.snapshot(),
        observations: [...this.observations],
        steps: this.steps,
        finished: this.finished,
      },
    };
  }

  loadStateDict(state: AgentState): void {
    const j = state.json;
    loadModuleTensors('online', this.online, state.tensors);
    loadModuleTensors('target', this.target, state.tensors);
    loadOptimizerTensors('optim', this.optimizer, j.optimizer, state.tensors);
    this.replay.loadStateDict(state.tensors, j.replay as { cursor: number; filled: number });
    this.rng.setState(j.rng as RngState);
    this.envs.restore(j.envs as VectorSnapshot);
    this.observations = Float32Array.from(j.observations as number[]);
    this.steps = j.steps as number;
    this.finished = j.finished as number;
  }
}
