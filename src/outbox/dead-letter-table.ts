// The dead letters of the SQLite outbox: events refused for good, kept aside in the file.
//
// Invariants:
// - Rows are in the order they were dead-lettered (the implicit rowid); lists are newest first.
// - At most `max` are kept: each insert prunes the oldest beyond it in the same transaction
//   as the insert (callers run these inside their transaction).
// - `count` mirrors the table's row count (read at open, kept up to date).
// - Every pruned row is counted (events_dropped_total{reason="dead_letter_pruned"}) and
//   warned about once its transaction committed.
import type Database from 'better-sqlite3';
import type { Logger } from '../log/logger.js';
import type { Counters } from '../metrics/counters.js';
import type { DeadLetter } from './outbox.js';
import { BOOT_JOIN, BOOT_REF, INSERT_BOOT, SCHEMA_VERSION, type EntryRow } from './sqlite-schema.js';

interface DeadLetterRow extends EntryRow {
  status: number | null;
  reason: string;
  failedAt: number;
}

/**
 * The newest dead letters of a file of `version` (inspect.ts reads a file the daemon has not
 * migrated yet). A boot that names no boots row reads as null: a dead letter is only shown.
 */
function deadLettersSql(version: number): string {
  const boot = version >= 3 ? 'b.boot_id' : version === 2 ? 'e.boot_id' : 'NULL';
  const mono = version >= 2 ? 'e.mono_ms' : 'NULL';
  return `SELECT e.seq, e.id, e.time, e.attempts, e.payload, ${mono} AS mono, ${boot} AS bootId,
    e.status, e.reason, e.failed_at AS failedAt
    FROM dead_letters e ${version >= 3 ? BOOT_JOIN : ''} ORDER BY e.rowid DESC LIMIT ?`;
}

export class DeadLetterTable {
  count: number;
  /** Pruned by the transaction under way; reported by `committed`. */
  private pruned = 0;
  private readonly moveFromEvents: Database.Statement<[number | null, string, number, number]>;
  private readonly insertBoot: Database.Statement<[string]>;
  private readonly insertRow: Database.Statement<
    [number, string, number, number, string, number | null, string, number, number | null, string | null]
  >;
  private readonly pruneOldest: Database.Statement<[number]>;
  private readonly selectNewest: Database.Statement<[number], DeadLetterRow>;

  constructor(
    db: Database.Database,
    private readonly max: number,
    private readonly counters?: Counters,
    private readonly logger?: Logger,
  ) {
    this.moveFromEvents = db.prepare(
      `INSERT INTO dead_letters (seq, id, time, attempts, payload, status, reason, failed_at, mono_ms, boot)
       SELECT seq, id, time, attempts, payload, ?, ?, ?, mono_ms, boot FROM events WHERE seq = ?`,
    );
    this.insertBoot = db.prepare(INSERT_BOOT);
    this.insertRow = db.prepare(
      `INSERT INTO dead_letters (seq, id, time, attempts, payload, status, reason, failed_at, mono_ms, boot)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ${BOOT_REF})`,
    );
    this.pruneOldest = db.prepare(
      'DELETE FROM dead_letters WHERE rowid IN (SELECT rowid FROM dead_letters ORDER BY rowid LIMIT ?)',
    );
    this.selectNewest = db.prepare(deadLettersSql(SCHEMA_VERSION));
    this.count = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM dead_letters').get()?.n ?? 0;
  }

  /** Copies an events row here (the caller deletes it from events in the same transaction). */
  moveFromQueue(seq: number, status: number | null, reason: string, failedAt: number): void {
    this.moveFromEvents.run(status, reason, failedAt, seq);
    this.prune(1);
  }

  insert(letters: readonly DeadLetter[]): void {
    for (const d of letters) {
      if (d.bootId !== null) this.insertBoot.run(d.bootId);
      this.insertRow.run(d.seq, d.id, d.time, d.attempts, d.payload, d.status, d.reason, d.failedAt, d.mono, d.bootId);
    }
    if (letters.length > 0) this.prune(letters.length);
  }

  /** Call after the transaction that added `added` rows committed. */
  committed(added: number): void {
    this.count = Math.min(this.count + added, this.max);
    const pruned = this.pruned;
    this.pruned = 0;
    if (pruned > 0) reportPruned(pruned, this.max, this.counters, this.logger);
  }

  newest(limit: number): DeadLetter[] {
    return this.selectNewest.all(limit).map((row) => ({ ...row }));
  }

  private prune(added: number): void {
    const excess = this.count + added - this.max;
    if (excess > 0) this.pruned += this.pruneOldest.run(excess).changes;
  }
}

/** Dead letters are evidence: losing one to the cap is counted and said. */
export function reportPruned(pruned: number, max: number, counters?: Counters, logger?: Logger): void {
  counters?.inc('events_dropped_total', { reason: 'dead_letter_pruned' }, pruned);
  logger?.warn({ pruned, max_dead_letters: max }, 'dead letters past their cap, pruned the oldest');
}

/** Dead letters from an open database of format `version`, most recent first (for inspect.ts, read-only). */
export function selectDeadLetters(db: Database.Database, limit: number, version: number): DeadLetter[] {
  return db
    .prepare<[number], DeadLetterRow>(deadLettersSql(version))
    .all(limit)
    .map((row) => ({ ...row }));
}
