// POSTs one HTTP message to the Drogue endpoint with undici. Keep-alive, bounded
// timeouts, preemptive Basic auth (Drogue never sends a 401 challenge). undici
// does not throw on error statuses, and an unread body pins the connection, so
// every body is consumed.
import { readFileSync } from 'node:fs';
import type { Agent, Dispatcher } from 'undici';
import type { Clock } from '../clock/clock.js';
import type { EndpointConfig } from '../config/config.js';
import type { HttpMessage } from '../event/event-shape.js';
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
  private readonly dispatcher: Dispatcher;
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
    this.timeoutMs = endpoint.requestTimeoutMs + endpoint.commandTimeoutS * 1000;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? createAgent(endpoint, this.timeoutMs, options.connections ?? 4);
  }

  async send(message: HttpMessage, signal?: AbortSignal): Promise<SendResult> {
    const headers: Record<string, string> = { ...message.headers };
    if (this.authorization) headers.authorization = this.authorization;
    try {
      const response = await this.dispatcher.request({
        origin: this.origin,
        path: this.path,
        method: 'POST',
        headers,
        body: message.body,
        headersTimeout: this.timeoutMs,
        bodyTimeout: this.timeoutMs,
        signal,
      });
      const body = Buffer.from(await response.body.arrayBuffer());
      const retryAfter = parseRetryAfter(response.headers['retry-after'], this.clock.now());
      return classifyStatus(response.statusCode, retryAfter, commandOf(response.statusCode, response.headers, body));
    } catch (err) {
      return classifyNetworkError(err);
    }
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
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

function commandOf(status: number, headers: Dispatcher.ResponseData['headers'], body: Buffer): Command | null {
  const name = headers.command;
  if (status !== 200 || name === undefined) return null;
  return { name: Array.isArray(name) ? (name[0] ?? '') : name, payload: body };
}

function createAgent(endpoint: EndpointConfig, timeoutMs: number, connections: number): Agent {
  const tls: { ca?: string; rejectUnauthorized?: boolean } = {};
  if (endpoint.caFile) tls.ca = readFileSync(endpoint.caFile, 'utf8');
  if (endpoint.tlsInsecure) tls.rejectUnauthorized = false;
  const AgentClass = undiciAgent();
  return new AgentClass({
    connections,
    keepAliveTimeout: 30_000,
    keepAliveMaxTimeout: 60_000,
    headersTimeout: timeoutMs,
    bodyTimeout: timeoutMs,
    connect: { timeout: endpoint.requestTimeoutMs, ...tls },
  });
}
