// A local Drogue-style HTTP endpoint (node:http, no framework): the demo's
// receiver, a cloud-free try-out for users, and the real server tests talk to.
// The device protocol follows Drogue Cloud's http-endpoint (test/endpoint/
// drogue-probes.test.ts holds it to Drogue's answers, probe by probe):
//   GET / 200; POST /v1/{channel}[/{suffix...}]?data_schema=&ct=&application=&device=&as=
//   (a repeated known query field or a ct that is not a u64: 400), preemptive Basic
//   auth parsed as Drogue does (no 401 challenge: 403), body <= 64 KiB (413), the
//   payload rule of event-body.ts (406 for a "JSON" content type without JSON),
//   202 accepted, or 200 + `command: NAME` + payload when `ct` was set and a command
//   came within ct seconds. This endpoint grants no gateway rights: `as` naming another
//   device is refused, as Drogue refuses a device that is not that device's gateway.
// Rules are checked in Drogue's order: 404/405 route, 400 query, 413 size, 403
// auth, 406 payload. Faults (see faults.ts) and the control API (`/_control/*`,
// option `control`) let a test or a user in another process stage an outage.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { systemClock, sleepQuietly, type Clock } from '../clock/clock.js';
import { silentLogger, type Logger } from '../log/logger.js';
import { errorMessage } from '../errors.js';
import { listenUrl } from '../net/listen-url.js';
import { CommandQueue } from './command-queue.js';
import { DeviceDirectory, lenientPercentDecode, parseBasicAuth, resolveIdentity, type DeviceIdentity, type DeviceUser } from './device-auth.js';
import type { ContentMode } from '../config/config.js';
import { readPayload, type PayloadResult } from './event-body.js';
import { FaultState, FaultsError, parseFaults, type Faults } from './faults.js';
import { readBody, type BodyResult } from './request-body.js';

export type { Faults } from './faults.js';
export type { DeviceUser } from './device-auth.js';

/** Drogue's payload limit. */
export const MAX_BODY_BYTES = 64 * 1024;

/** Status recorded for a request that got no complete answer (fault `down` or `reset`, client gone). */
export const NO_RESPONSE = 0;

export interface ReceivedEvent {
  /** When the request arrived (the endpoint's clock, ms since the epoch). */
  receivedAt: number;
  method: string;
  /** The path without the query string. */
  path: string;
  /** The `{channel}` path segment, '' when the path had none. */
  channel: string;
  /** The path after the channel (`/v1/{channel}/{suffix...}`, Drogue's topic), null when absent; '' for a trailing slash. */
  subject: string | null;
  /** The query; a repeated parameter keeps its last value. */
  query: Record<string, string>;
  /** Lower-cased names; repeated headers joined with ', '. Includes `authorization` as sent. */
  headers: Record<string, string>;
  app: string | null;
  device: string | null;
  /** The parsed JSON body, null when it was not JSON (or not read). */
  body: unknown;
  rawBody: string;
  /** The content type Drogue would store the payload under; null when it refused it. */
  dataContentType: string | null;
  /** The answer's status; NO_RESPONSE (0) when the connection was dropped instead. */
  status: number;
  /** How a CloudEvent was carried (ce-* headers or a cloudevents+json envelope); null when none. */
  mode: ContentMode | null;
  /** The payload as Drogue stores it: the whole body (a structured event's envelope too), JSON parsed. */
  data: unknown;
  /** CloudEvent attributes from `ce-*` headers (decoded per HTTP binding 3.1.3.2) or the envelope; empty when none. */
  ce: Record<string, string>;
  /** ce-* headers whose value is not a valid percent-encoding (Drogue ignores ce-* headers, so the answer does not change). */
  ceInvalid: string[];
  /** The command answered with a 200, if any. */
  command: string | null;
}

export interface EndpointServer {
  readonly url: string;
  readonly port: number;
  /** Every device request, whatever the answer (status says what it got), in order of answer. */
  readonly received: ReceivedEvent[];
  /** Only the requests answered 2xx. */
  accepted(): ReceivedEvent[];
  setFaults(f: Faults | null): void;
  faults(): Faults | null;
  queueCommand(device: string, name: string, payload: string | Buffer): void;
  /** Devices waiting on `ct` for a command right now. */
  waitingDevices(): string[];
  /** Resolves once `predicate(received)` holds; rejects with WaitForTimeoutError after `timeoutMs`. */
  waitFor(predicate: (e: ReceivedEvent[]) => boolean, timeoutMs: number): Promise<void>;
  /** Stops listening and ends every connection, keep-alive and waiting ones included. */
  close(): Promise<void>;
}

