// The durable outbox: one SQLite file (better-sqlite3), `${dataDir}/outbox.db`. The format
// and pragmas are in sqlite-schema.ts, the sync window in sync-batch.ts, the read-ahead
// window in read-ahead.ts, what to drop for the byte bound in eviction.ts, the dead letters
// in dead-letter-table.ts. This file keeps the queue's state and its transactions.
//
// Memory does not grow with the backlog (it lives on disk): kept are the depth and byte
// totals (one aggregate query at open, then kept up to date), the leases (seq -> bytes), and
// the read-ahead window.
//
// Invariants:
// - An event is in `events` from the commit of its append until the commit that acks it,
//   drops it or moves it to dead_letters; each of those is one transaction.
// - An append is staged and written with every other write of its sync window (sync-batch.ts):
//   at once when the last flush is older than the window, otherwise at the window's end by
//   this outbox's own timer (then onSyncDue wakes the sender), whatever the sender is doing. `take` hands out only flushed
//   entries, so a reading is on stable storage before its first send. An ack or a drop is
//   staged too: the row leaves the file at the next flush, or by a group commit once
//   ACK_SYNC_BATCH wait (any ack with a window of 0): the delete transaction is written at
//   once and its fdatasync runs off the event loop (sync-batch.ts), one group at a time; acks
//   that come meanwhile go in the next group. `take` hands out nothing while UNSYNCED_LIMIT
//   deletes are not synced, so a kill or a power cut loses only appends of the last window
//   and sends again at most the events in flight and fewer than UNSYNCED_LIMIT delivered
//   ones. A window of 0 flushes every append on its own. Leases are not stored: after a crash
//   everything in the file is pending again. A failed flush keeps what it staged and is tried
//   again by the next one; `unsaved()` hands the appends over to the caller instead. A failed
//   group fdatasync is thrown by the next append, take or ack (a storage fault).
// - Nothing read back from the file throws past this class for one bad row: a row SQLite
//   cannot read (SQLITE_CORRUPT on its page) or whose fields are not what the format says
//   moves to the dead letters with reason `unreadable` (or, if even that fails, is deleted;
//   if that fails too, skipped until the next start), is counted
//   (events_dead_lettered_total{status="unreadable"}, else events_dropped_total{reason=
//   "unreadable"}) and logged once, and the queue goes on.
// - The byte total (sum of UTF-8 payload lengths) is at most maxBytes after every append,
//   except while in-flight entries alone exceed it (they are never dropped).
import Database from 'better-sqlite3';
import { systemClock, type Clock } from '../clock/clock.js';
import { TelemetryError } from '../errors.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Counters } from '../metrics/counters.js';
import { DeadLetterTable } from './dead-letter-table.js';
import { oldestFree, type Victim } from './eviction.js';
import {
  DEFAULT_DEAD_LETTER_LIMIT,
  newEntry,
  payloadBytes,
  type DeadLetter,
  type Outbox,
  type OutboxEntry,
  type OutboxRecord,
  type OutboxStats,
} from './outbox.js';
import { ReadAhead } from './read-ahead.js';
import { SeqCounter } from './seq-counter.js';
import { BOOT_JOIN, BOOT_REF, checkEntryRow, ENTRY_COLUMNS, INSERT_BOOT, prepareOutboxDatabase, type EntryRow } from './sqlite-schema.js';
import { classifyStorageFault } from './storage-fault.js';
import { SyncBatch, type AsyncFdatasync } from './sync-batch.js';

export const OUTBOX_FILE = 'outbox.db';
/**
 * Staged deletes (acks, drops) that force a flush: what a kill or power cut can send a second
 * time beyond the events in flight. During a backlog drain one transaction and fsync per this
 * many deliveries instead of one per response is most of the drain rate (bench/RESULTS.md).
 */
export const ACK_SYNC_BATCH = 64;
/**
 * Deletes staged or written but not yet synced at which `take` hands out nothing more until a
 * group lands. The events in flight can still be delivered, so a kill or a power cut sends
 * again at most the events in flight plus fewer than this many (README "Delivery"). Twice
 * ACK_SYNC_BATCH: the acks that come while a full group syncs keep the sender busy.
 */
export const UNSYNCED_LIMIT = 2 * ACK_SYNC_BATCH;

