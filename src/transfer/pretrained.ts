/**
 * The pretrained backbones shipped in the package (pretrained/ at the package root): a manifest naming each one, its
 * architecture, what it was trained on, how well it did there, and the sha256 of its weights file. Loading checks
 * the hash before a byte of the weights is used, so a truncated or edited file is refused, never half-loaded.
 * @example
 *   const { body, entry } = loadPretrained('fmnist-0-4');
 *   entry.trainedOn; // 'Fashion-MNIST classes 0–4 (…)'
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { decodeSafetensors } from '../io/safetensors.ts';
import type { Module } from '../nn/module.ts';
import { type SimmerCnnConfig, simmerCnn, simmerCnnFeatures } from './backbone.ts';

/** The package's own folder of pretrained weights (SIMMER_PRETRAINED overrides it, for tests and experiments). */
export function pretrainedDir(): string {
  return process.env.SIMMER_PRETRAINED ?? fileURLToPath(new URL('../../pretrained/', import.meta.url));
}

export interface PretrainedEntry {
  name: string;
  /** The weights file, relative to the manifest. */
  file: string;
  sha256: string;
  bytes: number;
  arch: 'simmer-cnn';
  config: SimmerCnnConfig;
  /** What it learned from, in words. */
  trainedOn: string;
  /** The classes of the pretraining task (the head that predicted them is not shipped). */
  pretrainClasses: string[];
  /** Its accuracy on the pretraining task, and on which images. */
  accuracy: { value: number; on: string };
  /** The command that reproduces the file. */
  command: string;
  epochs: number;
  images: number;
  seconds: number;
  /** Anything a user should know before choosing it. */
  card: string;
}

export interface Manifest {
  backbones: PretrainedEntry[];
}

export class PretrainedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PretrainedError';
  }
}

export function readManifest(dir = pretrainedDir()): Manifest {
  const file = join(dir, 'manifest.json');
  if (!existsSync(file)) return { backbones: [] };
  const parsed = JSON.parse(readFileSync(file, 'utf8')) as Manifest;
  if (!Array.isArray(parsed.backbones)) throw new PretrainedError(`${file}: no 'backbones' list; reinstall the package or run scripts/pretrain-*.ts again`);
  return parsed;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export function findPretrained(name: string, dir = pretrainedDir()): PretrainedEntry {
  const manifest = readManifest(dir);
  const entry = manifest.backbones.find((b) => b.name === name);
  if (!entry) {
    const names = manifest.backbones.map((b) => b.name);
    throw new PretrainedError(
      `there is no pretrained backbone '${name}'; ${names.length ? `the shipped ones are: ${names.join(', ')}` : `${join(dir, 'manifest.json')} lists none`} (simmer models lists them)`,
    );
  }
  return entry;
}

export interface LoadedBackbone {
  entry: PretrainedEntry;
  /** The pretrained body with its weights (parameters and batch-norm statistics). */
  body: Module;
  /** Length of the body's output vector. */
  features: number;
}

/** Reads and checks a weights file: its sha256 must be the manifest's. */
export function readCheckedWeights(entry: PretrainedEntry, dir = pretrainedDir()): Uint8Array {
  const file = join(dir, entry.file);
  if (!existsSync(file))
    throw new PretrainedError(`pretrained backbone '${entry.name}': its weights file ${file} is missing; reinstall the package, or run ${entry.command}`);
  const bytes = readFileSync(file);
  const actual = sha256(bytes);
  if (actual !== entry.sha256)
    throw new PretrainedError(
      `pretrained backbone '${entry.name}': ${file} has sha256 ${actual} but the manifest expects ${entry.sha256}; the file is corrupt or was changed, so it is refused. Reinstall the package, or run ${entry.command} to make it again`,
    );
  return bytes;
}

export function loadPretrained(name: string, dir = pretrainedDir()): LoadedBackbone {
  const entry = findPretrained(name, dir);
  const bytes = readCheckedWeights(entry, dir);
  const { tensors } = decodeSafetensors(bytes, join(dir, entry.file));
  const body = simmerCnn(entry.config);
  body.loadStateDict(tensors);
  return { entry, body, features: simmerCnnFeatures(entry.config) };
}