export interface EndpointOptions {
  /** Default 127.0.0.1. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
  /** Known devices; none (the default) makes the endpoint open to any or no credentials. */
  users?: readonly DeviceUser[];
  logger?: Logger;
  /** Called with each answered request; the CLI prints it with formatReceivedEvent. */
  onEvent?: (e: ReceivedEvent) => void;
  /** Serve the control API under /_control/. Off by default. */
  control?: boolean;
  /** Stamps receivedAt and times `ct` waits and `delayMs`; default the system clock. */
  clock?: Clock;
}

export class WaitForTimeoutError extends Error {
  readonly code = 'E_WAIT_TIMEOUT';
  override readonly name = 'WaitForTimeoutError';
}

export async function startEndpoint(options: EndpointOptions = {}): Promise<EndpointServer> {
  const endpoint = new LocalEndpoint(options);
  await endpoint.listen(options.host ?? '127.0.0.1', options.port ?? 0);
  return endpoint;
}

type Draft = Omit<ReceivedEvent, 'status' | 'command'>;

interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string | Buffer;
  command?: string;
}

class LocalEndpoint implements EndpointServer {
  readonly received: ReceivedEvent[] = [];
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private readonly sockets = new Set<Socket>();
  private readonly closing = new AbortController();
  private readonly faultState = new FaultState();
  private readonly commands: CommandQueue;
  private readonly directory: DeviceDirectory;
  private readonly clock: Clock;
  private readonly logger: Logger;
  private readonly listeners = new Set<() => void>();
  private closed: Promise<void> | null = null;
  private address: AddressInfo | null = null;
  private host = '127.0.0.1';

  constructor(private readonly options: EndpointOptions) {
    this.clock = options.clock ?? systemClock;
    this.logger = options.logger ?? silentLogger();
    this.commands = new CommandQueue(this.clock);
    this.directory = new DeviceDirectory(options.users);
    this.server.on('connection', (socket: Socket) => {
      this.sockets.add(socket);
      socket.once('close', () => this.sockets.delete(socket));
    });
  }

