// The durable outbox: one SQLite file (better-sqlite3), `${dataDir}/outbox.db`.
//
// On-disk format (PRAGMA user_version = 1):
//   events(seq INTEGER PRIMARY KEY, id TEXT, time INTEGER, attempts INTEGER, payload TEXT)
//     One row per event waiting for a 2xx. seq is the rowid and the queue order: handed out
//     in increasing order as readings are appended (never reused while this process runs,
//     and above every seq in the file at open), so seq order is measurement order even when
//     the wall clock steps backwards (NTP on a Pi without an RTC). time is the measurement
//     time in ms since the epoch (carried, never sorted on); payload the structured
//     CloudEvent JSON; attempts the failed sends so far.
//   dead_letters(seq, id, time, attempts, payload, status INTEGER NULL, reason TEXT,
//                failed_at INTEGER)
//     Events the endpoint refused for good, in the order they were refused (implicit rowid),
//     at most `maxDeadLetters` (the oldest are pruned in the same transaction).
//   No secondary index: the order is the rowid, so "the oldest" is a rowid range scan.
//
// Memory does not grow with the backlog (it lives on disk): kept are the depth and byte
// totals (one aggregate query at open, then kept up to date), the leases (seq -> bytes), and
// `pending`: the oldest rows not leased, at most WINDOW read ahead (with payloads) plus the
// entries released back (seq and bytes only, re-read when taken again).
//
// Invariants:
// - An event is in `events` from the commit of its append until the commit that acks it,
//   drops it or moves it to dead_letters; each of those is one transaction.
// - synchronous=FULL in WAL mode: every commit fsyncs the WAL, acks included (several acks
//   share one transaction when the caller batches them), so an append that returned survives
//   power loss and an ack that returned is not undone by one: after SIGKILL or power loss at
//   most the events in flight are sent again. Leases are not stored: after a crash
//   everything is pending again.
// - `cursor` is the highest seq read from `events` by a refill (0 before the first). Every
//   row with seq <= cursor is either leased or in `pending`; rows above it are found by the
//   next refill (which skips leased ones: adopted leases can lie above it). `pending` is
//   sorted by seq, and every seq in it is <= cursor.
// - The byte total (sum of UTF-8 payload lengths) is at most maxBytes after every append,
//   except while in-flight entries alone exceed it (they are never dropped).
//
// Write volume (an SD card wears): an append is one autocommit INSERT that dirties the last
// table leaf page; an ack call is one transaction of DELETEs. Choices:
// - page_size 1024 (set before the first table is made, so only for new files): a WAL frame
//   is 1024 + 24 bytes, so a one-row commit appends ~1 KiB instead of ~4 KiB and rarely
//   crosses a 4 KiB filesystem page. With 4096 the same workload wrote about 1.6x more.
// - no index besides the rowid: an index on another column would add a page to every commit.
// - wal_autocheckpoint 1000 pages (~1 MiB of WAL): a checkpoint writes each hot page once
//   for ~hundreds of readings; going lower costs more, higher saves little. The WAL file is
//   reused from its start after a checkpoint (no truncate/regrow churn); journal_size_limit
//   caps it at 4 MiB after a burst.
// Measured on ext4 (/proc/self/io write_bytes, 366-byte events, append + take + ack):
// ~10 KiB per delivered reading with one ack per reading, ~7.2 KiB with acks of 10, ~6.7 KiB
// with acks of 50. The floor is the filesystem's: every fsynced commit dirties at least one
// 4 KiB page, and each append is its own commit, so <= 4 KiB per reading needs fewer commits
// (e.g. deletes deferred into the next append's transaction), not smaller pages.
import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../clock/clock.js';
import { TelemetryError } from '../errors.js';
import type { Counters } from '../metrics/counters.js';
import {
  DEFAULT_DEAD_LETTER_LIMIT,
  payloadBytes,
  type DeadLetter,
  type Outbox,
  type OutboxEntry,
  type OutboxRecord,
  type OutboxStats,
} from './outbox.js';
import { SeqCounter } from './seq-counter.js';
import { classifyStorageFault } from './storage-fault.js';

