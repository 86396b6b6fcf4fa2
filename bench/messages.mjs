// The exact HTTP messages the daemon stores and posts (headers + body, with the
// Basic authorization the sender adds), built by the daemon's own code from dist/.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildEvent, encodeEvent } from '../dist/event/build-event.js';
import { basicAuthorization } from '../dist/sender/http-sender.js';

export const CONTEXT = { appId: 'dejanb', deviceId: 'pi', channel: 'foo', dataSchema: 'urn:drogue:iot:temperature', geolocation: { lat: 44.8166, lon: 20.4721 }, nameSensors: false };
export const AUTHORIZATION = basicAuthorization({ appId: 'dejanb', deviceId: 'pi', password: 'foobar' });

/** n outbox records (id, time, payload) as the daemon would append them, oldest first. */
export function records(n, start = Date.now() - n * 2000) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const time = start + i * 2000;
    const reading = { id: randomUUID(), sensor: 'sim', time, temperature: 21 + (i % 50) / 10, humidity: 45 + (i % 30) / 10 };
    out.push({ id: reading.id, time, payload: JSON.stringify(encodeEvent(buildEvent(reading, CONTEXT), 'binary')) });
  }
  return out;
}

/** Writes the messages the bare loop posts (payloads plus authorization) to dir; returns the path. */
export function writeMessages(dir, recs) {
  const path = join(dir, 'messages.json');
  writeFileSync(path, JSON.stringify(recs.map((r) => {
    const m = JSON.parse(r.payload);
    return { headers: { ...m.headers, authorization: AUTHORIZATION }, body: m.body };
  })));
  return path;
}
