// The status server (node:http, no framework), 127.0.0.1:9464 by default:
//   GET /healthz       health JSON; 200 ok/degraded, 503 failing (Podman HealthCmd, `health`)
//   GET /metrics       Prometheus text exposition
//   GET /              the live page
//   GET /api/status    the same health JSON, always 200 (the page reads it; a 503 there
//                      would only be a console error in the browser)
//   GET /api/history   chart points per sensor for the last 24 h
// HEAD works wherever GET does; other methods 405, other paths 404. Everything it
// serves is built from the DaemonSnapshot, which holds no secrets.
//
// Hostile clients: idle and half-sent connections are closed after a few seconds; past
// MAX_STATUS_CONNECTIONS a new connection closes the oldest idle one, so idle sockets can
// never keep /healthz from answering; while bound to loopback, a Host that is not a
// loopback name gets 421 (a DNS-rebinding page cannot read the location).
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP, type AddressInfo, type Socket } from 'node:net';
import { ConfigError, errorMessage } from '../errors.js';
import { listenUrl } from '../net/listen-url.js';
import type { Logger } from '../log/logger.js';
import { evaluateHealth, type HealthRules } from './health.js';
import { statusPage } from './page.js';
import type { DaemonSnapshot, ReadingHistory } from './snapshot.js';
import type { MetricsSource } from './lazy-metrics.js';

export interface StatusServerOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  snapshot: () => DaemonSnapshot;
  history: ReadingHistory;
  metrics: MetricsSource;
  logger: Logger;
  rules?: Partial<HealthRules>;
  /** How far back /api/history reaches; default 24 h. */
  historyWindowMs?: number;
}

export interface StatusServer {
  /** `http://host:port`, a wildcard bind given as its loopback address. */
  readonly url: string;
  readonly port: number;
  /** Stops listening and ends every connection, keep-alive ones included. */
  close(): Promise<void>;
}

/** /api/history: points as [time ms, °C, %RH], oldest first, per sensor. */
export interface HistoryResponse {
  now: number;
  windowMs: number;
  sensors: Array<{ name: string; points: Array<[number, number, number]> }>;
}

export const DEFAULT_HISTORY_WINDOW_MS = 24 * 3_600_000;

const JSON_TYPE = 'application/json; charset=utf-8';

