import { describe, expect, it } from 'vitest';
import { buildEvent, encodeEvent } from './sdk-oracle.js';
import type { EventContext } from '../../src/event/event-shape.js';
import { encodeReading } from '../../src/event/encode-reading.js';
import type { Reading } from '../../src/event/reading.js';

const READING: Reading = { id: '7f0c2a36-5a3f-4a55-9d1e-3f9a3b0c9e11', sensor: 'attic', temperature: 21.3, humidity: 45.1, time: Date.UTC(2026, 10, 25, 12, 0, 0, 250) };
const CTX: EventContext = { appId: 'dejanb', deviceId: 'pi', channel: 'status', dataSchema: 'urn:drogue:iot:temperature', geolocation: { lat: 44.8166, lon: 20.4721 }, nameSensors: false };

const cases: Array<[string, Reading, EventContext]> = [
  ['the seed device', READING, CTX],
  ['no geolocation', READING, { ...CTX, geolocation: null }],
  ['several sensors', READING, { ...CTX, nameSensors: true }],
  ['several sensors, no geolocation', READING, { ...CTX, nameSensors: true, geolocation: null }],
  ['ids that need encoding', READING, { ...CTX, appId: 'my app', deviceId: 'pi/1@x' }],
  ['negative and whole numbers', { ...READING, temperature: -4, humidity: 100, time: 0 }, { ...CTX, geolocation: { lat: -33.9, lon: 151 } }],
  ['another channel and schema', READING, { ...CTX, channel: 'telemetry', dataSchema: 'urn:x:y' }],
];

describe('encodeReading: the same message as the CloudEvents SDK, without it', () => {
  for (const mode of ['binary', 'structured'] as const) {
    for (const [name, reading, ctx] of cases) {
      it(`${mode}: ${name}`, () => {
        const ours = encodeReading(reading, ctx, mode);
        const sdk = encodeEvent(buildEvent(reading, ctx), mode);
        // Same headers in the same order, same body bytes: what the outbox stores is unchanged.
        expect(JSON.stringify(ours)).toBe(JSON.stringify(sdk));
      });
    }
  }
});
