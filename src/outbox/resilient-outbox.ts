// The outbox the daemon uses: SQLite while the disk works, a bounded MemoryOutbox while it
// does not, and back to SQLite (with the memory contents, in order) once it works again.
//
// Invariants:
// - append never throws because of the disk: a failed disk write sends the record to memory.
// - Both stores draw seqs from one SeqCounter, so a seq names one event in this process;
//   `owner` says which store leased each seq in flight, and settling goes there.
// - While on memory, `take` still serves the disk's backlog when the disk can be read (a full
//   disk reads fine), merged with memory by seq, so the order holds across stores.
// - Moving memory entries to disk keeps their order: they move oldest first, and the disk
//   keeps each entry's seq (from the shared counter) unless the file held a higher one at
//   open; then they get new seqs, still after everything the file holds.
// - A delivery the disk could not delete (ack) or move (dead letter) stays leased on the disk
//   and is applied at the next successful retry: it is never handed out again meanwhile.
// - The disk is retried on append/take at most every `retryMs` by the clock; when it works,
//   pending deletes are applied, then the memory entries not in flight and the memory dead
//   letters move to SQLite in one transaction. Entries in flight stay in memory until settled.
// - When the disk fails, or a handle is given up, the appends it staged and could not write
//   move to memory with their seqs, so they are sent in their place and never lost with it.
// - One warn line when the disk goes away, one info line when it is back.
import type { Clock } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';
import type { MemoryOutbox } from './memory-outbox.js';
import {
  DEFAULT_DEAD_LETTER_LIMIT,
  type DeadLetter,
  type Outbox,
  type OutboxEntry,
  type OutboxRecord,
  type OutboxStats,
} from './outbox.js';
import { compareItems } from './pending-queue.js';
import { classifyStorageFault, errorCode, type StorageFault } from './storage-fault.js';

/** What the resilient outbox needs from the disk store (SqliteOutbox has it). */
export interface DiskStore extends Outbox {
  unlease(seqs: readonly number[]): void;
  adoptLeases(seqs: readonly number[]): number[];
  importEntries(entries: readonly OutboxEntry[], deadLetters?: readonly DeadLetter[]): { dropped: number };
  /** Appends staged and not written (a failed flush): given up by the handle, kept by the caller. */
  unsaved(): OutboxEntry[];
}

export interface ResilientOutboxOptions {
  /** Opens the disk store (moving a file found corrupt aside itself). Throws when unusable. */
  openDisk: () => DiskStore;
  /** Moves the current file aside after it turned out corrupt in use; called before the old handle closes. */
  moveDiskAside: () => void;
  memory: MemoryOutbox;
  logger: Logger;
  clock: Clock;
  retryMs: number;
  /** Added to the outbox's log lines (e.g. dataDir). */
  logFields?: Record<string, unknown>;
  /** Called once the outbox closed (releases the data-dir lock). */
  afterClose?: () => void;
}

interface PendingDeadLetter {
  seq: number;
  status: number | null;
  reason: string;
}

type Store = DiskStore | MemoryOutbox;

export class ResilientOutbox implements Outbox {
  private disk: DiskStore | null = null;
  private mode: 'disk' | 'memory' = 'disk';
  private nextRetryAt = 0;
  /** How the disk last failed; decides whether a retry reopens it. */
  private lastFault: StorageFault | null = null;
  private readonly owner = new Map<number, Store>();
  private pendingAcks: number[] = [];
  private pendingDeadLetters: PendingDeadLetter[] = [];
  private droppedByClosedDisks = 0;
  private readonly memory: MemoryOutbox;
  private readonly logger: Logger;
  private readonly clock: Clock;

  constructor(private readonly options: ResilientOutboxOptions) {
    this.memory = options.memory;
    this.logger = options.logger;
    this.clock = options.clock;
    try {
      this.disk = options.openDisk();
    } catch (err) {
      this.diskFailed(err, 'open');
    }
  }

  append(record: OutboxRecord): { dropped: number } {
    this.maybeRetryDisk();
    if (this.mode === 'disk' && this.disk) {
      try {
        return this.disk.append(record);
      } catch (err) {
        this.diskFailed(err, 'append');
      }
    }
    return this.memory.append(record);
  }

