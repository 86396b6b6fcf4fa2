// What one POST came to, and the one place that decides it (DESIGN §5):
// - 2xx: delivered.
// - 400, 406, 413, 422: the event itself is refused; it goes to the dead letters.
// - 401, 403: the credentials are refused; 3xx, 404, 405, 410 and any other unexpected
//   status: the endpoint or the configuration is wrong. Either way every event is kept and
//   delivery pauses; a wrong path or a redirect must never delete readings.
// - 408, 429, 5xx, network errors, a body past its bound, the overall deadline: retried.
// - An error raised before the request left the machine (undici refused a header value):
//   no retry can fix that event, so it is refused like a 400.

import type { Command } from '../event/command.js';
import { MAX_TIMER_MS } from '../clock/clock.js';

export type { Command };

export type SendResult =
  | { outcome: 'delivered'; status: number; command: Command | null }
  | { outcome: 'retry'; reason: string; status: number | null; retryAfterMs: number | null }
  /** status null: refused before it reached the endpoint. */
  | { outcome: 'rejected'; reason: string; status: number | null }
  | { outcome: 'unauthorized'; reason: string; status: number }
  /** `location`: a redirect's target, without userinfo or query (it may carry secrets). */
  | { outcome: 'endpoint_fault'; reason: string; status: number; location: string | null };

const REASONS: Record<number, string> = {
  400: 'bad request (query or headers)',
  401: 'credentials refused',
  403: 'credentials refused',
  404: 'no such endpoint path',
  405: 'method not allowed at the endpoint path',
  406: 'payload is not valid JSON for the endpoint',
  408: 'request timeout',
  410: 'endpoint path gone',
  413: 'payload too large',
  422: 'payload refused by the endpoint',
  429: 'rate limited',
  503: 'endpoint overloaded',
};

const EVENT_REFUSED = new Set([400, 406, 413, 422]);

export function classifyStatus(status: number, retryAfterMs: number | null, command: Command | null, location?: string | string[]): SendResult {
  const reason = REASONS[status] ?? (status >= 300 && status < 400 ? 'redirected' : `HTTP ${status}`);
  if (status >= 200 && status < 300) return { outcome: 'delivered', status, command };
  if (EVENT_REFUSED.has(status)) return { outcome: 'rejected', reason, status };
  if (status === 401 || status === 403) return { outcome: 'unauthorized', reason, status };
  if (status === 408 || status === 429 || (status >= 500 && status < 600)) return { outcome: 'retry', reason, status, retryAfterMs };
  const redirect = status >= 300 && status < 400 ? safeLocation(location) : null;
  return { outcome: 'endpoint_fault', reason, status, location: redirect };
}

/** A body past its bound and the overall deadline: the sender's own abort reasons. */
export class SendAbort extends Error {
  constructor(readonly reason: 'body_too_large' | 'deadline', readonly status: number | null) {
    super(reason);
    this.name = 'SendAbort';
  }
}

/** undici's codes for a request it refused to put on the wire. */
const UNSENDABLE = new Set(['UND_ERR_INVALID_ARG', 'UND_ERR_NOT_SUPPORTED', 'ERR_INVALID_CHAR', 'ERR_INVALID_HTTP_TOKEN', 'ERR_INVALID_ARG_TYPE', 'ERR_INVALID_ARG_VALUE']);

/** Failures without an answer: network errors and timeouts are retried; an unsendable request is refused. */
export function classifyNetworkError(err: unknown): SendResult {
  if (err instanceof SendAbort) {
    // The deadline before any answer began is what undici's headers timeout reports too: keep one reason for it.
    const reason = err.reason === 'deadline' && err.status === null ? 'response timeout' : err.reason;
    return { outcome: 'retry', reason, status: err.status, retryAfterMs: null };
  }
  const e = err as { code?: string; cause?: { code?: string }; name?: string; message?: string };
  const code = e.cause?.code ?? e.code ?? e.name ?? 'unknown';
  if (UNSENDABLE.has(code)) return { outcome: 'rejected', reason: `invalid request: ${printable(String(e.message ?? code), 120)}`, status: null };
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
  UND_ERR_HEADERS_OVERFLOW: 'response headers too large',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

// RFC 9110 §5.6.7: IMF-fixdate, and the obsolete RFC 850 and asctime forms.
const HTTP_DATE = [
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} \d{2}:\d{2}:\d{2} GMT$/,
  /^(Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), \d{2}-(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)-\d{2} \d{2}:\d{2}:\d{2} GMT$/,
  /^(Mon|Tue|Wed|Thu|Fri|Sat|Sun) (Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) [ \d]\d \d{2}:\d{2}:\d{2} \d{4}$/,
];

/**
 * Retry-After as delta-seconds or an HTTP-date, in [0, MAX_TIMER_MS]; null when absent or
 * not one of those forms. A date counts from the answer's own Date header when it has one
 * (a Pi without a real-time clock may not know the date), else from `wallNowMs`.
 * The caller still bounds the wait by RETRY_MAX.
 */
export function parseRetryAfter(value: string | string[] | undefined, wallNowMs: number, serverDate?: string | string[]): number | null {
  const v = (Array.isArray(value) ? value[0] : value)?.trim();
  if (v === undefined || v === '') return null;
  if (/^\d+$/.test(v)) return Math.min(MAX_TIMER_MS, Number(v) * 1000);
  const at = parseHttpDate(v);
  if (at === null) return null;
  const now = parseHttpDate((Array.isArray(serverDate) ? serverDate[0] : serverDate)?.trim() ?? '') ?? wallNowMs;
  return Math.min(MAX_TIMER_MS, Math.max(0, at - now));
}

function parseHttpDate(value: string): number | null {
  if (!HTTP_DATE.some((form) => form.test(value))) return null;
  const ms = Date.parse(value);
  return Number.isFinite(ms) ? ms : null;
}

/** A redirect's target fit for a log line: no userinfo, no query or fragment, printable, bounded. */
function safeLocation(location: string | string[] | undefined): string | null {
  const raw = Array.isArray(location) ? location[0] : location;
  if (raw === undefined) return null;
  let shown: string;
  try {
    const url = new URL(raw, 'http://relative.invalid');
    shown = url.origin === 'http://relative.invalid' ? url.pathname : url.origin + url.pathname;
  } catch {
    shown = raw.replace(/[?#].*$/s, '').replace(/^[^/]*@/, '');
  }
  return printable(shown, 200);
}

/** At most `max` characters, control characters escaped: safe in one log line. */
function printable(text: string, max: number): string {
  const escaped = text.replace(/\p{Cc}/gu, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
  return escaped.length > max ? `${escaped.slice(0, max)}…` : escaped;
}