  listen(host: string, port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.server.once('error', reject);
      this.server.listen(port, host, () => {
        this.server.off('error', reject);
        this.address = this.server.address() as AddressInfo;
        this.host = host;
        this.logger.info(
          { url: this.url, open: this.directory.open, control: this.options.control === true },
          'endpoint listening',
        );
        resolve();
      });
    });
  }

  get port(): number {
    return this.address?.port ?? 0;
  }

  get url(): string {
    return listenUrl({ host: this.host, port: this.port });
  }

  accepted(): ReceivedEvent[] {
    return this.received.filter((e) => e.status >= 200 && e.status < 300);
  }

  setFaults(f: Faults | null): void {
    this.faultState.set(f);
    this.logger.info({ faults: this.faultState.get() }, 'endpoint faults set');
  }

  faults(): Faults | null {
    return this.faultState.get();
  }

  queueCommand(device: string, name: string, payload: string | Buffer): void {
    this.commands.queue(device, name, payload);
    this.logger.info({ device, command: name }, 'endpoint command queued');
  }

  waitingDevices(): string[] {
    return this.commands.waitingDevices();
  }

  waitFor(predicate: (e: ReceivedEvent[]) => boolean, timeoutMs: number): Promise<void> {
    return new Promise((resolve, reject) => {
      const done = (err?: Error): void => {
        clearTimeout(timer);
        this.listeners.delete(check);
        if (err) reject(err);
        else resolve();
      };
      const check = (): void => {
        if (this.closing.signal.aborted) {
          done(new WaitForTimeoutError(`waitFor: endpoint closed before the condition held (${this.summary()})`));
          return;
        }
        try {
          if (predicate(this.received)) done();
        } catch (err) {
          done(err instanceof Error ? err : new Error(String(err)));
        }
      };
      const timer = setTimeout(() => {
        done(new WaitForTimeoutError(`waitFor: condition not met within ${timeoutMs} ms (${this.summary()})`));
      }, timeoutMs);
      this.listeners.add(check);
      check();
    });
  }

  close(): Promise<void> {
    this.closed ??= new Promise<void>((resolve) => {
      this.closing.abort(new Error('endpoint closing'));
      for (const listener of [...this.listeners]) listener();
      this.server.close(() => resolve());
      this.server.closeAllConnections();
      for (const socket of this.sockets) socket.destroy();
      this.logger.info({ url: this.url }, 'endpoint closed');
    });
    return this.closed;
  }

  private summary(): string {
    const byStatus = new Map<number, number>();
    for (const e of this.received) byStatus.set(e.status, (byStatus.get(e.status) ?? 0) + 1);
    const parts = [...byStatus].map(([status, n]) => `${n}x${status}`);
    return `received ${this.received.length} request(s)${parts.length ? `: ${parts.join(', ')}` : ''}`;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    try {
      const url = new URL(req.url ?? '/', 'http://endpoint.invalid');
      if (this.options.control === true && url.pathname.startsWith('/_control/')) {
        await this.handleControl(req, res, url);
        return;
      }
      if (url.pathname === '/') {
        // Drogue's index route: GET / answers 200; it is no device request, so it is not recorded.
        req.resume();
        answer(res, req.method === 'GET' ? { status: 200 } : withHeaders({ status: 405 }, { allow: 'GET' }));
        return;
      }
      await this.handleDevice(req, res, url);
    } catch (err) {
      this.logger.error({ err: errorMessage(err) }, 'endpoint request failed');
      if (!res.headersSent && !res.destroyed) answer(res, { status: 500, ...errorBody('InternalError', errorMessage(err)) });
      else res.destroy();
    }
  }

  private async handleDevice(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const receivedAt = this.clock.wallNow(); // printed as a date
    const faults = this.faultState.take();
    const route = matchRoute(url.pathname);
    const query = Object.fromEntries(url.searchParams);
    const queryProblem = checkQuery(url.searchParams);
    const identity = resolveIdentity(query, parseBasicAuth(req.headers.authorization));
    const draft: Draft = {
      receivedAt,
      method: req.method ?? 'GET',
      path: url.pathname,
      channel: route?.channel ?? '',
      subject: route?.subject ?? null,
      query,
      headers: flatHeaders(req),
      app: identity?.app ?? query.application ?? null,
      device: identity?.device ?? query.device ?? null,
      body: null,
      rawBody: '',
      dataContentType: null,
      mode: null,
      data: null,
      ce: {},
      ceInvalid: [],
    };

    if (faults?.down) {
      req.socket.destroy();
      this.record(draft, NO_RESPONSE, null);
      return;
    }

    const clientGone = new AbortController();
    res.once('close', () => clientGone.abort());
    const signal = AbortSignal.any([this.closing.signal, clientGone.signal]);

    const read: BodyResult = await readBody(req, MAX_BODY_BYTES);
    if (read.kind === 'aborted') {
      this.record(draft, NO_RESPONSE, null);
      return;
    }
    if (read.kind === 'ok') draft.rawBody = read.body.toString('utf8');
    const parsed = readPayload(req.headers, read.kind === 'ok' ? read.body : Buffer.alloc(0));
    if (parsed.ok) Object.assign(draft, parsed.payload);
    else if (read.kind === 'ok') draft.body = jsonOrNull(draft.rawBody);

    if (faults?.delayMs) await sleepQuietly(this.clock, faults.delayMs, signal);
    if (signal.aborted) {
      this.record(draft, NO_RESPONSE, null);
      return;
    }
    if (faults?.reset) {
      this.resetMidResponse(res);
      this.record(draft, NO_RESPONSE, null);
      return;
    }

    let result: Answer;
    if (faults?.status !== undefined) {
      result = { status: faults.status, ...(faults.status >= 400 ? errorBody('InjectedFault', 'fault injected') : {}) };
    } else {
      result = await this.decide({ method: req.method, route, query, queryProblem, read, identity, parsed, device: draft.device }, signal);
    }
    if (faults?.retryAfter !== undefined) result = withHeaders(result, { 'retry-after': faults.retryAfter });
    if (read.kind === 'too-large') result = withHeaders(result, { connection: 'close' });

    if (res.destroyed) {
      this.record(draft, NO_RESPONSE, null);
      return;
    }
    answer(res, result);
    if (read.kind === 'too-large') lingerThenClose(req);
    this.record(draft, result.status, result.command ?? null);
  }

  /** The protocol's answer to a request that no fault overrides. */
  private async decide(r: DeviceRequest, signal: AbortSignal): Promise<Answer> {
    const { route, query, read, parsed, device } = r;
    if (!route) return { status: 404, ...errorBody('NotFound', 'expected POST /v1/{channel}') };
    if (r.method !== 'POST') {
      return withHeaders({ status: 405, ...errorBody('MethodNotAllowed', 'only POST is allowed') }, { allow: 'POST' });
    }
    if (r.queryProblem !== null) return { status: 400, ...errorBody('InvalidRequest', r.queryProblem) };
    const ct = commandTimeout(query);
    if (read.kind === 'too-large') {
      return { status: 413, ...errorBody('PayloadTooLarge', `body exceeds ${MAX_BODY_BYTES} bytes`) };
    }
    if (!this.directory.verify(r.identity) || !mayActAs(query.as, r.identity)) {
      return { status: 403, ...errorBody('AuthenticationError', 'Authentication failed') };
    }
    if (!parsed.ok) return { status: 406, ...errorBody('InvalidPayload', parsed.reason) };

    if (ct > 0 && device !== null) {
      const command = await this.commands.next(device, ct, signal);
      if (command && signal.aborted) {
        this.commands.requeue(device, command); // never reached the device
      } else if (command) {
        return { status: 200, headers: { command: command.name }, body: command.payload, command: command.name };
      }
    }
    return { status: 202 };
  }

  private resetMidResponse(res: ServerResponse): void {
    res.writeHead(202, { 'content-type': 'application/json', 'content-length': '64' });
    res.write('{"partial":', () => res.socket?.destroy());
  }

  private record(draft: Draft, status: number, command: string | null): void {
    const event: ReceivedEvent = { ...draft, status, command };
    this.received.push(event);
    this.logger.debug(
      { method: event.method, path: event.path, status, app: event.app, device: event.device, command },
      'endpoint request',
    );
    try {
      this.options.onEvent?.(event);
    } catch (err) {
      this.logger.warn({ err: errorMessage(err) }, 'endpoint onEvent handler threw');
    }
    for (const listener of [...this.listeners]) listener();
  }

  private async handleControl(req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const read = await readBody(req, MAX_BODY_BYTES);
    if (read.kind === 'aborted') return;
    const route = `${req.method ?? ''} ${url.pathname}`;
    const known = ['/_control/faults', '/_control/commands', '/_control/received'];
    if (read.kind === 'too-large') {
      answer(res, withHeaders({ status: 413, ...errorBody('PayloadTooLarge', 'too large') }, { connection: 'close' }));
      lingerThenClose(req);
      return;
    }
    const input = read.body.toString('utf8');
    try {
      switch (route) {
        case 'GET /_control/faults':
          answer(res, json(200, this.faults()));
          return;
        case 'POST /_control/faults':
          this.setFaults(parseFaults(parseJson(input)));
          answer(res, json(200, this.faults()));
          return;
        case 'POST /_control/commands': {
          const { device, name, payload } = parseCommand(parseJson(input));
          this.queueCommand(device, name, payload);
          answer(res, { status: 204 });
          return;
        }
        case 'GET /_control/received':
          answer(res, json(200, this.received));
          return;
        default:
          if (known.includes(url.pathname)) answer(res, { status: 405, ...errorBody('MethodNotAllowed', route) });
          else answer(res, { status: 404, ...errorBody('NotFound', url.pathname) });
      }
    } catch (err) {
      if (!(err instanceof FaultsError)) throw err;
      answer(res, { status: 400, ...errorBody('InvalidRequest', err.message) });
    }
  }
}