/** Open connections at most; a busy one is never closed to make room, an idle one is. */
export const MAX_STATUS_CONNECTIONS = 64;
/** How long a connection may sit without a complete request (idle, keep-alive, or half-sent headers). */
export const STATUS_IDLE_TIMEOUT_MS = 5000;
/** A whole request, headers and all, must arrive within this. */
const REQUEST_TIMEOUT_MS = 10_000;
/** How often Node checks the header and request deadlines. */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { logger } = options;
  // Every open connection, in the order they came, with whether a request is in progress.
  const sockets = new Map<Socket, { busy: boolean }>();
  const checkHost = isLoopback(options.host);
  const server = createServer(
    {
      headersTimeout: STATUS_IDLE_TIMEOUT_MS,
      requestTimeout: REQUEST_TIMEOUT_MS,
      connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
    },
    (req, res) => {
      const state = sockets.get(req.socket);
      if (state) state.busy = true;
      res.once('close', () => {
        if (state) state.busy = false;
      });
      if (checkHost && !loopbackHost(req.headers.host)) {
        send(req, res, json(421, { error: 'this status server answers only to a loopback Host (localhost, 127.0.0.1, [::1])' }));
        return;
      }
      void handle(options, req, res);
    },
  );
  server.keepAliveTimeout = STATUS_IDLE_TIMEOUT_MS;
  // A socket that never sends a byte is not a request yet: the idle timeout covers it.
  server.timeout = STATUS_IDLE_TIMEOUT_MS;
  server.on('connection', (socket: Socket) => {
    if (sockets.size >= MAX_STATUS_CONNECTIONS) {
      const idle = [...sockets].find(([, s]) => !s.busy)?.[0];
      if (idle === undefined) {
        socket.destroy();
        return;
      }
      idle.destroy();
      sockets.delete(idle);
    }
    sockets.set(socket, { busy: false });
    socket.once('close', () => sockets.delete(socket));
  });
  // A request that took too long (headers past STATUS_IDLE_TIMEOUT_MS, the whole past
  // REQUEST_TIMEOUT_MS) is a 408, anything else the parser refused a 400; either way the
  // connection is closed, not left half-open for a client that may never read or close.
  server.on('clientError', (err: NodeJS.ErrnoException, socket: Socket) => {
    const status = err.code === 'ERR_HTTP_REQUEST_TIMEOUT' ? '408 Request Timeout' : '400 Bad Request';
    if (socket.writable) socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\n\r\n`, () => socket.destroy());
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, options)));
    server.listen(options.port, options.host, () => {
      server.removeAllListeners('error');
      resolve();
    });
  });
  server.on('error', (err) => logger.error({ err: errorMessage(err) }, 'status server error'));
  const port = (server.address() as AddressInfo).port;
  const url = listenUrl({ host: options.host, port });
  logger.info({ url, bind: options.host }, 'status server listening');

  let closed: Promise<void> | null = null;
  return {
    url,
    port,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        for (const socket of sockets.keys()) socket.destroy();
      });
      return closed;
    },
  };
}

/** A listen failure the user can fix (a taken or privileged port, a foreign address) as a ConfigError; others as they are. */
function listenError(err: NodeJS.ErrnoException, o: StatusServerOptions): Error {
  const given = `${o.host.includes(':') ? `[${o.host}]` : o.host}:${o.port}`;
  const problem: Record<string, string> = {
    EADDRINUSE: 'is already in use by another process',
    EACCES: 'is a privileged port this user may not bind',
    EADDRNOTAVAIL: 'is not an address of this machine',
  };
  const what = err.code === undefined ? undefined : problem[err.code];
  if (what === undefined) return err;
  return new ConfigError('STATUS_LISTEN', `${given} ${what} (got "${given}", expected a free port, or STATUS_LISTEN= to turn the status server off)`);
}

const LOOPBACK_NAMES = new Set(['localhost', '::1', '[::1]']);

function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host) || (isIP(host) === 4 && host.startsWith('127.'));
}

/** A Host header naming a loopback address (any port), or no Host at all (HTTP/1.0 tools). */
function loopbackHost(header: string | undefined): boolean {
  if (header === undefined) return true;
  const host = header.startsWith('[') ? header.slice(0, header.indexOf(']') + 1) : header.replace(/:\d*$/, '');
  return isLoopback(host.toLowerCase());
}

async function handle(o: StatusServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let reply: Reply;
  try {
    reply = await route(o, req);
  } catch (err) {
    o.logger.error({ path: req.url, err: errorMessage(err) }, 'status request failed');
    reply = json(500, { error: 'internal error' });
  }
  send(req, res, reply);
}

function send(req: IncomingMessage, res: ServerResponse, reply: Reply): void {
  res.writeHead(reply.status, {
    'content-type': reply.type,
    'content-length': Buffer.byteLength(reply.body),
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    ...reply.headers,
  });
  res.end(req.method === 'HEAD' ? undefined : reply.body);
}

async function route(o: StatusServerOptions, req: IncomingMessage): Promise<Reply> {
  const path = new URL(req.url ?? '/', 'http://status.invalid').pathname;
  const handler = ROUTES[path];
  if (!handler) return json(404, { error: `no such path: ${path}`, paths: Object.keys(ROUTES) });
  if (req.method !== 'GET' && req.method !== 'HEAD') return { ...json(405, { error: `method ${req.method} not allowed` }), headers: { allow: 'GET, HEAD' } };
  return handler(o);
}

const ROUTES: Record<string, (o: StatusServerOptions) => Promise<Reply> | Reply> = {
  '/healthz': (o) => {
    const health = evaluateHealth(o.snapshot(), o.rules);
    return json(health.httpStatus, health);
  },
  '/api/status': (o) => json(200, evaluateHealth(o.snapshot(), o.rules)),
  '/api/history': (o) => json(200, historyResponse(o)),
  '/metrics': async (o) => ({ status: 200, type: o.metrics.contentType, body: await o.metrics.render() }),
  '/': () => {
    const page = statusPage();
    return { status: 200, type: 'text/html; charset=utf-8', body: page.html, headers: { 'content-security-policy': page.csp, 'referrer-policy': 'no-referrer' } };
  },
};

export function historyResponse(o: Pick<StatusServerOptions, 'snapshot' | 'history' | 'historyWindowMs'>): HistoryResponse {
  const snapshot = o.snapshot();
  const now = snapshot.now;
  const windowMs = o.historyWindowMs ?? DEFAULT_HISTORY_WINDOW_MS;
  const bySensor = new Map<string, Array<[number, number, number]>>();
  for (const r of o.history.points()) {
    if (r.time < now - windowMs) continue;
    let list = bySensor.get(r.sensor);
    if (!list) bySensor.set(r.sensor, (list = []));
    list.push([r.time, r.temperature, r.humidity]);
  }
  // Configured sensors first, in their order, so colours match the sensor cards.
  const order = snapshot.sensors.map((s) => s.name);
  const names = [...new Set([...order, ...bySensor.keys()])];
  return { now, windowMs, sensors: names.map((name) => ({ name, points: bySensor.get(name) ?? [] })) };
}

function json(status: number, value: unknown): Reply {
  return { status, type: JSON_TYPE, body: JSON.stringify(value) };
}