  take(limit: number): OutboxEntry[] {
    this.maybeRetryDisk();
    const disk = this.disk;
    let fromDisk: OutboxEntry[] = [];
    if (disk) {
      try {
        fromDisk = disk.take(limit);
      } catch (err) {
        this.diskFailed(err, 'take');
      }
    }
    const fromMemory = this.memory.stats().depth > 0 ? this.memory.take(limit) : [];
    if (fromMemory.length === 0) {
      // The drain's path, once per delivery: no merge, no sets.
      for (const e of fromDisk) this.owner.set(e.seq, disk as DiskStore);
      return fromDisk;
    }
    const all = [...fromDisk, ...fromMemory].sort((a, b) => compareItems(a, b));
    const chosen = all.slice(0, limit);
    const rest = new Set(all.slice(limit).map((e) => e.seq));
    disk?.unlease(fromDisk.filter((e) => rest.has(e.seq)).map((e) => e.seq));
    this.memory.unlease(fromMemory.filter((e) => rest.has(e.seq)).map((e) => e.seq));
    const inMemory = new Set(fromMemory.map((e) => e.seq));
    for (const e of chosen) this.owner.set(e.seq, inMemory.has(e.seq) || !disk ? this.memory : disk);
    return chosen;
  }

  ack(seqs: readonly number[]): void {
    const { memory, disk } = this.settle(seqs);
    this.memory.ack(memory);
    if (disk.length === 0 || !this.disk) return;
    try {
      this.disk.ack(disk);
    } catch (err) {
      this.pendingAcks.push(...disk);
      this.diskFailed(err, 'ack');
    }
  }

  release(seqs: readonly number[]): void {
    const { memory, disk } = this.settle(seqs);
    this.memory.release(memory);
    if (disk.length === 0 || !this.disk) return;
    try {
      this.disk.release(disk);
    } catch (err) {
      this.diskFailed(err, 'release');
    }
  }

  deadLetter(seq: number, status: number | null, reason: string): void {
    const { memory, disk } = this.settle([seq]);
    if (memory.length > 0) this.memory.deadLetter(seq, status, reason);
    if (disk.length === 0 || !this.disk) return;
    try {
      this.disk.deadLetter(seq, status, reason);
    } catch (err) {
      this.pendingDeadLetters.push({ seq, status, reason });
      this.diskFailed(err, 'deadLetter');
    }
  }

  deadLetters(limit = DEFAULT_DEAD_LETTER_LIMIT): DeadLetter[] {
    let fromDisk: DeadLetter[] = [];
    try {
      fromDisk = this.disk?.deadLetters(limit) ?? [];
    } catch (err) {
      this.logger.warn({ ...this.options.logFields, err }, 'outbox could not read dead letters from disk');
    }
    return [...fromDisk, ...this.memory.deadLetters(limit)]
      .sort((a, b) => b.failedAt - a.failedAt)
      .slice(0, limit);
  }

  stats(): OutboxStats {
    const m = this.memory.stats();
    let d: OutboxStats | undefined;
    try {
      d = this.disk?.stats();
    } catch {
      d = undefined;
    }
    return {
      depth: (d?.depth ?? 0) + m.depth,
      bytes: (d?.bytes ?? 0) + m.bytes,
      inFlight: (d?.inFlight ?? 0) + m.inFlight,
      deadLettered: (d?.deadLettered ?? 0) + m.deadLettered,
      dropped: this.droppedByClosedDisks + (d?.dropped ?? 0) + m.dropped,
      storage: this.mode,
    };
  }

  close(): void {
    if (this.mode === 'memory') this.retryDisk();
    const left = this.memory.stats();
    if (left.depth > 0) {
      this.logger.error(
        { ...this.options.logFields, lost: left.depth },
        'outbox closing with events only in memory, they are lost',
      );
    }
    this.closeDisk();
    this.memory.close();
    this.options.afterClose?.();
  }

  /** Tries the disk now, whatever the retry interval (at start: READY=1 waits for the disk). */
  retryDiskNow(): void {
    if (this.mode === 'disk') return;
    this.nextRetryAt = this.clock.now() + this.options.retryMs;
    this.retryDisk();
  }

  /** Splits seqs by the store that leased them; seqs nobody leased are ignored. */
  private settle(seqs: readonly number[]): { memory: number[]; disk: number[] } {
    const memory: number[] = [];
    const disk: number[] = [];
    for (const seq of seqs) {
      const store = this.owner.get(seq);
      if (!store) continue;
      this.owner.delete(seq);
      if (store === this.memory) memory.push(seq);
      else if (store === this.disk) disk.push(seq);
      // else: leased by a disk handle that was closed since; its file no longer holds it for us
    }
    return { memory, disk };
  }

