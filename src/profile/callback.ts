/**
 * `simmer train --profile` as a Trainer callback: profiling starts when fit starts and stops when it ends, then the
 * table goes to stderr (and the Chrome trace to a file). Typed structurally so src/profile imports nothing above it.
 */
import { PROFILE, startProfile, stopProfile, type ProfileReport } from './profiler.ts';
import { formatProfile, writeChromeTrace } from './report.ts';

export interface ProfileCallbackOptions {
  /** Write the Chrome trace-event JSON here. */
  tracePath?: string;
  /** Where the table goes (default stderr). */
  write?: (text: string) => void;
  /** Receives the report (tests, the bench). */
  onReport?: (report: ProfileReport) => void;
}

/** A Trainer callback (onFitStart / onFitEnd) that profiles the fit. */
export function profileCallback(options: ProfileCallbackOptions = {}): { onFitStart(): void; onFitEnd(): void } {
  const write = options.write ?? ((t: string) => process.stderr.write(t));
  return {
    onFitStart() {
      startProfile({ trace: options.tracePath !== undefined });
    },
    onFitEnd() {
      if (!PROFILE.on) return;
      const report = stopProfile();
      write(`\n${formatProfile(report)}\n`);
      if (options.tracePath) {
        writeChromeTrace(report, options.tracePath);
        write(`trace written to ${options.tracePath} (open it in https://ui.perfetto.dev or chrome://tracing)\n`);
      }
      options.onReport?.(report);
    },
  };
}
