// Durability grouped by a sync window (SD cards wear by the fsync): what the outbox wrote
// during a window goes to the file in one transaction, then the -wal file is fdatasync'ed
// once (WAL with synchronous=NORMAL: what synchronous=FULL does at every commit, done once
// per window).
//
// Invariants:
// - Appends and deletes wait here, in memory, until `flush`; a flush writes them all in one
//   transaction (the caller's `write`) and then fdatasyncs the -wal. A failed write keeps
//   everything staged, so the next flush tries it again.
// - A flush is due when the last one is older than `windowMs`; a window of 0 makes every
//   flush due at once. `schedule` arms one timer (on the injected Clock) for the end of the
//   current window, or `windowMs` from now after a failed flush; a flush or `close` cancels it.
//   The timer's owner flushes when it fires (the outbox owns its durability, whatever the
//   sender does), so what is staged is on stable storage within one window of its append.
// - Deletes can also go as a group commit (`flushDeletes`): their transaction is written at
//   once and the fdatasync runs on libuv's thread pool (fs.fdatasync), so the event loop
//   keeps sending while the disk syncs. One group is in flight at a time; deletes staged
//   meanwhile wait for the next group, which the owner starts when `onGroupSynced` says the
//   flight landed. A flight counts its deletes as unsynced until it lands; a synchronous
//   `flush` covers it (an fdatasync makes durable all that was written before the call).
//   A failed group sync is kept as `fault` and thrown by `throwFault` (the owner's next
//   operation), as a synchronous fdatasync failure would have been; no group starts until then.
// - `close` never closes the -wal descriptor under a flight: the flight's landing closes it.
import { closeSync, fdatasync, fdatasyncSync, openSync } from 'node:fs';
import type { Clock } from '../clock/clock.js';
import type { OutboxEntry } from './outbox.js';
import { errorCode } from './storage-fault.js';

export interface SyncBatchOptions {
  /** The database file; its `-wal` is fdatasync'ed. */
  path: string;
  windowMs: number;
  clock: Clock;
  /** Writes appends and deletes in one transaction. */
  write: (entries: readonly OutboxEntry[], deletes: readonly number[]) => void;
  /** The window ended with writes still staged: flush them (and call `schedule(true)` if that fails). */
  onWindowEnd: () => void;
  /** A group's fdatasync landed (or failed: see `throwFault`); the owner may start the next group. */
  onGroupSynced?: () => void;
  /** fdatasync on the thread pool; tests pass a fake whose completion they drive. Default fs.fdatasync. */
  fdatasync?: AsyncFdatasync;
}

export type AsyncFdatasync = (fd: number, done: (err: NodeJS.ErrnoException | null) => void) => void;

/** A group of deletes written and being fdatasync'ed; `deletes` drops to 0 once a synchronous flush covered it. */
interface Flight {
  deletes: number;
}

export class SyncBatch {
  /** Appended, not yet written (oldest first). */
  staged: OutboxEntry[] = [];
  /** Acked or dropped, still in the file until the next flush. */
  readonly deletes = new Set<number>();
  readonly windowMs: number;
  private lastSyncAt = Number.NEGATIVE_INFINITY;
  private timer: AbortController | null = null;
  /** The -wal file, opened for fdatasync at the first sync. */
  private walFd: number | null = null;
  private flight: Flight | null = null;
  private fault: Error | null = null;
  private closed = false;

  constructor(private readonly options: SyncBatchOptions) {
    this.windowMs = options.windowMs;
  }

  /** True when the last flush is at least a window old. */
  isDue(): boolean {
    return this.options.clock.now() - this.lastSyncAt >= this.windowMs;
  }

  hasWrites(): boolean {
    return this.staged.length > 0 || this.deletes.size > 0;
  }

  /**
   * Writes what is staged in one transaction, then fdatasyncs the -wal. Returns the highest
   * seq it wrote (0 when it wrote no append).
   */
  flush(): number {
    let lastSeq = 0;
    if (this.hasWrites()) {
      this.options.write(this.staged, [...this.deletes]);
      lastSeq = this.staged.at(-1)?.seq ?? 0;
      this.staged = [];
      this.deletes.clear();
    }
    this.syncWal();
    if (this.flight) this.flight.deletes = 0; // covered: written before this fdatasync
    this.lastSyncAt = this.options.clock.now();
    this.cancel();
    return lastSeq;
  }

  /** Deletes written and not known to be on stable storage: staged, and those of the flight. */
  unsyncedDeletes(): number {
    return this.deletes.size + (this.flight?.deletes ?? 0);
  }

  /**
   * Group commit of the staged deletes: writes them in one transaction now and fdatasyncs the
   * -wal on the thread pool. Does nothing while a group is in flight or a fault waits (the
   * owner starts the next group when this one lands) or when no delete is staged. Staged
   * appends stay staged: they are synced by `flush`, before anyone may take them.
   */
  flushDeletes(): void {
    if (this.flight || this.fault !== null || this.deletes.size === 0) return;
    this.options.write([], [...this.deletes]);
    const flight: Flight = { deletes: this.deletes.size };
    this.deletes.clear();
    this.walFd ??= openWal(`${this.options.path}-wal`);
    this.lastSyncAt = this.options.clock.now();
    const fd = this.walFd;
    if (fd === null) return; // no -wal: nothing was written since the last close
    this.flight = flight;
    (this.options.fdatasync ?? fdatasync)(fd, (err) => this.landed(flight, fd, err));
  }

  /** Throws (once) the failure of the last group's fdatasync: a storage fault for the owner's caller. */
  throwFault(): void {
    if (this.fault === null) return;
    const fault = this.fault;
    this.fault = null;
    throw fault;
  }

  /** fdatasync of the -wal alone (at open: what a killed process committed may not be on stable storage yet). */
  syncWal(): void {
    this.walFd ??= openWal(`${this.options.path}-wal`);
    if (this.walFd !== null) fdatasyncSync(this.walFd);
  }

  /** Arms the timer for the end of the current window (once); `retry`: a full window from now. */
  schedule(retry = false): void {
    if (this.timer) return;
    const timer = new AbortController();
    this.timer = timer;
    const now = this.options.clock.now();
    const delay = retry ? this.windowMs : this.lastSyncAt + this.windowMs - now;
    this.options.clock.sleep(Math.max(0, delay), timer.signal).then(
      () => {
        if (this.timer === timer) this.timer = null;
        this.options.onWindowEnd();
      },
      () => undefined, // cancelled: a flush came first, or the outbox closed
    );
  }

  close(): void {
    this.cancel();
    this.closed = true;
    if (this.walFd !== null && !this.flight) closeSync(this.walFd);
    this.walFd = null;
  }

  private landed(flight: Flight, fd: number, err: NodeJS.ErrnoException | null): void {
    this.flight = null;
    if (this.closed) {
      closeSync(fd); // left open for this flight by close()
      return;
    }
    // Kept even when a synchronous flush covered this flight since: after a failed fdatasync
    // the kernel may have dropped the pages, and a later success does not bring them back.
    if (err) this.fault = err;
    this.options.onGroupSynced?.();
  }

  private cancel(): void {
    this.timer?.abort();
    this.timer = null;
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