  private diskFailed(err: unknown, op: string): void {
    if (this.disk) this.memory.adopt(this.disk.unsaved());
    const fault = classifyStorageFault(err);
    // A worse fault wins: a full disk that later turns corrupt must be reopened.
    if (this.lastFault === null || this.lastFault === 'full') this.lastFault = fault;
    if (this.mode === 'memory') {
      this.logger.debug({ ...this.options.logFields, err, op }, 'outbox disk still unavailable');
      return;
    }
    this.mode = 'memory';
    this.nextRetryAt = this.clock.now() + this.options.retryMs;
    this.logger.warn(
      { ...this.options.logFields, err, code: errorCode(err), fault, op, retry_ms: this.options.retryMs },
      'outbox disk unavailable, keeping new events in memory until it works again',
    );
  }

  private maybeRetryDisk(): void {
    if (this.mode === 'disk') {
      // Entries released after a recovery go back to memory: move them on while the disk works.
      const m = this.memory.stats();
      if (this.disk && m.depth > m.inFlight) {
        try {
          this.moveMemoryToDisk(this.disk);
        } catch (err) {
          this.diskFailed(err, 'move');
        }
      }
      return;
    }
    if (this.clock.now() < this.nextRetryAt) return;
    this.nextRetryAt = this.clock.now() + this.options.retryMs;
    this.retryDisk();
  }

  private retryDisk(): void {
    try {
      if (!this.disk || (this.lastFault !== null && this.lastFault !== 'full')) this.reopenDisk();
      const disk = this.disk;
      if (!disk) return;
      if (this.pendingAcks.length > 0) {
        disk.ack(this.pendingAcks);
        this.pendingAcks = [];
      }
      while (this.pendingDeadLetters[0]) {
        const { seq, status, reason } = this.pendingDeadLetters[0];
        disk.deadLetter(seq, status, reason);
        this.pendingDeadLetters.shift();
      }
      const moved = this.moveMemoryToDisk(disk);
      this.mode = 'disk';
      this.lastFault = null;
      this.logger.info(
        { ...this.options.logFields, moved, still_in_memory: this.memory.stats().depth },
        'outbox disk works again, moved the events kept in memory to disk',
      );
    } catch (err) {
      this.diskFailed(err, 'retry');
    }
  }

  /** One transaction; the memory forgets only what the disk committed. Returns how many moved. */
  private moveMemoryToDisk(disk: DiskStore): number {
    const entries = this.memory.movable();
    const deadLetters = this.memory.movableDeadLetters();
    if (entries.length === 0 && deadLetters.length === 0) return 0;
    disk.importEntries(entries, deadLetters);
    this.memory.forget(entries.map((e) => e.seq));
    this.memory.forgetDeadLetters(deadLetters.length);
    return entries.length;
  }

  /** Replaces the disk handle; entries in flight or waiting for a delete keep their lease. */
  private reopenDisk(): void {
    const old = this.disk;
    if (this.lastFault === 'corrupt' && old) {
      // Moved at most once: a failed open below must not move a new file on the next retry.
      this.lastFault = 'unavailable';
      try {
        this.options.moveDiskAside();
      } catch (err) {
        this.logger.warn({ ...this.options.logFields, err }, 'outbox could not move the corrupt database aside');
      }
    }
    this.closeDisk();
    const disk = this.options.openDisk();
    this.lastFault = null;
    const inFlight = [...this.owner].filter(([, store]) => store === old).map(([seq]) => seq);
    const waiting = [...this.pendingAcks, ...this.pendingDeadLetters.map((d) => d.seq)];
    const adopted = new Set(disk.adoptLeases([...inFlight, ...waiting]));
    for (const seq of inFlight) {
      if (adopted.has(seq)) this.owner.set(seq, disk);
      else this.owner.delete(seq);
    }
    this.pendingAcks = this.pendingAcks.filter((seq) => adopted.has(seq));
    this.pendingDeadLetters = this.pendingDeadLetters.filter((d) => adopted.has(d.seq));
    this.disk = disk;
  }

  private closeDisk(): void {
    const disk = this.disk;
    this.disk = null;
    if (!disk) return;
    try {
      this.droppedByClosedDisks += disk.stats().dropped;
      disk.close();
    } catch (err) {
      this.logger.debug({ ...this.options.logFields, err }, 'outbox disk handle did not close cleanly');
    }
    this.memory.adopt(disk.unsaved());
  }
}
