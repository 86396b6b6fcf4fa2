// The status server (node:http, no framework), 127.0.0.1:9464 by default:
//   GET /healthz       health JSON; 200 ok/degraded, 503 failing (Podman HealthCmd, `health`)
//   GET /metrics       Prometheus text exposition
//   GET /              the live page
//   GET /api/status    the same health JSON, always 200 (the page reads it; a 503 there
//                      would only be a console error in the browser)
//   GET /api/history   chart points per sensor for the last 24 h
// HEAD works wherever GET does; other methods 405, other paths 404. Everything it
// serves is built from the DaemonSnapshot, which holds no secrets.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { evaluateHealth, type HealthRules } from './health.js';
import { STATUS_PAGE_CSP, STATUS_PAGE_HTML } from './page.js';
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

interface Reply {
  status: number;
  type: string;
  body: string;
  headers?: Record<string, string>;
}

export async function startStatusServer(options: StatusServerOptions): Promise<StatusServer> {
  const { logger } = options;
  const sockets = new Set<Socket>();
  const server = createServer((req, res) => void handle(options, req, res));
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  server.on('clientError', (_err, socket: Socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = options.host === '0.0.0.0' || options.host === '' ? '127.0.0.1' : options.host === '::' ? '::1' : options.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  logger.info({ url, bind: options.host }, 'status server listening');

  let closed: Promise<void> | null = null;
  return {
    url,
    port,
    close: () => {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}

async function handle(o: StatusServerOptions, req: IncomingMessage, res: ServerResponse): Promise<void> {
  let reply: Reply;
  try {
    reply = await route(o, req);
  } catch (err) {
    o.logger.error({ path: req.url, err: errorMessage(err) }, 'status request failed');
    reply = json(500, { error: 'internal error' });
  }
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
  '/': () => ({
    status: 200,
    type: 'text/html; charset=utf-8',
    body: STATUS_PAGE_HTML,
    headers: { 'content-security-policy': STATUS_PAGE_CSP, 'referrer-policy': 'no-referrer' },
  }),
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
