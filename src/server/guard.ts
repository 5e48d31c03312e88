/**
 * Request guard for the dashboard: DNS-rebinding and cross-site protection.
 *
 * The dashboard starts training processes and reads dataset files, so a web page must not be able to drive it. A page
 * on evil.example can rebind its name to 127.0.0.1 and then talk to the dashboard as "evil.example:PORT"; the browser
 * sends that name in `Host`. So every request must name this server in `Host` (127.0.0.1, localhost, [::1], the
 * configured host, or — when bound to every interface — one of this machine's addresses or its host name), with any
 * port. And every state-changing request (POST, PUT, PATCH, DELETE) that carries an `Origin` (or, without one, a
 * `Referer`, as some browsers send) must come from the same origin as the `Host` it names. Requests without either
 * header (curl, scripts, the CLI) are not cross-site and pass. Refusals are 403 with a JSON `{ error }` that says why
 * and what to do.
 * @example
 *   const app = Fastify();
 *   guardRequests(app, { host: '127.0.0.1' });
 */
import { hostname, networkInterfaces } from 'node:os';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

export interface GuardOptions {
  /** The address the server is bound to (its --host value); default 127.0.0.1. */
  host?: string;
}

const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);
const LOOPBACK_NAMES = ['127.0.0.1', 'localhost', '::1'];
const WILDCARDS = new Set(['0.0.0.0', '::', '']);

/** Lower-cased host name without brackets, so '[::1]' and '::1' compare equal. */
function bare(name: string): string {
  const lower = name.trim().toLowerCase().replace(/\.$/, '');
  return lower.startsWith('[') && lower.endsWith(']') ? lower.slice(1, -1) : lower;
}

/** The names this server answers to: loopback, the configured host, and when bound to all interfaces this machine's. */
export function allowedHostNames(host = '127.0.0.1'): Set<string> {
  const names = new Set(LOOPBACK_NAMES);
  const configured = bare(host);
  if (WILDCARDS.has(configured)) {
    for (const list of Object.values(networkInterfaces())) for (const a of list ?? []) names.add(bare(a.address.split('%')[0]));
    names.add(bare(hostname()));
  } else names.add(configured);
  return names;
}

/** Splits a Host header value ('name', 'name:port', '[v6]', '[v6]:port') into its name; null when malformed. */
export function hostNameOf(value: string): string | null {
  const v = value.trim();
  const m = /^\[([0-9a-fA-F:.%]+)\](?::(\d{1,5}))?$/.exec(v) ?? /^([^:[\]\s/@]+)(?::(\d{1,5}))?$/.exec(v);
  return m ? bare(m[1]) : null;
}

/** The `scheme://host[:port]` a browser puts in Origin, from an Origin or Referer value; null when it is not a URL. */
function originOf(value: string): URL | null {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? url : null;
  } catch {
    return null;
  }
}

function refuse(reply: FastifyReply, message: string): FastifyReply {
  return reply.code(403).header('content-type', 'application/json; charset=utf-8').send({ error: message });
}

/**
 * Registers the guard on `app` (an onRequest hook, so it runs before routing, body parsing and static files — every
 * route, present and future, is covered).
 */
export function guardRequests(app: FastifyInstance, options: GuardOptions = {}): void {
  const allowed = allowedHostNames(options.host);
  const shown = [...new Set(['127.0.0.1', 'localhost', '[::1]', ...(options.host && !WILDCARDS.has(bare(options.host)) ? [options.host] : [])])];
  app.addHook('onRequest', async (req: FastifyRequest, reply: FastifyReply) => {
    const hostHeader = req.headers.host ?? '';
    const name = hostNameOf(hostHeader);
    if (name === null || !allowed.has(name)) {
      return refuse(
        reply,
        `refused: the Host header '${hostHeader}' does not name this dashboard (it answers to ${shown.join(', ')}); ` +
          `this protects it from web pages that rebind their domain to this machine. Open the dashboard at http://127.0.0.1:<port>/, ` +
          `or start it with --host <name> to serve it under another name`,
      );
    }
    if (!STATE_CHANGING.has(req.method)) return;
    const origin = req.headers.origin;
    const referer = req.headers.referer;
    const source = origin !== undefined ? origin : referer;
    if (source === undefined) return;
    const url = originOf(String(source));
    const same = url !== null && url.host.toLowerCase() === hostHeader.trim().toLowerCase() && allowed.has(bare(url.hostname));
    if (!same) {
      const header = origin !== undefined ? 'Origin' : 'Referer';
      return refuse(
        reply,
        `refused: this ${req.method} comes from another site (${header} '${String(source)}', but the dashboard is ${hostHeader}); ` +
          `the dashboard only accepts changes from its own page. Use the dashboard itself, or send the request without an ${header} header (curl, scripts)`,
      );
    }
  });
}

/** Too many runs training at once: the client may retry when one ends (429). */
export class RunLimitError extends Error {
  readonly statusCode = 429;
}

/**
 * Refuses a new run when `maxRuns` are already training or starting (six concurrent POSTs must not start six
 * processes), with the ids of the running ones and how to stop one.
 */
export function checkRunCapacity(runs: readonly { id: string; status: string }[], starting: number, maxRuns: number): void {
  const active = runs.filter((r) => r.status === 'running' || r.status === 'stopping');
  if (active.length + starting < maxRuns) return;
  const ids = active.map((r) => r.id);
  const list = [...ids, ...(starting > 0 ? [`${starting} starting`] : [])].join(', ');
  throw new RunLimitError(
    `${active.length + starting} run${active.length + starting === 1 ? ' is' : 's are'} already training (${list}); the dashboard trains at most ${maxRuns} at a time. ` +
      `Stop one (the Stop button on its page, or POST /api/runs/<id>/stop${ids[0] ? `, e.g. /api/runs/${ids[0]}/stop` : ''}) or wait for it to finish, then start this one again; ` +
      `the cap is set with SIMMER_MAX_RUNS`,
  );
}
