// The HTTP message as the outbox stores it (JSON of event/event-shape.ts HttpMessage),
// read back with a check of its shape: a row damaged on an SD card may still be JSON.
import type { HttpMessage } from '../event/event-shape.js';

/** Throws a one-line Error naming what is wrong when `payload` is not a stored HttpMessage. */
export function parseStoredMessage(payload: string): HttpMessage {
  const value: unknown = JSON.parse(payload);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Error('not a stored HTTP message (expected a JSON object)');
  const { headers, body } = value as { headers?: unknown; body?: unknown };
  if (typeof body !== 'string') throw new Error('not a stored HTTP message (body is not a string)');
  if (typeof headers !== 'object' || headers === null || Array.isArray(headers)) throw new Error('not a stored HTTP message (headers is not an object)');
  // for…in, not Object.values: no array per event (JSON.parse makes only own, plain keys).
  for (const name in headers) if (typeof (headers as Record<string, unknown>)[name] !== 'string') throw new Error('not a stored HTTP message (a header value is not a string)');
  return { headers: headers as Record<string, string>, body };
}
