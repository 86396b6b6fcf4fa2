// What one POST came to, and the one place that decides it (DESIGN §5):
// 2xx delivered; 400/406/413 (and other 4xx) refused for good; 403 wrong
// credentials; 408, 429, 5xx and network errors worth retrying.

import type { Command } from '../event/command.js';

export type { Command };

export type SendResult =
  | { outcome: 'delivered'; status: number; command: Command | null }
  | { outcome: 'retry'; reason: string; status: number | null; retryAfterMs: number | null }
  | { outcome: 'rejected'; reason: string; status: number }
  | { outcome: 'unauthorized'; reason: string; status: number };

const REASONS: Record<number, string> = {
  400: 'bad request (query or headers)',
  403: 'credentials refused',
  404: 'no such endpoint path',
  406: 'payload is not valid JSON for the endpoint',
  408: 'request timeout',
  413: 'payload too large',
  429: 'rate limited',
  503: 'endpoint overloaded',
};

export function classifyStatus(status: number, retryAfterMs: number | null, command: Command | null): SendResult {
  const reason = REASONS[status] ?? `HTTP ${status}`;
  if (status >= 200 && status < 300) return { outcome: 'delivered', status, command };
  if (status === 403 || status === 401) return { outcome: 'unauthorized', reason, status };
  if (status === 408 || status === 429 || status >= 500) return { outcome: 'retry', reason, status, retryAfterMs };
  return { outcome: 'rejected', reason, status };
}

/** Network-level failures: connection refused or reset, DNS, timeouts. Always retried. */
export function classifyNetworkError(err: unknown): SendResult {
  const e = err as { code?: string; cause?: { code?: string }; name?: string };
  const code = e.cause?.code ?? e.code ?? e.name ?? 'unknown';
  return { outcome: 'retry', reason: NETWORK_REASONS[code] ?? `network error ${code}`, status: null, retryAfterMs: null };
}

const NETWORK_REASONS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  UND_ERR_SOCKET: 'connection reset',
  ENOTFOUND: 'DNS lookup failed',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connect timeout',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_HEADERS_TIMEOUT: 'response timeout',
  UND_ERR_BODY_TIMEOUT: 'response body timeout',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

/** Retry-After as delta-seconds or an HTTP-date; null when absent or unreadable. */
export function parseRetryAfter(value: string | string[] | undefined, now: number): number | null {
  const v = Array.isArray(value) ? value[0] : value;
  if (v === undefined || v.trim() === '') return null;
  if (/^\d+$/.test(v.trim())) return Number(v.trim()) * 1000;
  const date = Date.parse(v);
  return Number.isNaN(date) ? null : Math.max(0, date - now);
}
