/**
 * The profiler (see ./profiler.ts): spans at the backend seam and the autograd, optimizer and trainer boundaries, a
 * table that sums to the profiled time, and a Chrome trace. SIMMER_PROFILE=1 profiles the whole process and prints
 * the table to stderr when it exits; SIMMER_PROFILE_TRACE=trace.json also writes the trace there.
 */
import { formatProfile, writeChromeTrace } from './report.ts';
import { PROFILE, startProfile, stopProfile } from './profiler.ts';

export * from './profiler.ts';
export * from './report.ts';
export * from './callback.ts';

let fromEnv = false;

/** Starts the process-wide profile SIMMER_PROFILE=1 asks for (once; the table is printed at exit). */
export function profileFromEnv(env: NodeJS.ProcessEnv = process.env): boolean {
  const on = env.SIMMER_PROFILE;
  if (fromEnv || on === undefined || on === '' || on === '0') return false;
  fromEnv = true;
  const tracePath = env.SIMMER_PROFILE_TRACE;
  startProfile({ trace: tracePath !== undefined && tracePath !== '' });
  process.once('exit', () => {
    if (!PROFILE.on) return; // someone else stopped it and reported
    const report = stopProfile();
    process.stderr.write(`${formatProfile(report)}\n`);
    if (tracePath) {
      writeChromeTrace(report, tracePath);
      process.stderr.write(`trace written to ${tracePath} (open it in https://ui.perfetto.dev or chrome://tracing)\n`);
    }
  });
  return true;
}
