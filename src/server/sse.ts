/** Server-sent events over a raw Node response: `event:` + JSON `data:` frames, and a comment every 15 s to keep proxies open. */
import type { ServerResponse } from 'node:http';

export interface SseStream {
  send(event: string, data: unknown): void;
  /** Called once, when the client goes away or the server closes the stream. */
  onClose(fn: () => void): void;
  close(): void;
}

export function openSse(res: ServerResponse): SseStream {
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\n\n');
  const closers: (() => void)[] = [];
  let closed = false;
  const keepAlive = setInterval(() => res.write(': keep-alive\n\n'), 15_000);
  const finish = () => {
    if (closed) return;
    closed = true;
    clearInterval(keepAlive);
    for (const fn of closers) fn();
  };
  res.on('close', finish);
  return {
    send(event, data) {
      if (!closed) res.write(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
    },
    onClose(fn) {
      closers.push(fn);
    },
    close() {
      finish();
      res.end();
    },
  };
}