interface Route {
  channel: string;
  subject: string | null;
}

interface DeviceRequest {
  method: string | undefined;
  route: Route | null;
  query: Record<string, string>;
  /** Why the query cannot be read as Drogue's PublishOptions, or null. */
  queryProblem: string | null;
  read: BodyResult;
  identity: DeviceIdentity | null;
  parsed: PayloadResult;
  /** Who asks for commands: the authenticated device, else the `device` query parameter. */
  device: string | null;
}

// Drogue's routes `/v1/{channel}` and `/v1/{channel}/{suffix:.*}`: a trailing slash is an
// empty suffix. Actix decodes the segments; a malformed `%` stays as it is.
function matchRoute(pathname: string): Route | null {
  const match = /^\/v1\/([^/]+)(?:\/(.*))?$/.exec(pathname);
  if (!match?.[1]) return null;
  return { channel: lenientPercentDecode(match[1]), subject: match[2] === undefined ? null : lenientPercentDecode(match[2]) };
}

// Drogue's PublishOptions, read by serde_urlencoded: a field given twice (ct and its alias
// commandTimeout are one field) is an error, unknown fields are ignored, ct is a u64.
const QUERY_FIELDS: Record<string, string> = { application: 'application', device: 'device', data_schema: 'data_schema', as: 'as', ct: 'ct', commandTimeout: 'ct' };
const U64_MAX = 2n ** 64n - 1n;