export const OUTBOX_FILE = 'outbox.db';
export const SCHEMA_VERSION = 1;
const PAGE_SIZE = 1024;
const WAL_AUTOCHECKPOINT_PAGES = 1000;
const JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024;
/**
 * SQLite's page cache, KiB. better-sqlite3 builds with 16 MiB, which a long backlog fills (the
 * open-time totals and the drain read every page once): RSS that grows with the backlog. The
 * hot pages (the b-tree's interior pages, the first and last leaves) fit in far less; the
 * rest is read from the OS page cache.
 */
const CACHE_KIB = 1024;
/** Rows read ahead into memory by one refill: payloads included, so ~WINDOW KiB at most. */
const WINDOW = 256;
/** Rows looked at per query when choosing what to drop for the byte bound. */
const VICTIM_BATCH = 64;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  time INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  time INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  payload TEXT NOT NULL,
  status INTEGER,
  reason TEXT NOT NULL,
  failed_at INTEGER NOT NULL
);
PRAGMA user_version = ${SCHEMA_VERSION};
`;

export interface SqliteOutboxOptions {
  /** The database file, usually `${dataDir}/outbox.db`. Its directory must exist. */
  path: string;
  maxBytes: number;
  /** Dead letters kept; the oldest are pruned beyond this. Default 1000. */
  maxDeadLetters?: number;
  counters?: Counters;
  clock?: Clock;
  seqs?: SeqCounter;
  /**
   * Called when opening finds the file corrupt, before the handle closes: closing the last
   * connection makes SQLite delete the -wal and -shm, so this is the moment to move them aside.
   */
  onCorrupt?: () => void;
}

interface EntryRow {
  seq: number;
  id: string;
  time: number;
  attempts: number;
  payload: string;
}

/** A row of `pending`: `row` is absent for an entry released back (re-read when taken). */
interface PendingSlot {
  seq: number;
  bytes: number;
  row?: EntryRow;
}

interface Victim {
  seq: number;
  bytes: number;
}

interface DeadLetterRow extends EntryRow {
  status: number | null;
  reason: string;
  failedAt: number;
}

export class SqliteOutbox implements Outbox {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly maxBytes: number;
  private readonly maxDeadLetters: number;
  private readonly counters: Counters | undefined;
  private readonly clock: Clock;
  private readonly seqs: SeqCounter;
  private depth = 0;
  private totalBytes = 0;
  /** Taken and not settled: seq -> payload bytes. */
  private readonly leased = new Map<number, number>();
  /** The oldest rows not leased, by seq (see the header). */
  private pending: PendingSlot[] = [];
  private cursor = 0;
  /** The largest seq in the file at open: seqs above it were handed out by this process. */
  private maxSeqAtOpen = 0;
  private deadCount = 0;
  private droppedCount = 0;
  private closed = false;

  private readonly insertEvent: Database.Statement<[number, string, number, number, string]>;
  private readonly selectEvent: Database.Statement<[number], EntryRow>;
  private readonly selectBytes: Database.Statement<[number], { bytes: number }>;
  private readonly selectAfter: Database.Statement<[number, number], EntryRow>;
  private readonly selectOldest: Database.Statement<[number, number], { seq: number; bytes: number }>;
  private readonly deleteEvent: Database.Statement<[number]>;
  private readonly bumpAttempts: Database.Statement<[number]>;
  private readonly moveToDead: Database.Statement<[number | null, string, number, number]>;
  private readonly insertDead: Database.Statement<
    [number, string, number, number, string, number | null, string, number]
  >;
  private readonly pruneDead: Database.Statement<[number]>;
  private readonly selectDead: Database.Statement<[number], DeadLetterRow>;
  /** Built once: db.transaction() makes several closures per call, per ack during a drain. */
  private readonly deleteMany: Database.Transaction<(seqs: readonly number[]) => void>;
  private readonly insertAndDrop: Database.Transaction<
    (entries: readonly OutboxEntry[], excess: number, deadLetters: readonly DeadLetter[]) => Victim[]
  >;

  /** Opens or creates the file; throws the SqliteError (code SQLITE_*) when it cannot. */
  constructor(options: SqliteOutboxOptions) {
    this.path = options.path;
    this.maxBytes = options.maxBytes;
    this.maxDeadLetters = options.maxDeadLetters ?? 1000;
    this.counters = options.counters;
    this.clock = options.clock ?? systemClock;
    this.seqs = options.seqs ?? new SeqCounter();
    this.db = new Database(options.path);
    try {
      this.db.pragma(`page_size = ${PAGE_SIZE}`);
      const mode: unknown = this.db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') {
        throw new TelemetryError('E_OUTBOX', `outbox: SQLite refused WAL mode (got ${String(mode)})`);
      }
      this.db.pragma('synchronous = FULL');
      this.db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
      this.db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
      this.db.pragma('temp_store = MEMORY');
      this.db.pragma(`cache_size = -${CACHE_KIB}`);
      const version = this.db.pragma('user_version', { simple: true });
      if (typeof version === 'number' && version > SCHEMA_VERSION) {
        throw new TelemetryError(
          'E_OUTBOX',
          `outbox: ${options.path} has format ${version}, newer than this version understands (${SCHEMA_VERSION})`,
        );
      }
      this.db.exec(SCHEMA);
      this.insertEvent = this.db.prepare(
        'INSERT INTO events (seq, id, time, attempts, payload) VALUES (?, ?, ?, ?, ?)',
      );
      this.selectEvent = this.db.prepare('SELECT seq, id, time, attempts, payload FROM events WHERE seq = ?');
      this.selectBytes = this.db.prepare('SELECT octet_length(payload) AS bytes FROM events WHERE seq = ?');
      this.selectAfter = this.db.prepare(
        'SELECT seq, id, time, attempts, payload FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
      );
      this.selectOldest = this.db.prepare(
        'SELECT seq, octet_length(payload) AS bytes FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
      );
      this.deleteEvent = this.db.prepare('DELETE FROM events WHERE seq = ?');
      this.bumpAttempts = this.db.prepare('UPDATE events SET attempts = attempts + 1 WHERE seq = ?');
      this.moveToDead = this.db.prepare(
        `INSERT INTO dead_letters (seq, id, time, attempts, payload, status, reason, failed_at)
         SELECT seq, id, time, attempts, payload, ?, ?, ? FROM events WHERE seq = ?`,
      );
      this.insertDead = this.db.prepare(
        `INSERT INTO dead_letters (seq, id, time, attempts, payload, status, reason, failed_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      );
      this.pruneDead = this.db.prepare(
        'DELETE FROM dead_letters WHERE rowid IN (SELECT rowid FROM dead_letters ORDER BY rowid LIMIT ?)',
      );
      this.selectDead = this.db.prepare(DEAD_LETTERS_SQL);
      this.deleteMany = this.db.transaction((seqs: readonly number[]) => {
        for (const seq of seqs) this.deleteEvent.run(seq);
      });
      this.insertAndDrop = this.db.transaction(
        (entries: readonly OutboxEntry[], excess: number, deadLetters: readonly DeadLetter[]) => {
          for (const e of entries) this.insertEvent.run(e.seq, e.id, e.time, e.attempts, e.payload);
          for (const d of deadLetters) {
            this.insertDead.run(d.seq, d.id, d.time, d.attempts, d.payload, d.status, d.reason, d.failedAt);
          }
          if (deadLetters.length > 0) this.pruneDeadLetters(deadLetters.length);
          const victims = excess > 0 ? this.oldestUnleased(excess) : [];
          for (const v of victims) this.deleteEvent.run(v.seq);
          return victims;
        },
      );
      this.load();
    } catch (err) {
      try {
        if (options.onCorrupt && classifyStorageFault(err) === 'corrupt') options.onCorrupt();
      } finally {
        this.db.close();
      }
      throw err;
    }
  }

  append(record: OutboxRecord): { dropped: number } {
    this.assertOpen();
    const seq = this.seqs.next();
    const bytes = payloadBytes(record.payload);
    const excess = this.totalBytes + bytes - this.maxBytes;
    let victims: Victim[] = [];
    if (excess <= 0) this.insertEvent.run(seq, record.id, record.time, 0, record.payload);
    else victims = this.insertAndDrop([{ ...record, seq, attempts: 0 }], excess, []);
    this.depth += 1;
    this.totalBytes += bytes;
    return { dropped: this.dropped(victims) };
  }

  take(limit: number): OutboxEntry[] {
    this.assertOpen();
    const out: OutboxEntry[] = [];
    while (out.length < limit) {
      if (this.pending.length === 0 && !this.refill()) break;
      const chosen = this.pending.slice(0, limit - out.length);
      // Read before changing anything: a failed read leaves the queue as it was.
      const rows = chosen.map((slot) => slot.row ?? this.selectEvent.get(slot.seq));
      this.pending.splice(0, chosen.length);
      chosen.forEach((slot, i) => {
        const row = rows[i];
        if (!row) {
          // deleted behind our back: nothing to send
          this.depth -= 1;
          this.totalBytes -= slot.bytes;
          return;
        }
        this.leased.set(slot.seq, slot.bytes);
        out.push({ seq: row.seq, id: row.id, time: row.time, attempts: row.attempts, payload: row.payload });
      });
    }
    return out;
  }

  ack(seqs: readonly number[]): void {
    this.assertOpen();
    const leased = seqs.filter((seq) => this.leased.has(seq));
    if (leased.length === 0) return;
    this.deleteMany(leased);
    this.forgetLeased(leased);
  }

  release(seqs: readonly number[]): void {
    this.assertOpen();
    const leased = seqs.filter((seq) => this.leased.has(seq));
    if (leased.length === 0) return;
    try {
      this.db.transaction(() => {
        for (const seq of leased) this.bumpAttempts.run(seq);
      })();
    } finally {
      // Back in the queue even when the count could not be written: a retry matters more.
      this.unlease(leased);
    }
  }

  deadLetter(seq: number, status: number | null, reason: string): void {
    this.assertOpen();
    if (!this.leased.has(seq)) return;
    const failedAt = this.clock.now();
    this.db.transaction(() => {
      this.moveToDead.run(status, reason, failedAt, seq);
      this.deleteEvent.run(seq);
      this.pruneDeadLetters(1);
    })();
    this.forgetLeased([seq]);
    this.deadCount = Math.min(this.deadCount + 1, this.maxDeadLetters);
  }

  deadLetters(limit = DEFAULT_DEAD_LETTER_LIMIT): DeadLetter[] {
    this.assertOpen();
    return this.selectDead.all(limit).map((row) => ({ ...row }));
  }

  stats(): OutboxStats {
    return {
      depth: this.depth,
      bytes: this.totalBytes,
      inFlight: this.leased.size,
      deadLettered: this.deadCount,
      dropped: this.droppedCount,
      storage: 'disk',
    };
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  get isOpen(): boolean {
    return !this.closed;
  }

  /** Puts taken entries back without counting an attempt (a take that was not used). */
  unlease(seqs: readonly number[]): void {
    for (const seq of seqs) {
      const bytes = this.leased.get(seq);
      if (bytes === undefined) continue;
      this.leased.delete(seq);
      // Above the cursor the next refill finds it; at or below, it goes back in its place.
      if (seq <= this.cursor) this.insertPending({ seq, bytes });
    }
  }

  /** Leases seqs that are present and free (in flight elsewhere: a reopened file whose events were taken). */
  adoptLeases(seqs: readonly number[]): number[] {
    this.assertOpen();
    const adopted: number[] = [];
    for (const seq of seqs) {
      if (this.leased.has(seq)) continue;
      const row = this.selectBytes.get(seq);
      if (!row) continue;
      this.leased.set(seq, row.bytes);
      this.pending = this.pending.filter((slot) => slot.seq !== seq);
      adopted.push(seq);
    }
    return adopted;
  }

  /**
   * Takes over entries and dead letters from another store (the memory fallback) in one
   * transaction. An entry keeps its seq, and so its place in the order, when the seq is above
   * every seq the file held at open and below the next one to hand out: then it came from the
   * SeqCounter this store shares with the other one (the caller's duty), so no row has it.
   * Otherwise (the process started while the disk was away and counted from 1) it gets a new
   * seq, after everything in the file. time, id, payload and attempts are kept.
   * Returns how many entries the byte bound dropped.
   */
  importEntries(entries: readonly OutboxEntry[], deadLetters: readonly DeadLetter[] = []): { dropped: number } {
    this.assertOpen();
    const keep = (seq: number): boolean => seq > this.maxSeqAtOpen && seq < this.seqs.peek();
    const moved = entries.map((e) => ({ ...e, seq: keep(e.seq) ? e.seq : this.seqs.next() }));
    const bytes = moved.reduce((sum, e) => sum + payloadBytes(e.payload), 0);
    const victims = this.insertAndDrop(moved, this.totalBytes + bytes - this.maxBytes, deadLetters);
    this.depth += moved.length;
    this.totalBytes += bytes;
    for (const e of moved) {
      if (e.seq <= this.cursor) this.insertPending({ seq: e.seq, bytes: payloadBytes(e.payload), row: e });
    }
    this.deadCount = Math.min(this.deadCount + deadLetters.length, this.maxDeadLetters);
    return { dropped: this.dropped(victims) };
  }

  /** Reads up to WINDOW rows above the cursor into `pending`; false when there are none. */
  private refill(): boolean {
    const rows = this.selectAfter.all(this.cursor, WINDOW);
    const last = rows[rows.length - 1];
    if (!last) return false;
    for (const row of rows) {
      if (!this.leased.has(row.seq)) this.pending.push({ seq: row.seq, bytes: payloadBytes(row.payload), row });
    }
    this.cursor = last.seq;
    return true;
  }

  /** The oldest rows not leased whose bytes add up to at least `excess` (fewer if there are not enough). */
  private oldestUnleased(excess: number): Victim[] {
    const victims: Victim[] = [];
    let freed = 0;
    let after = 0;
    while (freed < excess) {
      const rows = this.selectOldest.all(after, VICTIM_BATCH);
      for (const row of rows) {
        if (freed >= excess) break;
        if (this.leased.has(row.seq)) continue;
        victims.push(row);
        freed += row.bytes;
      }
      const last = rows[rows.length - 1];
      if (!last || rows.length < VICTIM_BATCH) break;
      after = last.seq;
    }
    return victims;
  }

  private insertPending(slot: PendingSlot): void {
    let at = this.pending.length;
    while (at > 0 && (this.pending[at - 1] as PendingSlot).seq > slot.seq) at--;
    this.pending.splice(at, 0, slot);
  }

  private forgetLeased(seqs: readonly number[]): void {
    for (const seq of seqs) {
      const bytes = this.leased.get(seq);
      if (bytes === undefined) continue;
      this.leased.delete(seq);
      this.depth -= 1;
      this.totalBytes -= bytes;
    }
  }

  private pruneDeadLetters(added: number): void {
    const excess = this.deadCount + added - this.maxDeadLetters;
    if (excess > 0) this.pruneDead.run(excess);
  }

  private dropped(victims: readonly Victim[]): number {
    if (victims.length === 0) return 0;
    const gone = new Set(victims.map((v) => v.seq));
    this.pending = this.pending.filter((slot) => !gone.has(slot.seq));
    for (const v of victims) {
      this.depth -= 1;
      this.totalBytes -= v.bytes;
    }
    this.droppedCount += victims.length;
    this.counters?.inc('events_dropped_total', { reason: 'outbox_full' }, victims.length);
    return victims.length;
  }

  private load(): void {
    const totals = this.db
      .prepare<[], { n: number; bytes: number; maxSeq: number | null }>(
        'SELECT count(*) AS n, coalesce(sum(octet_length(payload)), 0) AS bytes, max(seq) AS maxSeq FROM events',
      )
      .get();
    this.depth = totals?.n ?? 0;
    this.totalBytes = totals?.bytes ?? 0;
    const dead = this.db
      .prepare<[], { n: number; maxSeq: number | null }>('SELECT count(*) AS n, max(seq) AS maxSeq FROM dead_letters')
      .get();
    this.deadCount = dead?.n ?? 0;
    this.maxSeqAtOpen = Math.max(totals?.maxSeq ?? 0, dead?.maxSeq ?? 0);
    this.seqs.raise(this.maxSeqAtOpen + 1);
  }

  private assertOpen(): void {
    if (this.closed) throw new TelemetryError('E_OUTBOX', `outbox: ${this.path} is closed`);
  }
}

const DEAD_LETTERS_SQL = `SELECT seq, id, time, attempts, payload, status, reason, failed_at AS failedAt
  FROM dead_letters ORDER BY rowid DESC LIMIT ?`;

/** Dead letters from an open database, most recent first (shared with inspect.ts). */
export function selectDeadLetters(db: Database.Database, limit: number): DeadLetter[] {
  return db
    .prepare<[number], DeadLetterRow>(DEAD_LETTERS_SQL)
    .all(limit)
    .map((row) => ({ ...row }));
}
