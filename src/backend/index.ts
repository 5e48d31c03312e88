/**
 * Chooses the backend every op runs on: the native addon where it built and loaded, otherwise the JS reference.
 * SIMMER_BACKEND=js|native selects explicitly; a native backend that cannot load is reported once, with the reason.
 */
import type { Backend } from './backend.ts';
import { jsBackend } from './js/index.ts';
import { loadNativeBackend, nativeAddon } from './native/load.ts';
import { noteBackend, PROFILE, profiledBackend, profileFromEnv } from '../profile/index.ts';

export type { Backend } from './backend.ts';
export { jsBackend } from './js/index.ts';

let current: Backend | null = null;
let warned = false;

function warnOnce(message: string): void {
  if (warned) return;
  warned = true;
  process.emitWarning(message, { code: 'SIMMER_NATIVE_UNAVAILABLE' });
}

function pickDefault(): Backend {
  const wanted = process.env.SIMMER_BACKEND;
  if (wanted !== undefined && wanted !== '' && wanted !== 'js' && wanted !== 'native') {
    throw new Error(`SIMMER_BACKEND=${wanted} is not a backend; use SIMMER_BACKEND=js or SIMMER_BACKEND=native`);
  }
  if (wanted === 'js') return jsBackend;
  const native = loadNativeBackend();
  if (native.backend) return native.backend;
  if (wanted === 'native') throw new Error(`SIMMER_BACKEND=native but the native addon could not be loaded: ${native.error}`);
  warnOnce(`Simmer is running on the slower JS backend because the native addon could not be loaded: ${native.error}`);
  return jsBackend;
}

/** The backend ops run on now (while profiling, the same kernels timed: src/profile/). */
export function backend(): Backend {
  if (current === null) {
    current = pickDefault();
    profileFromEnv();
  }
  if (PROFILE.on) {
    noteBackend(current.name);
    return profiledBackend(current);
  }
  return current;
}

/** Switches every following op to the named backend (the native one must have loaded). */
export function setBackend(name: 'js' | 'native' | Backend): Backend {
  if (typeof name !== 'string') current = name;
  else if (name === 'js') current = jsBackend;
  else {
    const native = loadNativeBackend();
    if (!native.backend) throw new Error(`setBackend('native'): the native addon could not be loaded: ${native.error}`);
    current = native.backend;
  }
  return current;
}

/** Runs fn with the given backend, then restores the previous one (tests compare backends this way). */
export function withBackend<T>(b: Backend, fn: () => T): T {
  const previous = current; // the plain backend, never its profiled wrapper
  current = b;
  try {
    return fn();
  } finally {
    current = previous;
  }
}

/**
 * Gives memory freed by collected tensors back to the operating system (a no-op on the JS backend, where V8 owns it).
 * The trainer calls it between epochs so the process size follows what is live, not the peak of the last epoch.
 */
export function releaseMemory(): void {
  if (current !== null && current.name === 'js') return;
  nativeAddon()?.releaseMemory?.();
}
