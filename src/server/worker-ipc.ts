/**
 * The worker side of the supervisor's IPC (supervisor.ts forks train-worker.ts and rl-worker.ts): messages to the
 * server, and a stop flag raised by the server's 'stop' message or by the server going away (a stopped server ends
 * the run as if stopped, so its last checkpoint is written).
 */
export function sendToServer(message: Record<string, unknown>): void {
  process.send?.(message);
}

/** Listens for the stop request; `requested` turns true once it arrives. */
export function listenForStop(): { readonly requested: boolean } {
  const flag = { requested: false };
  process.on('message', (m: { type?: string }) => {
    if (m?.type === 'stop') flag.requested = true;
  });
  process.on('disconnect', () => {
    flag.requested = true;
  });
  return flag;
}
