// The exact HTTP messages the daemon stores and posts (headers + body, with the
// Basic authorization the sender adds), built by the daemon's own code from dist/.
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { encodeReading } from '../dist/event/encode-reading.js';
import { basicAuthorization } from '../dist/sender/http-sender.js';
import { parseStoredMessage, storeMessage } from '../dist/sender/stored-message.js';

export const CONTEXT = { appId: 'dejanb', deviceId: 'pi', channel: 'foo', dataSchema: 'urn:drogue:iot:temperature', geolocation: { lat: 44.8166, lon: 20.4721 }, nameSensors: false };
export const AUTHORIZATION = basicAuthorization({ appId: 'dejanb', deviceId: 'pi', password: 'foobar' });

/** n outbox records (id, time, payload) as the daemon would append them, oldest first. */
export function records(n, start = Date.now() - n * 2000) {
  const out = [];
  for (let i = 0; i < n; i++) {
    const time = start + i * 2000;
    const reading = { id: randomUUID(), sensor: 'sim', time, temperature: 21 + (i % 50) / 10, humidity: 45 + (i % 30) / 10 };
    out.push({ id: reading.id, time, payload: storeMessage(encodeReading(reading, CONTEXT, 'binary'), reading) });
  }
  return out;
}

/** Writes the messages the bare loop posts (payloads plus authorization) to dir; returns the path. */
export function writeMessages(dir, recs) {
  const path = join(dir, 'messages.json');
  writeFileSync(path, JSON.stringify(recs.map((r) => {
    const m = parseStoredMessage(r.payload, r);
    return { headers: { ...m.headers, authorization: AUTHORIZATION }, body: m.body };
  })));
  return path;
}

/**
 * Fills `${dataDir}/outbox.db` with n events through the daemon's own SqliteOutbox
 * (same schema and pragmas), in one transaction. Returns the records.
 */
export async function prefill(dataDir, n, maxBytes) {
  const { SqliteOutbox, OUTBOX_FILE } = await import('../dist/outbox/sqlite-outbox.js');
  const recs = records(n);
  const outbox = new SqliteOutbox({ path: join(dataDir, OUTBOX_FILE), maxBytes });
  const { dropped } = outbox.importEntries(recs.map((r, i) => ({ ...r, seq: i + 1, attempts: 0 })));
  const depth = outbox.stats().depth;
  outbox.close();
  if (dropped > 0 || depth !== n) throw new Error(`prefill: ${depth} queued, ${dropped} dropped (maxBytes too small?)`);
  return recs;
}

/** Rows left in the events table of a (closed) outbox file. */
export async function outboxDepth(dataDir) {
  const { default: Database } = await import('better-sqlite3');
  const db = new Database(join(dataDir, 'outbox.db'), { readonly: true });
  try {
    return db.prepare('SELECT count(*) AS n FROM events').get().n;
  } finally {
    db.close();
  }
}
