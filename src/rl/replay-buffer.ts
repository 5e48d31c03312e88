/**
 * The experience replay of DQN: a fixed-capacity ring of transitions (s, a, r, s′, terminated), the oldest
 * overwritten first, sampled uniformly with replacement into batched tensors. Only `terminated` is stored as the
 * done flag: a transition cut by a time limit still bootstraps from s′.
 * @example
 *   const buf = new ReplayBuffer(10_000, 4);
 *   buf.add(obs, action, reward, nextObs, terminated);
 *   const b = buf.sample(64, gen); // b.observations [64, 4], b.actions int32 [64, 1], b.rewards [64, 1], …
 */
import type { Generator } from '../tensor/random.ts';
import { Tensor } from '../tensor/tensor.ts';

export interface ReplayBatch {
  observations: Tensor;
  actions: Tensor;
  rewards: Tensor;
  nextObservations: Tensor;
  /** 1 where the episode terminated at this transition (no bootstrap), else 0; [B, 1]. */
  dones: Tensor;
}

export class ReplayBuffer {
  readonly observations: Float32Array;
  readonly nextObservations: Float32Array;
  readonly actions: Int32Array;
  readonly rewards: Float32Array;
  readonly dones: Float32Array;
  private cursor = 0;
  private filled = 0;

  constructor(
    readonly capacity: number,
    readonly obsSize: number,
    /** Shape of one observation, for the batches (default [obsSize]). */
    readonly obsShape: readonly number[] = [obsSize],
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new RangeError(`ReplayBuffer: capacity must be a positive integer, got ${capacity}`);
    this.observations = new Float32Array(capacity * obsSize);
    this.nextObservations = new Float32Array(capacity * obsSize);
    this.actions = new Int32Array(capacity);
    this.rewards = new Float32Array(capacity);
    this.dones = new Float32Array(capacity);
  }

  get size(): number {
    return this.filled;
  }

  /** Where the next transition goes (oldest slot once full). */
  get position(): number {
    return this.cursor;
  }

  add(observation: ArrayLike<number>, action: number, reward: number, nextObservation: ArrayLike<number>, terminated: boolean): void {
    if (observation.length !== this.obsSize || nextObservation.length !== this.obsSize)
      throw new RangeError(`ReplayBuffer.add: observations must have ${this.obsSize} values, got ${observation.length} and ${nextObservation.length}`);
    const i = this.cursor;
    this.observations.set(observation, i * this.obsSize);
    this.nextObservations.set(nextObservation, i * this.obsSize);
    this.actions[i] = action;
    this.rewards[i] = reward;
    this.dones[i] = terminated ? 1 : 0;
    this.cursor = (i + 1) % this.capacity;
    this.filled = Math.min(this.filled + 1, this.capacity);
  }

  /** The slots a batch would hold (uniform with replacement over what is stored). */
  sampleIndices(batchSize: number, gen: Generator): Int32Array {
    if (this.filled === 0) throw new Error('ReplayBuffer.sample: the buffer is empty; add transitions first');
    const idx = new Int32Array(batchSize);
    for (let b = 0; b < batchSize; b++) idx[b] = gen.int(0, this.filled);
    return idx;
  }

  sample(batchSize: number, gen: Generator): ReplayBatch {
    return this.gather(this.sampleIndices(batchSize, gen));
  }

  /** The transitions at the given slots as batched tensors. */
  gather(indices: Int32Array): ReplayBatch {
    const b = indices.length;
    const d = this.obsSize;
    const obs = new Float32Array(b * d);
    const next = new Float32Array(b * d);
    const actions = new Int32Array(b);
    const rewards = new Float32Array(b);
    const dones = new Float32Array(b);
    const from = this.observations;
    const fromNext = this.nextObservations;
    for (let k = 0; k < b; k++) {
      const i = indices[k];
      // A copy loop, not subarray().set(): two view objects per transition cost more than copying 4 floats (CartPole).
      for (let j = 0, src = i * d, dst = k * d; j < d; j++) {
        obs[dst + j] = from[src + j];
        next[dst + j] = fromNext[src + j];
      }
      actions[k] = this.actions[i];
      rewards[k] = this.rewards[i];
      dones[k] = this.dones[i];
    }
    const shape = [b, ...this.obsShape];
    return {
      observations: new Tensor(obs, shape),
      actions: new Tensor(actions, [b, 1]),
      rewards: new Tensor(rewards, [b, 1]),
      nextObservations: new Tensor(next, shape),
      dones: new Tensor(dones, [b, 1]),
    };
  }

  /** Everything stored, for a checkpoint (tensors) plus the ring position (JSON). */
  stateDict(): { tensors: Map<string, Tensor>; json: { cursor: number; filled: number } } {
    const n = this.filled;
    const d = this.obsSize;
    return {
      tensors: new Map([
        ['replay.observations', new Tensor(this.observations.slice(0, n * d), [n, d])],
        ['replay.nextObservations', new Tensor(this.nextObservations.slice(0, n * d), [n, d])],
        ['replay.actions', new Tensor(this.actions.slice(0, n), [n])],
        ['replay.rewards', new Tensor(this.rewards.slice(0, n), [n])],
        ['replay.dones', new Tensor(this.dones.slice(0, n), [n])],
      ]),
      json: { cursor: this.cursor, filled: n },
    };
  }

  loadStateDict(tensors: Map<string, Tensor>, json: { cursor: number; filled: number }): void {
    const get = (name: string) => {
      const t = tensors.get(name);
      if (!t) throw new Error(`ReplayBuffer.loadStateDict: the checkpoint has no '${name}'; was it saved by a DQN run?`);
      return t.data;
    };
    if (json.filled > this.capacity)
      throw new RangeError(`ReplayBuffer.loadStateDict: the checkpoint holds ${json.filled} transitions, more than capacity ${this.capacity}`);
    this.observations.set(get('replay.observations'));
    this.nextObservations.set(get('replay.nextObservations'));
    this.actions.set(get('replay.actions'));
    this.rewards.set(get('replay.rewards'));
    this.dones.set(get('replay.dones'));
    this.cursor = json.cursor;
    this.filled = json.filled;
  }
}