export interface SqliteOutboxOptions {
  /** The database file, usually `${dataDir}/outbox.db`. Its directory must exist. */
  path: string;
  maxBytes: number;
  /** Dead letters kept; the oldest are pruned beyond this. Default 1000. */
  maxDeadLetters?: number;
  counters?: Counters;
  /** Says when a row is unreadable or dead letters are pruned. */
  logger?: Logger;
  clock?: Clock;
  seqs?: SeqCounter;
  /**
   * Called when opening finds the file corrupt, before the handle closes: closing the last
   * connection makes SQLite delete the -wal and -shm, so this is the moment to move them aside.
   */
  onCorrupt?: () => void;
  /**
   * Appends are flushed at once when the last flush is older than this, otherwise together at
   * the end of the window (see the header). Default 0: every append is flushed before it
   * returns, and every ack's delete as soon as the group commit before it has landed.
   */
  syncWindowMs?: number;
  /** The window's timer synced appends held back by the window, or a group of deletes landed: take again. */
  onSyncDue?: () => void;
  /** The group commit's fdatasync (sync-batch.ts); tests pass a fake. Default fs.fdatasync. */
  fdatasync?: AsyncFdatasync;
}

export class SqliteOutbox implements Outbox {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly maxBytes: number;
  private readonly counters: Counters | undefined;
  private readonly logger: Logger | undefined;
  private readonly clock: Clock;
  /** Unreadable rows that could not even be deleted: never handed out (until the next open). */
  private readonly skipped = new Set<number>();
  private readonly seqs: SeqCounter;
  private depth = 0;
  private totalBytes = 0;
  /** Taken and not settled: seq -> payload bytes. */
  private readonly leased = new Map<number, number>();
  private readonly readAhead: ReadAhead;
  private readonly batch: SyncBatch;
  private readonly dead: DeadLetterTable;
  /** The largest seq in the file at open: seqs above it were handed out by this process. */
  private maxSeqAtOpen = 0;
  private droppedCount = 0;
  private closed = false;
  /** The highest seq written to the file, and the highest that is synced (takeable). */
  private committedSeq = 0;
  private syncedSeq = 0;

  private readonly insertBoot: Database.Statement<[string]>;
  private readonly insertEvent: Database.Statement<[number, string, number, number, string, number | null, string | null]>;
  private readonly selectEvent: Database.Statement<[number], unknown>;
  private readonly selectSeqsAfter: Database.Statement<[number, number, number], { seq: number }>;
  private readonly selectBytes: Database.Statement<[number], { bytes: number }>;
  private readonly selectAfter: Database.Statement<[number, number, number], { seq: number }>;
  private readonly selectOldest: Database.Statement<[number, number], Victim>;
  private readonly deleteEvent: Database.Statement<[number]>;
  private readonly bumpAttempts: Database.Statement<[number]>;
  /** Built once: db.transaction() makes several closures per call, per ack during a drain. */
  private readonly writeStaged: Database.Transaction<(entries: readonly OutboxEntry[], deletes: readonly number[]) => void>;
  private readonly insertAndDrop: Database.Transaction<
    (entries: readonly OutboxEntry[], excess: number, deadLetters: readonly DeadLetter[]) => Victim[]
  >;

