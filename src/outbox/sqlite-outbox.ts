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
// - Durability, grouped by a sync window (`syncWindowMs`, SD cards wear by the fsync): an
//   append is staged in memory, then written together with every other write of its window
//   in one transaction, and the -wal file is fdatasync'ed (WAL, synchronous=NORMAL: what
//   synchronous=FULL does at every commit, done once per window). That flush happens at once
//   when the last one is older than the window, otherwise at the window's end (a timer calls
//   onSyncDue, and the next `take` flushes). `take` hands out only flushed entries, so a
//   reading is on stable storage before its first send. An ack or a drop is staged too: the
//   row leaves the file at the next flush, or at once when ACK_SYNC_BATCH wait. So a kill
//   or a power cut loses only appends of the last window (none when readings are further
//   apart than the window, as a real sensor's are) and sends again at most the events in
//   flight and the ACK_SYNC_BATCH last delivered. A window of 0 flushes every append and
//   every ack on its own: nothing is lost, and only the events in flight are sent again.
//   Leases are not stored: after a crash everything in the file is pending again. A failed
//   flush keeps what it staged and is tried again by the next one; `unsaved()` hands the
//   appends over to the caller instead.
// - `cursor` is the highest seq read from `events` by a refill (0 before the first). Every
//   row with seq <= cursor is either leased or in `pending`; rows above it are found by the
//   next refill (which skips leased ones: adopted leases can lie above it). `pending` is
//   sorted by seq, and every seq in it is <= cursor.
// - The byte total (sum of UTF-8 payload lengths) is at most maxBytes after every append,
//   except while in-flight entries alone exceed it (they are never dropped).
//
// Write volume (an SD card wears): an append is one autocommit INSERT that dirties the last
// table leaf page; an ack call is one transaction of DELETEs. Every fsync leaves the pages it
// wrote clean, so the next write dirties a whole 4 KiB filesystem page again: the fsyncs, not
// the bytes, set the wear, and a sync per reading costs >= 4 KiB however small the row. Choices:
// - page_size 1024 (set before the first table is made, so only for new files): a WAL frame
//   is 1024 + 24 bytes, so a one-row commit appends ~1 KiB instead of ~4 KiB and rarely
//   crosses a 4 KiB filesystem page. With 4096 the same workload wrote about 1.6x more.
// - no index besides the rowid: an index on another column would add a page to every commit.
// - wal_autocheckpoint 1000 pages (~1 MiB of WAL): a checkpoint writes each hot page once
//   for ~hundreds of readings; going lower costs more, higher saves little. The WAL file is
//   reused from its start after a checkpoint (no truncate/regrow churn); journal_size_limit
//   caps it at 4 MiB after a burst.
// - one transaction per sync window: a page the window's appends and deletes touch is one
//   frame, where a commit per row wrote the page, the header and the b-tree's interior again
//   for every row (a row of ~400-700 bytes fills a 1 KiB page: rows allocate and free pages).
// Measured: see bench/RESULTS.md (scenario 5).
import { closeSync, fdatasyncSync, openSync } from 'node:fs';
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
import { classifyStorageFault, errorCode } from './storage-fault.js';

export const OUTBOX_FILE = 'outbox.db';
export const SCHEMA_VERSION = 1;
const PAGE_SIZE = 1024;
const WAL_AUTOCHECKPOINT_PAGES = 1000;
const JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024;
/**
 * SQLite's page cache, KiB. better-sqlite3 builds with 16 MiB, which a long backlog fills (the
 * open-time totals and the drain read every page once): RSS that grows with the backlog. The
 * hot pages (the interior pages on the path to the first and last leaves) fit in far less; the
 * rest is read from the OS page cache. 256 KiB drained as fast as 1 MiB, with 0.9 MiB less
 * RSS at the peak of a drain (bench/RESULTS.md, scenario 6).
 */
const CACHE_KIB = 256;
/**
 * Rows read ahead by one refill, payloads included. A row waits in memory until it is sent, so
 * more rows live longer and more of them are promoted to V8's old generation while a backlog
 * drains (256 doubled the promoted bytes); fewer means a query per few deliveries. 64 against
 * 16: CPU per delivered event 141 → 127 µs, peak RSS the same within noise (bench/RESULTS.md,
 * issue 17: four interleaved 20,000-event drains each).
 */
