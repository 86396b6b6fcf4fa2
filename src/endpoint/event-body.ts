// What Drogue makes of a POSTed body (drogue-cloud endpoint-common/src/sender/mod.rs),
// and the CloudEvent a reader of this endpoint can see in it.
// Drogue's payload rule, by the raw Content-Type:
//   "JSON" (`is_json`: starts with application/json or text/json, or ends with +json,
//   case-sensitive, on the whole value, parameters included): the body must parse as
//   JSON (406 otherwise) and is stored as JSON;
//   any other content type: the body is stored as bytes with that content type;
//   no content type: JSON if it parses, else bytes as application/octet-stream.
// Drogue takes the body as the payload whatever it is: a structured CloudEvent is
// stored whole, envelope and all, so `data` here is the envelope too. The attributes
// are still read for display: from `ce-*` headers, decoded per HTTP binding 3.1.3.2,
// or from a structured envelope. Drogue ignores both, so neither decides the answer.
import type { IncomingHttpHeaders } from 'node:http';
import type { ContentMode } from '../config/config.js';
import { decodeHeaderValue } from '../event/ce-header.js';

export interface StoredPayload {
  /** What Drogue stores: parsed JSON, else the body as text. */
  data: unknown;
  /** The content type Drogue stores the payload under. */
  dataContentType: string;
  /** The parsed JSON body, null when it is not JSON. */
  body: unknown;
  /** How a CloudEvent was carried, if one was: ce-* headers, or a cloudevents+json envelope. */
  mode: ContentMode | null;
  /** CloudEvent attributes (decoded ce-* headers, or the envelope's), empty if none. */
  ce: Record<string, string>;
  /** ce-* headers whose value is not a valid encoding (kept raw in `ce`). */
  ceInvalid: string[];
}

export type PayloadResult = { ok: true; payload: StoredPayload } | { ok: false; reason: string };

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

export function isJsonContentType(contentType: string): boolean {
  return contentType.startsWith('application/json') || contentType.startsWith('text/json') || contentType.endsWith('+json');
}

export function readPayload(headers: IncomingHttpHeaders, raw: Buffer): PayloadResult {
  const contentType = visibleAscii(headers['content-type']);
  const json = parseJson(raw);
  let data: unknown;
  let dataContentType: string;
  if (contentType !== null && isJsonContentType(contentType)) {
    if (json === NOT_JSON) return { ok: false, reason: raw.length === 0 ? 'empty body, expected JSON' : 'body is not valid JSON' };
    [data, dataContentType] = [json, 'application/json'];
  } else if (contentType !== null) {
    [data, dataContentType] = [raw.toString('utf8'), contentType];
  } else if (json !== NOT_JSON) {
    [data, dataContentType] = [json, 'application/json'];
  } else {
    [data, dataContentType] = [raw.toString('utf8'), 'application/octet-stream'];
  }
  const body = json === NOT_JSON ? null : json;
  const mediaType = (contentType ?? '').split(';')[0]?.trim().toLowerCase();
  const envelope = mediaType === 'application/cloudevents+json' && isRecord(body) ? body : null;
  if (envelope) return { ok: true, payload: { data, dataContentType, body, mode: 'structured', ce: envelopeAttributes(envelope), ceInvalid: [] } };
  const { ce, invalid } = headerAttributes(headers);
  const mode = Object.keys(ce).length > 0 ? 'binary' : null;
  return { ok: true, payload: { data, dataContentType, body, mode, ce, ceInvalid: invalid } };
}

const NOT_JSON = Symbol('not JSON');

// serde_json::from_slice: valid UTF-8 throughout, one JSON value, surrounding whitespace only.
function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(STRICT_UTF8.decode(raw)) as unknown;
  } catch {
    return NOT_JSON;
  }
}

// http's HeaderValue::to_str() yields nothing unless every byte is visible ASCII (or tab).
function visibleAscii(value: string | undefined): string | null {
  if (value === undefined || !/^[\t\x20-\x7e]*$/.test(value)) return null;
  return value;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function envelopeAttributes(event: Record<string, unknown>): Record<string, string> {
  const ce: Record<string, string> = {};
  for (const [key, value] of Object.entries(event)) {
    if (key === 'data' || key === 'data_base64' || value === null || value === undefined) continue;
    ce[key] = typeof value === 'string' ? value : JSON.stringify(value);
  }
  return ce;
}

function headerAttributes(headers: IncomingHttpHeaders): { ce: Record<string, string>; invalid: string[] } {
  const ce: Record<string, string> = {};
  const invalid: string[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (!name.startsWith('ce-') || value === undefined) continue;
    const raw = Array.isArray(value) ? value.join(', ') : value;
    const attribute = name.slice(3);
    try {
      ce[attribute] = decodeHeaderValue(raw);
    } catch {
      ce[attribute] = raw;
      invalid.push(attribute);
    }
  }
  // In binary mode the payload's type is the request's Content-Type.
  if (Object.keys(ce).length > 0 && headers['content-type'] && ce.datacontenttype === undefined) {
    ce.datacontenttype = headers['content-type'];
  }
  return { ce, invalid };
}
