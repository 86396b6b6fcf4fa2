// What a device POSTed, read the way a CloudEvents receiver reads it. Binary
// content mode: the body is the payload (JSON) and the attributes are `ce-*`
// headers. Structured mode (Content-Type application/cloudevents+json): the body
// is the whole event as JSON. Drogue itself takes any body as the payload; this
// endpoint insists on JSON and answers 406 otherwise, as Drogue does for a
// payload it rejects.
import type { IncomingHttpHeaders } from 'node:http';
import type { ContentMode } from '../config/config.js';

export type ParsedEventBody =
  | {
      ok: true;
      mode: ContentMode;
      /** The parsed body as sent. */
      body: unknown;
      /** The payload: the body in binary mode, the event's `data` in structured mode. */
      data: unknown;
      /** CloudEvent attributes (from `ce-*` headers or the structured event), empty if none. */
      ce: Record<string, string>;
    }
  | { ok: false; reason: string };

const REQUIRED = ['specversion', 'id', 'source', 'type'] as const;

export function parseEventBody(headers: IncomingHttpHeaders, raw: string): ParsedEventBody {
  const contentType = (headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';
  let body: unknown;
  try {
    body = JSON.parse(raw);
  } catch {
    return { ok: false, reason: raw.length === 0 ? 'empty body, expected JSON' : 'body is not valid JSON' };
  }
  if (contentType === 'application/cloudevents+json') return structured(body);
  return { ok: true, mode: 'binary', body, data: body, ce: headerAttributes(headers) };
}

function structured(body: unknown): ParsedEventBody {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return { ok: false, reason: 'structured CloudEvent must be a JSON object' };
  }
  const event = body as Record<string, unknown>;
  const missing = REQUIRED.filter((k) => typeof event[k] !== 'string' || event[k] === '');
  if (missing.length > 0) return { ok: false, reason: `structured CloudEvent lacks ${missing.join(', ')}` };
  const ce: Record<string, string> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'data' || key === 'data_base64' || value === null || value === undefined) continue;
    ce[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  let data: unknown = event.data;
  if (data === undefined && typeof event.data_base64 === 'string') {
    const text = Buffer.from(event.data_base64, 'base64').toString('utf8');
    try {
      data = JSON.parse(text);
    } catch {
      data = text;
    }
  }
  return { ok: true, mode: 'structured', body, data, ce };
}

function headerAttributes(headers: IncomingHttpHeaders): Record<string, string> {
  const ce: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('ce-') || value === undefined) continue;
    ce[name.slice(3)] = percentDecoded(Array.isArray(value) ? value.join(', ') : value);
  }
  // In binary mode the payload's type is the request's Content-Type.
  if (Object.keys(ce).length > 0 && headers['content-type'] && ce.datacontenttype === undefined) {
    ce.datacontenttype = headers['content-type'];
  }
  return ce;
}

// The HTTP binding percent-encodes header values outside printable ASCII; a
// sender that did not encode (a bare `%`) keeps its value as sent.
function percentDecoded(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}
