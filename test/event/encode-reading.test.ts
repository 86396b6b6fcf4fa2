import { CloudEvent, HTTP } from 'cloudevents';
import { describe, expect, it } from 'vitest';
import { buildEvent, encodeEvent } from './sdk-oracle.js';
import { decodeHeaderValue } from '../../src/event/ce-header.js';
import { encodeReading } from '../../src/event/encode-reading.js';
import { cases, CTX, HOSTILE, HOSTILE_READING, READING } from './reading-cases.js';

const PRINTABLE_ASCII = /^[\x21-\x7e]+$/;

describe('encodeReading, binary mode: the SDK event, with header values encoded as HTTP binding 3.1.3.2 says', () => {
  for (const [name, reading, ctx] of cases) {
    it(name, () => {
      const ours = encodeReading(reading, ctx, 'binary');
      const sdk = encodeEvent(buildEvent(reading, ctx), 'binary');
      // The same headers in the same order, the same body bytes...
      expect(Object.keys(ours.headers)).toEqual(Object.keys(sdk.headers));
      expect(ours.body).toBe(sdk.body);
      for (const [header, value] of Object.entries(ours.headers)) {
        // ...every value printable ASCII, and the spec's decoder gives back the SDK's attribute value.
        expect(value, header).toMatch(PRINTABLE_ASCII);
        if (header.startsWith('ce-')) expect(decodeHeaderValue(value), header).toBe(sdk.headers[header]);
      }
    });
  }

  it('the subject is the channel posted to, and the source names app and device as URI segments', () => {
    const { headers } = encodeReading(HOSTILE_READING, HOSTILE, 'binary');
    expect(decodeHeaderValue(headers['ce-subject'] ?? '')).toBe(HOSTILE.channel);
    expect(decodeHeaderValue(headers['ce-source'] ?? '')).toBe('drogue://%C4%85pp%20%22x%22%2050%25/pi%201%20%22%C3%BC%22%20%2541');
    expect(decodeHeaderValue(headers['ce-sensor'] ?? '')).toBe(HOSTILE_READING.sensor);
  });

  it('a value that already looks percent-encoded is encoded again, so a receiver does not decode %41 to A', () => {
    const { headers } = encodeReading(READING, { ...CTX, channel: '%41', deviceId: '%41' }, 'binary');
    expect(headers['ce-subject']).toBe('%2541');
    expect(headers['ce-source']).toBe('drogue://dejanb/%252541');
    expect(decodeHeaderValue(headers['ce-subject'] ?? '')).toBe('%41');
  });
});

describe('encodeReading, structured mode', () => {
  for (const [name, reading, ctx] of cases) {
    it(`${name}: the SDK's event, valid against the official CloudEvents JSON schema`, () => {
      const ours = encodeReading(reading, ctx, 'structured');
      const sdk = encodeEvent(buildEvent(reading, ctx), 'structured');
      expect(ours.body).toBe(sdk.body);
      // JSON is UTF-8 by definition; a parameter defeats Drogue's suffix match on "+json".
      expect(ours.headers).toEqual({ 'content-type': 'application/cloudevents+json' });
      // The SDK reads it back and validates it against the official schema (strict mode).
      const event = HTTP.toEvent({ headers: ours.headers, body: ours.body }) as CloudEvent<unknown>;
      expect(event.validate()).toBe(true);
      expect(new CloudEvent(JSON.parse(ours.body) as Record<string, unknown>, true).subject).toBe(ctx.channel);
      expect(event.id).toBe(reading.id);
    });
  }

  it('the official schema refuses a dataschema that is not a URI, so the configuration must (finding 5)', () => {
    const ours = encodeReading(READING, { ...CTX, dataSchema: 'my schema' }, 'structured');
    expect(() => new CloudEvent(JSON.parse(ours.body) as Record<string, unknown>, true)).toThrow();
  });

  it('extra GEOLOCATION keys travel beside lat and lon', () => {
    const ours = encodeReading(HOSTILE_READING, HOSTILE, 'structured');
    expect((JSON.parse(ours.body) as { data: { geoloc: unknown } }).data.geoloc).toEqual({ lat: 1, lon: 2, place: 'Küche "Süd" 5%', alt: 120 });
  });
});
