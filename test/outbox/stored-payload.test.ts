// The payload the outbox stores for each reading: the compact form (without the headers
// derived at send time) gives back, byte for byte, the message encode-reading.ts made, in
// both content modes and with every user-given attribute hostile; rows written in the
// older JSON form still read; a clock-step re-stamp keeps the form.
import { describe, expect, it } from 'vitest';
import type { ContentMode } from '../../src/config/config.js';
import type { EventContext, HttpMessage } from '../../src/event/event-shape.js';
import { encodeReading } from '../../src/event/encode-reading.js';
import type { Reading } from '../../src/event/reading.js';
import { cases, CTX as SEED_CTX, HOSTILE, HOSTILE_READING, READING } from '../event/reading-cases.js';
import { parseStoredMessage, readStored, storeMessage } from '../../src/sender/stored-message.js';
import { restamp } from '../../src/time/time-keeper.js';

// The encoder's cases, and one with a newline in every user-given attribute (the compact
// form ends its headers at the first newline).
const NEWLINES: [string, Reading, EventContext] = [
  'a newline in every user-given attribute',
  { ...HOSTILE_READING, id: `${HOSTILE_READING.id}\n`, sensor: `${HOSTILE_READING.sensor}\n` },
  { ...HOSTILE, channel: `${HOSTILE.channel}\n`, geolocation: { lat: 1, lon: 2, place: 'a\nb' } },
];
const CTX = { ...SEED_CTX, channel: 'foo' }; // the bench's device
const wire = (m: HttpMessage): string => JSON.stringify([Object.entries(m.headers), m.body]);

describe('the stored payload', () => {
  for (const mode of ['binary', 'structured'] as ContentMode[]) {
    for (const [name, reading, ctx] of [...cases, NEWLINES]) {
      it(`${mode}, ${name}: gives back the encoded message byte for byte, headers in order`, () => {
        const message = encodeReading(reading, ctx, mode);
        const stored = storeMessage(message, reading);
        expect(wire(parseStoredMessage(stored, reading))).toBe(wire(message));
        expect(stored.length).toBeLessThan(JSON.stringify(message).length - (mode === 'binary' ? 180 : 40));
      });
    }
  }

  it('stores the bench device reading in binary mode without the derived headers', () => {
    const stored = storeMessage(encodeReading(READING, CTX, 'binary'), READING);
    expect(Object.keys(readStored(stored).headers)).toEqual(['ce-source', 'ce-subject', 'ce-dataschema']);
  });

  it('keeps a header that differs from what would be derived, in its place', () => {
    const message = encodeReading(READING, CTX, 'binary');
    message.headers['ce-id'] = 'not-the-entry-id';
    message.headers['ce-specversion'] = '1.1';
    message.headers['ce-time'] = '2020-01-01T00:00:00.000Z';
    const stored = storeMessage(message, READING);
    expect(readStored(stored).headers).toMatchObject({ 'ce-id': 'not-the-entry-id', 'ce-specversion': '1.1', 'ce-time': '2020-01-01T00:00:00.000Z' });
    expect(wire(parseStoredMessage(stored, READING))).toBe(wire(message));
  });

  it('reads a payload of the older JSON form as it is', () => {
    const message = encodeReading(READING, { ...CTX, nameSensors: true }, 'binary');
    expect(wire(parseStoredMessage(JSON.stringify(message), { id: 'another id', time: 0 }))).toBe(wire(message));
  });

  it.each([
    ['no end of headers', 'B{"ce-time":"x"}'],
    ['headers that are not JSON', 'B{"ce-time":\n{}'],
    ['headers that are an array', 'B[1]\n{}'],
    ['a header value that is not a string', 'B{"ce-time":1}\n{}'],
    ['JSON of the wrong shape', '[1,2]'],
    ['a damaged first character', '}{"ce-time":"x"}\n{}'],
  ])('refuses %s with a one-line error', (_, payload) => {
    expect(() => parseStoredMessage(payload, { id: 'id', time: 0 })).toThrow(/^[^\n]+$/);
  });

  for (const mode of ['binary', 'structured'] as ContentMode[]) {
    it(`${mode}: a re-stamp after a clock step changes every time and keeps the compact form`, () => {
      const message = encodeReading(READING, { ...CTX, nameSensors: true }, mode);
      const iso = '2027-01-02T03:04:05.678Z';
      const stamped = restamp(storeMessage(message, READING), iso);
      expect(stamped).not.toBeNull();
      expect(stamped!.charAt(0)).toBe(mode === 'binary' ? 'B' : 'S');
      const expected = encodeReading({ ...READING, time: Date.parse(iso) }, { ...CTX, nameSensors: true }, mode);
      expect(wire(parseStoredMessage(stamped!, READING))).toBe(wire(expected));
    });
  }
});
