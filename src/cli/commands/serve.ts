/**
 * `simmer serve`: the local dashboard — runs and live curves, evaluation, what the model learned, datasets and
 * labelling, and the gradient-descent playground. Binds 127.0.0.1 unless --host says otherwise.
 */
import type { Command } from 'commander';
import { startServer } from '../../server/app.ts';
import { number } from '../options.ts';

export interface ServeOptions {
  port?: number;
  host?: string;
  runs?: string;
  data?: string;
  /** When the port is taken, take any free one instead of failing (what `simmer start` wants). */
  anyFreePort?: boolean;
}

/**
 * Starts the dashboard, prints its URL, and stops it cleanly (ending any run it is training) on Ctrl-C.
 * `simmer start` calls this at the end so the tour ends in the dashboard.
 * @example await serveDashboard({ runs: 'runs', anyFreePort: true });
 */
export async function serveDashboard(o: ServeOptions = {}): Promise<{ url: string; close(): Promise<void> }> {
  const options = { port: o.port ?? 8080, host: o.host ?? '127.0.0.1', runsRoot: o.runs, dataRoot: o.data };
  let server: Awaited<ReturnType<typeof startServer>>;
  try {
    server = await startServer(options);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw e;
    if (!o.anyFreePort) throw new Error(`port ${options.port} is in use; pick another with --port (0 = any free port)`);
    server = await startServer({ ...options, port: 0 });
  }
  process.stdout.write(`\nSimmer dashboard: ${server.url}  (Ctrl-C to stop)\n`);
  if (o.host && o.host !== '127.0.0.1' && o.host !== 'localhost' && o.host !== '::1')
    process.stdout.write('Warning: the dashboard is reachable from the network and can start training runs; it has no login.\n');
  let closing = false;
  const stop = () => {
    if (closing) process.exit(130);
    closing = true;
    process.stdout.write('\nstopping the dashboard…\n');
    server.close().then(() => process.exit(0));
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  return server;
}

export function register(program: Command): void {
  program
    .command('serve')
    .description('open the dashboard: live training curves, evaluation, Grad-CAM and feature maps, datasets and labelling')
    .option('-p, --port <port>', 'port to listen on', number('--port', { integer: true, min: 0 }), 8080)
    .option('--host <host>', 'address to bind (127.0.0.1 keeps it on this machine)', '127.0.0.1')
    .option('--runs <dir>', 'folder holding runs', process.env.SIMMER_RUNS ?? 'runs')
    .option('--data <dir>', 'folder whose subfolders are datasets to browse, label and train on', 'data')
    .action(async (o: ServeOptions) => {
      await serveDashboard(o);
    });
}