  constructor(options: SqliteOutboxOptions) {
    this.path = options.path;
    this.maxBytes = options.maxBytes;
    this.counters = options.counters;
    this.logger = options.logger;
    this.clock = options.clock ?? systemClock;
    this.seqs = options.seqs ?? new SeqCounter();
    const onSyncDue = options.onSyncDue;
    this.batch = new SyncBatch({
      path: options.path,
      windowMs: options.syncWindowMs ?? 0,
      clock: this.clock,
      write: (entries, deletes) => this.writeStaged(entries, deletes),
      onWindowEnd: () => this.windowEnded(onSyncDue),
      onGroupSynced: () => this.groupSynced(onSyncDue),
      ...(options.fdatasync ? { fdatasync: options.fdatasync } : {}),
    });
    const isFree = (seq: number): boolean => !this.leased.has(seq) && !this.batch.deletes.has(seq) && !this.skipped.has(seq);
    this.readAhead = new ReadAhead({ readAfter: (after, upTo, limit) => this.readAfter(after, upTo, limit), isFree });
    this.db = new Database(options.path);
    try {
      prepareOutboxDatabase(this.db, options.path);
      this.dead = new DeadLetterTable(this.db, options.maxDeadLetters ?? 1000, options.counters, options.logger);
      this.insertBoot = this.db.prepare(INSERT_BOOT);
      this.insertEvent = this.db.prepare(
        `INSERT INTO events (seq, id, time, attempts, payload, mono_ms, boot) VALUES (?, ?, ?, ?, ?, ?, ${BOOT_REF})`,
      );
      this.selectEvent = this.db.prepare(`SELECT ${ENTRY_COLUMNS} FROM events e ${BOOT_JOIN} WHERE e.seq = ?`);
      this.selectBytes = this.db.prepare('SELECT octet_length(payload) AS bytes FROM events WHERE seq = ?');
      this.selectAfter = this.db.prepare(
        `SELECT ${ENTRY_COLUMNS} FROM events e ${BOOT_JOIN} WHERE e.seq > ? AND e.seq <= ? ORDER BY e.seq LIMIT ?`,
      );
      this.selectSeqsAfter = this.db.prepare('SELECT seq FROM events WHERE seq > ? AND seq <= ? ORDER BY seq LIMIT ?');
      this.selectOldest = this.db.prepare(
        'SELECT seq, octet_length(payload) AS bytes FROM events WHERE seq > ? ORDER BY seq LIMIT ?',
      );
      this.deleteEvent = this.db.prepare('DELETE FROM events WHERE seq = ?');
      this.bumpAttempts = this.db.prepare('UPDATE events SET attempts = attempts + 1 WHERE seq = ?');
      this.writeStaged = this.db.transaction((entries: readonly OutboxEntry[], deletes: readonly number[]) => {
        this.insertEntries(entries);
        for (const seq of deletes) this.deleteEvent.run(seq);
      });
      this.insertAndDrop = this.db.transaction(
        (entries: readonly OutboxEntry[], excess: number, deadLetters: readonly DeadLetter[]) => {
          this.insertEntries(entries);
          this.dead.insert(deadLetters);
          const victims = excess > 0 ? this.oldestUnleased(excess) : [];
          for (const v of victims) this.deleteEvent.run(v.seq);
          return victims;
        },
      );
      this.load();
      this.batch.syncWal(); // what a killed process committed may not be on stable storage yet
      this.syncedSeq = this.committedSeq;
    } catch (err) {
      try {
        if (options.onCorrupt && classifyStorageFault(err) === 'corrupt') options.onCorrupt();
      } finally {
        this.batch.close();
        this.db.close();
      }
      throw err;
    }
  }

  append(record: OutboxRecord): { dropped: number } {
    this.assertOpen();
    this.batch.throwFault();
    const entry = newEntry(record, this.seqs.next());
    const bytes = payloadBytes(record.payload);
    const victims = this.victims(this.totalBytes + bytes - this.maxBytes);
    this.batch.staged.push(entry);
    this.depth += 1;
    this.totalBytes += bytes;
    const dropped = this.dropped(victims);
    if (!this.batch.isDue()) {
      this.batch.schedule();
      return { dropped };
    }
    try {
      this.sync();
    } catch (err) {
      // The caller keeps this one elsewhere; what the window staged before waits for the next flush.
      this.batch.staged = this.batch.staged.filter((e) => e !== entry);
      this.depth -= 1;
      this.totalBytes -= bytes;
      throw err;
    }
    return { dropped };
  }

  take(limit: number): OutboxEntry[] {
    this.assertOpen();
    this.batch.throwFault();
    const unsynced = this.batch.staged.length > 0 || this.committedSeq > this.syncedSeq;
    if (unsynced && this.batch.isDue()) this.sync();
    // The bound on what a kill sends twice (see UNSYNCED_LIMIT); a landing group wakes the sender.
    // No group in flight (one failed, or its write did): start one, or nothing would.
    if (this.batch.unsyncedDeletes() >= UNSYNCED_LIMIT) {
      this.batch.flushDeletes();
      return [];
    }
    const out: OutboxEntry[] = [];
    while (out.length < limit) {
      if (this.readAhead.isEmpty && !this.readAhead.refill(this.syncedSeq)) break;
      const chosen = this.readAhead.peek(limit - out.length);
      // Read before changing anything: a failed read leaves the queue as it was.
      const rows = chosen.map((slot) => slot.row ?? this.readRow(slot.seq));
      this.readAhead.shift(chosen.length);
      chosen.forEach((slot, i) => {
        const row = rows[i];
        if (row === 'unreadable') return; // out of the queue, accounted for
        if (!row) {
          // deleted behind our back: nothing to send
          this.depth -= 1;
          this.totalBytes -= slot.bytes;
          return;
        }
        this.leased.set(slot.seq, slot.bytes);
        out.push({ ...row });
      });
    }
    return out;
  }

