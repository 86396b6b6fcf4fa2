// The HTTP message as the outbox stores it (event/event-shape.ts HttpMessage), and back,
// with a check of its shape: a row damaged on an SD card may still parse.
//
// Two forms, told apart by the first character:
//   `{`  JSON of the whole HttpMessage {headers, body}: rows written before the compact form
//        (outbox format 1 and 2), read as they are.
//   `B` / `S`  the compact form (binary / structured content mode), written from format 3 on:
//        `B` + JSON of the headers without the ones derived at send time, `\n`, the body as
//        it is (JSON.stringify never writes a raw newline, so the first one ends the headers);
//        `S\n` + the body. Derived, only where they were dropped: content-type (the mode's),
//        ce-id and ce-time (the entry's id and time, encoded as encode-reading.ts does: a
//        re-stamp after a clock step writes ce-time into the payload, so it is kept there),
//        ce-type and ce-specversion (the only values this daemon writes). A header is dropped only when
//        it equals what is derived, and the headers are rebuilt in encode-reading.ts's order:
//        what is sent is the message that was encoded, byte for byte.
// Why: a row must fit twice in a 1 KiB page (outbox/sqlite-schema.ts, Write volume); the
// derived headers were ~180 of a ~410-byte payload, the escaping of the body in JSON ~20.
import { encodeHeaderValue } from '../event/ce-header.js';
import { BINARY_CONTENT_TYPE, STRUCTURED_CONTENT_TYPE } from '../event/encode-reading.js';
import { EVENT_TYPE, type HttpMessage } from '../event/event-shape.js';

/** A payload's parts as stored: `headers` without what is derived when `compact`. */
export interface StoredMessage {
  compact: boolean;
  /** Binary content mode: the time is in ce-time and the body is the data. */
  binary: boolean;
  headers: Record<string, string>;
  body: string;
}

const SPEC_VERSION = '1.0';
/** encode-reading.ts's header order, for the headers that are derived or come before one. */
const LEADING_HEADERS = ['content-type', 'ce-id', 'ce-time', 'ce-type', 'ce-source', 'ce-specversion'] as const;

/** What a stored payload belongs to: the outbox entry's id and time. */
export interface StoredEvent {
  id: string;
  /** ms since the epoch */
  time: number;
}

function derived(binary: boolean, event: StoredEvent): Record<string, string> {
  if (!binary) return { 'content-type': STRUCTURED_CONTENT_TYPE };
  return {
    'content-type': BINARY_CONTENT_TYPE,
    'ce-id': encodeHeaderValue(event.id),
    'ce-time': new Date(event.time).toISOString(),
    'ce-type': EVENT_TYPE,
    'ce-specversion': SPEC_VERSION,
  };
}

/** The payload the outbox stores for `message`, stored as `event` (compact form). */
export function storeMessage(message: HttpMessage, event: StoredEvent): string {
  const binary = message.headers['content-type'] !== STRUCTURED_CONTENT_TYPE;
  const derive = derived(binary, event);
  const kept: Record<string, string> = {};
  for (const name in message.headers) {
    const value = message.headers[name] as string;
    if (derive[name] !== value) kept[name] = value;
  }
  return writeStored({ compact: true, binary, headers: kept, body: message.body });
}

/** Throws a one-line Error naming what is wrong when `payload` is not a stored message. */
export function readStored(payload: string): StoredMessage {
  const form = payload.charAt(0);
  if (form === 'B' || form === 'S') {
    const end = payload.indexOf('\n');
    if (end < 0) throw new Error('not a stored HTTP message (no end of headers)');
    const headers = end === 1 ? {} : checkHeaders(parseJson(payload.slice(1, end), 'its headers are'));
    return { compact: true, binary: form === 'B', headers, body: payload.slice(end + 1) };
  }
  const value = parseJson(payload, 'it is');
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a stored HTTP message (expected a JSON object)');
  const { headers, body } = value as { headers?: unknown; body?: unknown };
  if (typeof body !== 'string') throw new Error('not a stored HTTP message (body is not a string)');
  const checked = checkHeaders(headers);
  // binary as the re-stamp has always told it for this form: by a ce-time header.
  return { compact: false, binary: 'ce-time' in checked, headers: checked, body };
}

/** The payload for `stored` again, in the form it was read in. */
export function writeStored(stored: StoredMessage): string {
  if (!stored.compact) return JSON.stringify({ headers: stored.headers, body: stored.body });
  const headers = Object.keys(stored.headers).length === 0 ? '' : JSON.stringify(stored.headers);
  return `${stored.binary ? 'B' : 'S'}${headers}\n${stored.body}`;
}

/** The message to send for a payload stored as `event`. Throws like readStored. */
export function parseStoredMessage(payload: string, event: StoredEvent): HttpMessage {
  const stored = readStored(payload);
  if (!stored.compact) return { headers: stored.headers, body: stored.body };
  const derive = derived(stored.binary, event);
  const headers: Record<string, string> = {};
  for (const name of LEADING_HEADERS) {
    const value = stored.headers[name] ?? derive[name];
    if (value !== undefined) headers[name] = value;
  }
  for (const name in stored.headers) if (!Object.hasOwn(headers, name)) headers[name] = stored.headers[name] as string;
  return { headers, body: stored.body };
}

/** JSON.parse's own message quotes the text, which may hold a newline: one line instead. */
function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new Error(`not a stored HTTP message (${what} not JSON)`);
  }
}

function checkHeaders(headers: unknown): Record<string, string> {
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) throw new Error('not a stored HTTP message (headers is not an object)');
  // for…in, not Object.values: no array per event (JSON.parse makes only own, plain keys).
  for (const name in headers) if (typeof (headers as Record<string, unknown>)[name] !== 'string') throw new Error('not a stored HTTP message (a header value is not a string)');
  return headers as Record<string, string>;
}