const WINDOW = 64;
/**
 * Staged deletes (acks, drops) that force a flush: what a kill or power cut can send a second
 * time beyond the events in flight. During a backlog drain one transaction and fsync per this
 * many deliveries instead of one per response is most of the drain rate (bench/RESULTS.md).
 */
export const ACK_SYNC_BATCH = 64;
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
  /**
   * Appends are flushed at once when the last flush is older than this, otherwise together at
   * the end of the window (see the header). Default 0: every append and ack is flushed before
   * it returns.
   */
  syncWindowMs?: number;
  /** Appends held back by the sync window are due: the next `take` syncs and hands them out. */
  onSyncDue?: () => void;
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
  private readonly syncWindowMs: number;
  private readonly onSyncDue: (() => void) | undefined;
  /** Appended, not yet written (oldest first). */
  private staged: OutboxEntry[] = [];
  /** Acked or dropped, still in the file until the next flush. */
  private readonly stagedDeletes = new Set<number>();
  /** The highest seq written to the file, and the highest that is synced (takeable). */
  private committedSeq = 0;
  private syncedSeq = 0;
  private lastSyncAt = Number.NEGATIVE_INFINITY;
  private syncTimer: AbortController | null = null;
  /** The -wal file, opened for fdatasync at the first sync. */
  private walFd: number | null = null;

  private readonly insertEvent: Database.Statement<[number, string, number, number, string]>;
  private readonly selectEvent: Database.Statement<[number], EntryRow>;
  private readonly selectBytes: Database.Statement<[number], { bytes: number }>;
  private readonly selectAfter: Database.Statement<[number, number, number], EntryRow>;
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
  private readonly writeStaged: Database.Transaction<(entries: readonly OutboxEntry[], deletes: readonly number[]) => void>;
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
    this.syncWindowMs = options.syncWindowMs ?? 0;
    this.onSyncDue = options.onSyncDue;
    this.db = new Database(options.path);
    try {
      this.db.pragma(`page_size = ${PAGE_SIZE}`);
      const mode: unknown = this.db.pragma('journal_mode = WAL', { simple: true });
      if (mode !== 'wal') {
        throw new TelemetryError('E_OUTBOX', `outbox: SQLite refused WAL mode (got ${String(mode)})`);
      }
      this.db.pragma('synchronous = NORMAL');
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
        'SELECT seq, id, time, attempts, payload FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?',
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
      this.writeStaged = this.db.transaction((entries: readonly OutboxEntry[], deletes: readonly number[]) => {
        this.insertEntries(entries);
        for (const seq of deletes) this.deleteEvent.run(seq);
      });
      this.insertAndDrop = this.db.transaction(
        (entries: readonly OutboxEntry[], excess: number, deadLetters: readonly DeadLetter[]) => {
          this.insertEntries(entries);
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
      this.syncWal(); // what a killed process committed may not be on stable storage yet
      this.syncedSeq = this.committedSeq;
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
    const entry: OutboxEntry = { ...record, seq: this.seqs.next(), attempts: 0 };
    const bytes = payloadBytes(record.payload);
    const victims = this.victims(this.totalBytes + bytes - this.maxBytes);
    this.staged.push(entry);
    this.depth += 1;
    this.totalBytes += bytes;
    const dropped = this.dropped(victims);
    if (this.clock.now() - this.lastSyncAt < this.syncWindowMs) {
      this.scheduleSync();
      return { dropped };
    }
    try {
      this.sync();
    } catch (err) {
      // The caller keeps this one elsewhere; what the window staged before waits for the next flush.
      this.staged = this.staged.filter((e) => e !== entry);
      this.depth -= 1;
      this.totalBytes -= bytes;
      throw err;
    }
    return { dropped };
  }

  take(limit: number): OutboxEntry[] {
    this.assertOpen();
    const unsynced = this.staged.length > 0 || this.committedSeq > this.syncedSeq;
    if (unsynced && this.clock.now() - this.lastSyncAt >= this.syncWindowMs) this.sync();
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
    this.forgetLeased(leased);
    for (const seq of leased) this.stagedDeletes.add(seq);
    if (this.syncWindowMs === 0 || this.stagedDeletes.size >= ACK_SYNC_BATCH) this.sync();
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
    const failedAt = this.clock.wallNow(); // a date people read (outbox command), so the wall clock
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

  /**
   * Flushes: writes what is staged in one transaction, then fdatasyncs the -wal file (all that
   * synchronous=FULL would do at each commit), so everything so far survives power loss and
   * `take` may hand out every append.
   */
  sync(): void {
    this.assertOpen();
    if (this.staged.length > 0 || this.stagedDeletes.size > 0) {
      this.writeStaged(this.staged, [...this.stagedDeletes]);
      this.committedSeq = Math.max(this.committedSeq, this.staged.at(-1)?.seq ?? 0);
      this.staged = [];
      this.stagedDeletes.clear();
    }
    this.syncWal();
    this.syncedSeq = this.committedSeq;
    this.lastSyncAt = this.clock.now();
    this.syncTimer?.abort();
    this.syncTimer = null;
  }

  /**
   * Gives up the appends not written yet (a flush failed, or this handle is being given up):
   * the caller keeps them elsewhere. Staged deletes stay: the next flush still applies them.
   */
  unsaved(): OutboxEntry[] {
    const entries = this.staged;
    this.staged = [];
    for (const e of entries) {
      this.depth -= 1;
      this.totalBytes -= payloadBytes(e.payload);
    }
    return entries;
  }

  private syncWal(): void {
    this.walFd ??= openWal(`${this.path}-wal`);
    if (this.walFd !== null) fdatasyncSync(this.walFd);
  }

  close(): void {
    if (this.closed) return;
    try {
      this.sync();
    } finally {
      this.closed = true;
      this.syncTimer?.abort();
      if (this.walFd !== null) closeSync(this.walFd);
      this.db.close();
    }
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
      if (this.leased.has(seq) || this.stagedDeletes.has(seq)) continue;
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
    this.committedSeq = moved.reduce((max, e) => Math.max(max, e.seq), this.committedSeq);
    const dropped = this.dropped(victims);
    this.sync();
    return { dropped };
  }

  /** Ends the sync window with a call to onSyncDue (the sync itself happens in `take`). */
  private scheduleSync(): void {
    if (this.syncTimer) return;
    const timer = new AbortController();
    this.syncTimer = timer;
    this.clock.sleep(this.lastSyncAt + this.syncWindowMs - this.clock.now(), timer.signal).then(
      () => {
        if (this.syncTimer === timer) this.syncTimer = null;
        this.onSyncDue?.();
      },
      () => undefined, // cancelled: a sync came first, or the outbox closed
    );
  }

  /** Reads up to WINDOW synced rows above the cursor into `pending`; false when there are none. */
  private refill(): boolean {
    const rows = this.selectAfter.all(this.cursor, this.syncedSeq, WINDOW);
    const last = rows[rows.length - 1];
    if (!last) return false;
    for (const row of rows) {
      if (!this.leased.has(row.seq) && !this.stagedDeletes.has(row.seq)) this.pending.push({ seq: row.seq, bytes: payloadBytes(row.payload), row });
    }
    this.cursor = last.seq;
    return true;
  }

  /**
   * Makes room for `excess` bytes: the oldest rows of the file not in flight (deleted at the
   * next flush), then the oldest staged appends. Nothing when excess <= 0.
   */
  private victims(excess: number): Victim[] {
    if (excess <= 0) return [];
    const victims = this.oldestUnleased(excess);
    for (const v of victims) this.stagedDeletes.add(v.seq);
    let freed = victims.reduce((sum, v) => sum + v.bytes, 0);
    while (freed < excess && this.staged.length > 0) {
      const e = this.staged.shift() as OutboxEntry;
      const bytes = payloadBytes(e.payload);
      victims.push({ seq: e.seq, bytes });
      freed += bytes;
    }
    return victims;
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
        if (this.leased.has(row.seq) || this.stagedDeletes.has(row.seq)) continue;
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

  private insertEntries(entries: readonly OutboxEntry[]): void {
    for (const e of entries) this.insertEvent.run(e.seq, e.id, e.time, e.attempts, e.payload);
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
    this.committedSeq = this.maxSeqAtOpen;
    this.seqs.raise(this.maxSeqAtOpen + 1);
  }

  private assertOpen(): void {
    if (this.closed) throw new TelemetryError('E_OUTBOX', `outbox: ${this.path} is closed`);
  }
}

/** The -wal file for fdatasync; null when there is none yet (nothing written since the last close). */
function openWal(path: string): number | null {
  try {
    return openSync(path, 'r');
  } catch (err) {
    if (errorCode(err) === 'ENOENT') return null;
    throw err;
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