function checkQuery(params: URLSearchParams): string | null {
  const seen = new Set<string>();
  for (const [name, value] of params) {
    const field = QUERY_FIELDS[name];
    if (field === undefined) continue;
    if (seen.has(field)) return `duplicate field \`${field}\``;
    seen.add(field);
    if (field === 'ct' && (!/^\+?\d+$/.test(value) || BigInt(value) > U64_MAX)) return 'ct must be a whole number of seconds (u64)';
  }
  return null;
}

/** Seconds to wait for a command (`ct`, or its alias `commandTimeout`); 0 when absent. Checked by checkQuery. */
function commandTimeout(query: Record<string, string>): number {
  const raw = query.ct ?? query.commandTimeout;
  return raw === undefined ? 0 : Number(raw);
}

// Drogue passes `as` to its authentication service, which lets a device act as itself
// and as the devices it is a gateway for; this endpoint knows no gateways.
function mayActAs(as: string | undefined, identity: DeviceIdentity | null): boolean {
  return as === undefined || (identity !== null && as === identity.device);
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function jsonOrNull(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new FaultsError('body must be JSON');
  }
}

function parseCommand(value: unknown): { device: string; name: string; payload: string | Buffer } {
  const input = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  if (typeof input.device !== 'string' || input.device === '') throw new FaultsError('device must be a non-empty string');
  if (typeof input.name !== 'string' || input.name === '') throw new FaultsError('name must be a non-empty string');
  if (typeof input.payloadBase64 === 'string') {
    return { device: input.device, name: input.name, payload: Buffer.from(input.payloadBase64, 'base64') };
  }
  if (input.payload !== undefined && typeof input.payload !== 'string') {
    throw new FaultsError('payload must be a string (or use payloadBase64)');
  }
  return { device: input.device, name: input.name, payload: input.payload ?? '' };
}

// Drogue answers errors with `{"error": KIND, "message": TEXT}`.
function errorBody(error: string, message: string): Pick<Answer, 'headers' | 'body'> {
  return { headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error, message }) };
}

function withHeaders(a: Answer, headers: Record<string, string>): Answer {
  return { ...a, headers: { ...a.headers, ...headers } };
}

function json(status: number, value: unknown): Answer {
  return { status, headers: { 'content-type': 'application/json' }, body: JSON.stringify(value) };
}

function answer(res: ServerResponse, a: Answer): void {
  if (res.destroyed) return;
  const body = a.body ?? '';
  res.writeHead(a.status, { ...a.headers, 'content-length': String(Buffer.byteLength(body)) });
  res.end(body);
}

// After a 413 the rest of the body is unread: let the response go out, discard what
// still arrives for a moment (closing on unread data would reset the connection and
// could eat the answer), then close for good.
function lingerThenClose(req: IncomingMessage): void {
  req.resume();
  const timer = setTimeout(() => req.socket.destroy(), 2000);
  timer.unref();
  req.socket.once('close', () => clearTimeout(timer));
}