  ack(seqs: readonly number[]): void {
    this.assertOpen();
    this.batch.throwFault();
    const leased = seqs.filter((seq) => this.leased.has(seq));
    if (leased.length === 0) return;
    this.forgetLeased(leased);
    for (const seq of leased) this.batch.deletes.add(seq);
    if (this.groupDue()) this.batch.flushDeletes();
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
      this.dead.moveFromQueue(seq, status, reason, failedAt);
      this.deleteEvent.run(seq);
    })();
    this.forgetLeased([seq]);
    this.dead.committed(1);
  }

  deadLetters(limit = DEFAULT_DEAD_LETTER_LIMIT): DeadLetter[] {
    this.assertOpen();
    return this.dead.newest(limit);
  }

  stats(): OutboxStats {
    return {
      depth: this.depth,
      bytes: this.totalBytes,
      inFlight: this.leased.size,
      deadLettered: this.dead.count,
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
    this.committedSeq = Math.max(this.committedSeq, this.batch.flush());
    this.syncedSeq = this.committedSeq;
  }

  /**
   * Gives up the appends not written yet (a flush failed, or this handle is being given up):
   * the caller keeps them elsewhere. Staged deletes stay: the next flush still applies them.
   */
  unsaved(): OutboxEntry[] {
    const entries = this.batch.staged;
    this.batch.staged = [];
    for (const e of entries) {
      this.depth -= 1;
      this.totalBytes -= payloadBytes(e.payload);
    }
    return entries;
  }

  close(): void {
    if (this.closed) return;
    try {
      this.sync();
    } finally {
      this.closed = true;
      this.batch.close();
      this.db.close();
    }
  }

  /** Puts taken entries back without counting an attempt (a take that was not used). */
  unlease(seqs: readonly number[]): void {
    for (const seq of seqs) {
      const bytes = this.leased.get(seq);
      if (bytes === undefined) continue;
      this.leased.delete(seq);
      this.readAhead.putBack({ seq, bytes });
    }
  }

  /** Leases seqs that are present and free (in flight elsewhere: a reopened file whose events were taken). */
  adoptLeases(seqs: readonly number[]): number[] {
    this.assertOpen();
    const adopted: number[] = [];
    for (const seq of seqs) {
      if (this.leased.has(seq) || this.batch.deletes.has(seq)) continue;
      const row = this.selectBytes.get(seq);
      if (!row) continue;
      this.leased.set(seq, row.bytes);
      this.readAhead.remove(new Set([seq]));
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
    for (const e of moved) this.readAhead.putBack({ seq: e.seq, bytes: payloadBytes(e.payload), row: e });
    this.dead.committed(deadLetters.length);
    this.committedSeq = moved.reduce((max, e) => Math.max(max, e.seq), this.committedSeq);
    const dropped = this.dropped(victims);
    this.sync();
    return { dropped };
  }

  /** Rows above `after` for the read-ahead window; unreadable ones go (see the header). */
  private readAfter(after: number, upTo: number, limit: number): { rows: EntryRow[]; last: number | null } {
    let raw: { seq: number }[];
    try {
      raw = this.selectAfter.all(after, upTo, limit);
    } catch (err) {
      if (classifyStorageFault(err) !== 'corrupt') throw err;
      // One row's page is damaged: read them one by one to find it (the seqs alone still read).
      const rows: EntryRow[] = [];
      const seqs = this.selectSeqsAfter.all(after, upTo, limit);
      for (const { seq } of seqs) {
        const row = this.readRow(seq);
        if (row && row !== 'unreadable') rows.push(row);
      }
      return { rows, last: seqs.at(-1)?.seq ?? null };
    }
    const rows: EntryRow[] = [];
    for (const r of raw) {
      const row = checkEntryRow(r);
      if (typeof row === 'string') this.unreadable(r.seq, row);
      else rows.push(row);
    }
    return { rows, last: raw.at(-1)?.seq ?? null };
  }

  /** One row by seq: undefined when it is gone, 'unreadable' when it was taken out of the queue. */
  private readRow(seq: number): EntryRow | 'unreadable' | undefined {
    let raw: unknown;
    try {
      raw = this.selectEvent.get(seq);
    } catch (err) {
      if (classifyStorageFault(err) !== 'corrupt') throw err;
      this.unreadable(seq, errorMessage(err));
      return 'unreadable';
    }
    if (raw === undefined) return undefined;
    const row = checkEntryRow(raw);
    if (typeof row !== 'string') return row;
    this.unreadable(seq, row);
    return 'unreadable';
  }

  /** Takes an unreadable row out of the queue: to the dead letters, else deleted, else skipped. */
  private unreadable(seq: number, problem: string): void {
    let bytes = 0;
    try {
      bytes = this.selectBytes.get(seq)?.bytes ?? 0;
    } catch {
      // its size cannot be read either: the byte total is off by that row until the next open
    }
    let outcome: 'dead_lettered' | 'deleted' | 'skipped' = 'dead_lettered';
    try {
      this.db.transaction(() => {
        this.dead.moveFromQueue(seq, null, 'unreadable', this.clock.wallNow());
        this.deleteEvent.run(seq);
      })();
      this.dead.committed(1);
      this.counters?.inc('events_dead_lettered_total', { status: 'unreadable' });
    } catch {
      try {
        this.deleteEvent.run(seq);
        outcome = 'deleted';
      } catch {
        outcome = 'skipped';
        this.skipped.add(seq);
      }
      this.counters?.inc('events_dropped_total', { reason: 'unreadable' });
    }
    this.depth -= 1;
    this.totalBytes -= bytes;
    this.logger?.warn({ seq, problem, outcome }, 'outbox row unreadable, took it out of the queue');
  }

  /**
   * The sync window's timer: flush now, whatever the sender does, then say that the appends
   * can be taken. A failed flush keeps what it staged and is tried again a window later (and
   * by the next append or take, which throws to the caller, who keeps its record elsewhere).
   */
  private windowEnded(onSyncDue: (() => void) | undefined): void {
    if (this.closed) return;
    try {
      this.sync();
    } catch {
      this.batch.schedule(true);
      return;
    }
    onSyncDue?.();
  }

  /**
   * A group of deletes landed (or failed: the next append, take or ack throws): start the next
   * group when it is due, and wake the sender, which `take` may have held back.
   */
  private groupSynced(onSyncDue: (() => void) | undefined): void {
    if (this.closed) return;
    try {
      if (this.groupDue()) this.batch.flushDeletes();
    } catch (err) {
      // The write failed: the deletes stay staged for the next flush; the take woken below
      // meets the disk for itself.
      this.logger?.debug({ err: errorMessage(err) }, 'outbox delete group not written, kept staged');
    }
    onSyncDue?.();
  }

  /** A group commit of the staged deletes is due: ACK_SYNC_BATCH wait, or any with a window of 0. */
  private groupDue(): boolean {
    return this.batch.deletes.size >= (this.batch.windowMs === 0 ? 1 : ACK_SYNC_BATCH);
  }

  /**
   * Makes room for `excess` bytes: the oldest rows of the file not in flight (deleted at the
   * next flush), then the oldest staged appends. Nothing when excess <= 0.
   */
  private victims(excess: number): Victim[] {
    if (excess <= 0) return [];
    const victims = this.oldestUnleased(excess);
    for (const v of victims) this.batch.deletes.add(v.seq);
    let freed = victims.reduce((sum, v) => sum + v.bytes, 0);
    while (freed < excess && this.batch.staged.length > 0) {
      const e = this.batch.staged.shift() as OutboxEntry;
      const bytes = payloadBytes(e.payload);
      victims.push({ seq: e.seq, bytes });
      freed += bytes;
    }
    return victims;
  }

  private oldestUnleased(excess: number): Victim[] {
    return oldestFree(
      {
        oldestAfter: (after, limit) => this.selectOldest.all(after, limit),
        isFree: (seq) => !this.leased.has(seq) && !this.batch.deletes.has(seq),
      },
      excess,
    );
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
    for (const e of entries) {
      if (e.bootId !== null) this.insertBoot.run(e.bootId); // a no-op but for the first row of a boot
      this.insertEvent.run(e.seq, e.id, e.time, e.attempts, e.payload, e.mono, e.bootId);
    }
  }

  private dropped(victims: readonly Victim[]): number {
    if (victims.length === 0) return 0;
    this.readAhead.remove(new Set(victims.map((v) => v.seq)));
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
    const dead = this.db.prepare<[], { maxSeq: number | null }>('SELECT max(seq) AS maxSeq FROM dead_letters').get();
    this.maxSeqAtOpen = Math.max(totals?.maxSeq ?? 0, dead?.maxSeq ?? 0);
    this.committedSeq = this.maxSeqAtOpen;
    this.seqs.raise(this.maxSeqAtOpen + 1);
  }

  private assertOpen(): void {
    if (this.closed) throw new TelemetryError('E_OUTBOX', `outbox: ${this.path} is closed`);
  }
}
