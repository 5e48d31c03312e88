/**
 * What a test needs from the machine (the native addon, Chromium, Fashion-MNIST, Open MPI) and what happens when it is missing.
 * Locally a missing requirement skips the test and says why. In CI (`.ci/run` sets SIMMER_REQUIRE_NATIVE=1,
 * SIMMER_REQUIRE_CHROMIUM=1, SIMMER_REQUIRE_FASHION_MNIST=1) it throws instead, so a broken native build or a missing
 * package fails the suite rather than turning green by skipping.
 * @example
 *   const skip = skipUnless('native', native !== null, loaded.error);
 *   test('native matmul', { skip }, () => { ... });
 */

export interface Requirement {
  /** What is missing, in words. */
  what: string;
  /** The environment variable that turns a skip into a failure. */
  env: string;
  /** How to provide it. */
  fix: string;
}

export const REQUIREMENTS = {
  native: {
    what: 'the native addon (build/Release/simmer_native.node)',
    env: 'SIMMER_REQUIRE_NATIVE',
    fix: 'run `npm run build:native` and read its compiler output (it needs g++, make and python3)',
  },
  chromium: {
    what: 'Chromium (/usr/bin/chromium)',
    env: 'SIMMER_REQUIRE_CHROMIUM',
    fix: "install Debian's package: apt-get install chromium",
  },
  'fashion-mnist': {
    what: 'Fashion-MNIST (/usr/share/datasets/fashion-mnist)',
    env: 'SIMMER_REQUIRE_FASHION_MNIST',
    fix: "install Debian's package: apt-get install dataset-fashion-mnist",
  },
  mpi: {
    what: 'Open MPI (mpirun) and the MPI addon (native/mpi/build/Release/simmer_mpi.node)',
    env: 'SIMMER_REQUIRE_MPI',
    fix: 'apt-get install openmpi-bin libopenmpi-dev, then `npm run build:native` (build/mpi-build.log has the compiler output)',
  },
} satisfies Record<string, Requirement>;

export type RequirementName = keyof typeof REQUIREMENTS;

/** True when the environment demands this requirement (its variable is set to anything but '' or '0'). */
export function isRequired(name: RequirementName): boolean {
  const v = process.env[REQUIREMENTS[name].env];
  return v !== undefined && v !== '' && v !== '0';
}

/**
 * `false` (run the test) when `available`; otherwise a skip reason naming what is missing and the fix, or, when the
 * requirement's environment variable is set, an Error saying the same (thrown while the test file loads, so the file
 * fails and `npm test` exits non-zero).
 */
export function skipUnless(name: RequirementName, available: boolean, detail?: string | null): false | string {
  if (available) return false;
  const r = REQUIREMENTS[name];
  const why = `${r.what} is unavailable${detail ? ` (${detail})` : ''}; to fix: ${r.fix}`;
  if (isRequired(name)) throw new Error(`${r.env} is set, so this suite must not skip: ${why}`);
  return why;
}
