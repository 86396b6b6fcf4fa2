// POSTs one HTTP message to the Drogue endpoint with undici. Keep-alive, bounded
// timeouts and one overall deadline, preemptive Basic auth (Drogue never sends a 401
// challenge), redirects never followed (undici's dispatch does not follow them, and a
// redirected POST must not carry the credentials elsewhere). undici does not throw on
// error statuses; an answer is read to its end (an unread body pins the connection), with
// the bounds of AnswerHandler, and kept only when it carries a command.
//
// It dispatches with a handler of its own instead of undici's request() API: request()
// builds a response stream and its promise machinery for every POST (~3 KB), and while a
// backlog drained much of it was promoted to V8's old generation (a heap profile of what
// full GCs collected: 141 MB per 50,000 deliveries, 81 MB with this handler). This one
// holds a status and two headers, and lets go of the body when the answer ends.
//
// undici's own headers and body timeouts are off (0): the AnswerHandler's deadline, armed at
// dispatch with the same budget, always fires first (an idle gap is never longer than the
// whole POST), and each of undici's is a timer object per request that lives until its 1 s
// timer sweep, long enough to be promoted to V8's old generation while a backlog drains.
import { CA_FILE_MAX_BYTES, readBoundedFile } from '../config/bounded-file.js';
import type { IncomingHttpHeaders } from 'node:http';
import type { Agent, Dispatcher } from 'undici';
import { MAX_TIMER_MS, type Clock } from '../clock/clock.js';
import type { EndpointConfig } from '../config/config.js';
import type { HttpMessage } from '../event/event-shape.js';
import { AnswerHandler, type Answer } from './answer-handler.js';
import { undiciAgent } from './undici-agent.js';
import { classifyNetworkError, classifyStatus, parseRetryAfter, type Command, type SendResult } from './send-result.js';

export interface Sender {
  send(message: HttpMessage, signal?: AbortSignal): Promise<SendResult>;
  close(): Promise<void>;
}

export interface HttpSenderOptions {
  endpoint: EndpointConfig;
  clock: Clock;
  /** Any undici Dispatcher; tests pass a MockAgent. Default: a keep-alive Agent. */
  dispatcher?: Dispatcher;
  connections?: number;
}

export class HttpSender implements Sender {
  private dispatcher: Dispatcher | null;
  /** Builds the keep-alive Agent on the first send: loading undici is ~45 ms of CPU that READY=1 does not need. */
  private readonly createDispatcher: (() => Dispatcher) | null;
  private readonly ownsDispatcher: boolean;
  private readonly origin: string;
  private readonly path: string;
  private readonly authorization: string | null;
  private readonly timeoutMs: number;
  private readonly clock: Clock;

  constructor(options: HttpSenderOptions) {
    const { endpoint } = options;
    this.clock = options.clock;
    const url = requestUrl(endpoint);
    this.origin = url.origin;
    this.path = url.pathname + url.search;
    this.authorization = basicAuthorization(endpoint);
    // A POST waiting for a cloud command must not time out before the command window ends.
    // The same sum is the whole POST's deadline; kept in a timer's range whatever the config says.
    this.timeoutMs = Math.max(1, Math.min(MAX_TIMER_MS, endpoint.requestTimeoutMs + endpoint.commandTimeoutS * 1000));
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? null;
    if (this.dispatcher === null) {
      // The CA file is read now, so a bad one still stops the start.
      const tls = agentTls(endpoint);
      const connections = options.connections ?? 4;
      this.createDispatcher = () => createAgent(endpoint, connections, tls);
    } else {
      this.createDispatcher = null;
    }
  }

  async send(message: HttpMessage, signal?: AbortSignal): Promise<SendResult> {
    const headers: Record<string, string> = { ...message.headers };
    if (this.authorization) headers.authorization = this.authorization;
    try {
      const answer = await new Promise<Answer>((resolve, reject) => {
        const handler = new AnswerHandler(resolve, reject, signal, this.timeoutMs);
        this.dispatcher ??= (this.createDispatcher as () => Dispatcher)();
        this.dispatcher.dispatch(
          { origin: this.origin, path: this.path, method: 'POST', headers, body: message.body, headersTimeout: 0, bodyTimeout: 0 },
          handler,
        );
      });
      const retryAfter = parseRetryAfter(answer.headers['retry-after'], this.clock.wallNow(), answer.headers.date);
      return classifyStatus(answer.status, retryAfter, commandOf(answer.status, answer.headers, answer.body), answer.headers.location);
    } catch (err) {
      return classifyNetworkError(err);
    }
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher && this.dispatcher !== null) await this.dispatcher.close();
  }
}

/** The endpoint URL with Drogue's query: data_schema always, ct when commands are on. */
export function requestUrl(endpoint: EndpointConfig): URL {
  const url = new URL(endpoint.url.href);
  url.searchParams.set('data_schema', endpoint.dataSchema);
  if (endpoint.commandTimeoutS > 0) url.searchParams.set('ct', String(endpoint.commandTimeoutS));
  return url;
}

/** Drogue's user is `{device}@{app}` with the device id percent-encoded once. */
export function basicAuthorization(endpoint: Pick<EndpointConfig, 'appId' | 'deviceId' | 'password'>): string | null {
  if (endpoint.password === null) return null;
  const user = `${encodeURIComponent(endpoint.deviceId)}@${endpoint.appId}`;
  return `Basic ${Buffer.from(`${user}:${endpoint.password}`).toString('base64')}`;
}

function commandOf(status: number, headers: IncomingHttpHeaders, body: Buffer): Command | null {
  const name = headers.command;
  if (status !== 200 || name === undefined) return null;
  return { name: Array.isArray(name) ? (name[0] ?? '') : name, payload: body };
}

interface AgentTls {
  ca?: string;
  rejectUnauthorized?: boolean;
}

function agentTls(endpoint: EndpointConfig): AgentTls {
  const tls: AgentTls = {};
  if (endpoint.caFile) tls.ca = readBoundedFile(endpoint.caFile, CA_FILE_MAX_BYTES);
  if (endpoint.tlsInsecure) tls.rejectUnauthorized = false;
  return tls;
}

function createAgent(endpoint: EndpointConfig, connections: number, tls: AgentTls): Agent {
  const AgentClass = undiciAgent();
  return new AgentClass({
    connections,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: 0,
    bodyTimeout: 0,
    connect: { timeout: endpoint.requestTimeoutMs, ...tls },
  });
}
