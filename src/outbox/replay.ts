// `dht-telemetry outbox replay`: dead letters back into the queue, so a fixed endpoint can
// still get what a wrong path, a redirect or a bad deployment made it refuse.
//
// Invariants:
// - Only with the data directory locked (the daemon stopped): a running daemon reads ahead
//   above a cursor and counts its depth once, so rows put in behind its back would not be
//   seen, and seqs could collide with the ones it hands out.
// - A replayed dead letter gets its original seq back, so it takes its original place in the
//   queue (seq order is measurement order); only if an events row holds that seq (it cannot,
//   unless the file was edited) it goes after everything. id, time, payload, attempts,
//   mono_ms and boot are kept.
// - One transaction, synced (synchronous=FULL on this connection): all chosen or none.
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { DataDirLock } from './data-dir-lock.js';
import { OUTBOX_FILE } from './sqlite-outbox.js';
import { prepareOutboxDatabase } from './sqlite-schema.js';

export interface ReplayFilter {
  /** Only dead letters refused with this HTTP status. */
  status?: number;
  /** Only dead letters refused at or after this time, ms since the epoch. */
  since?: number;
}

export function replayDeadLetters(dataDir: string, filter: ReplayFilter): { replayed: number } {
  const lock = DataDirLock.acquire(dataDir);
  try {
    const db = new Database(join(dataDir, OUTBOX_FILE), { fileMustExist: true });
    try {
      prepareOutboxDatabase(db, join(dataDir, OUTBOX_FILE));
      db.pragma('synchronous = FULL');
      const chosen = db
        .prepare<[number | null, number | null, number | null, number | null], { rowid: number; seq: number }>(
          `SELECT rowid, seq FROM dead_letters
           WHERE (? IS NULL OR status = ?) AND (? IS NULL OR failed_at >= ?) ORDER BY rowid`,
        )
        .all(filter.status ?? null, filter.status ?? null, filter.since ?? null, filter.since ?? null);
      const taken = db.prepare<[number], { n: number }>('SELECT count(*) AS n FROM events WHERE seq = ?');
      const nextSeq = db.prepare<[], { s: number }>(
        'SELECT max(coalesce((SELECT max(seq) FROM events), 0), coalesce((SELECT max(seq) FROM dead_letters), 0)) + 1 AS s',
      );
      const move = db.prepare<[number, number]>(
        `INSERT INTO events (seq, id, time, attempts, payload, mono_ms, boot)
         SELECT ?, id, time, attempts, payload, mono_ms, boot FROM dead_letters WHERE rowid = ?`,
      );
      const remove = db.prepare<[number]>('DELETE FROM dead_letters WHERE rowid = ?');
      db.transaction(() => {
        for (const { rowid, seq } of chosen) {
          const at = (taken.get(seq)?.n ?? 0) === 0 ? seq : (nextSeq.get()?.s ?? seq);
          move.run(at, rowid);
          remove.run(rowid);
        }
      })();
      return { replayed: chosen.length };
    } finally {
      db.close();
    }
  } finally {
    lock.release();
  }
}
