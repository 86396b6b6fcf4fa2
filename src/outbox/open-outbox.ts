// Opens the outbox the daemon uses: SQLite in `${dataDir}/outbox.db`, wrapped so that a
// disk that is away (unwritable, full, failing) or a corrupt file never stops the daemon
// once it runs and never loses a reading the process still holds (see resilient-outbox.ts).
//
// Invariants:
// - The data directory is locked (data-dir-lock.ts) before the outbox file is opened, and
//   unlocked when the outbox closes. Another daemon holding it is fatal at once
//   (DataDirInUseError); a directory that cannot be written is the disk being away.
// - The outbox file is created 0600 (SQLite gives its -wal and -shm the same mode) in a
//   0700 directory.
// - At start, READY=1 needs the outbox on disk: `untilOutboxOnDisk` tries the disk again
//   every second until it opens or the start deadline passes (then the daemon exits).
import { chmodSync, closeSync, existsSync, openSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { sleepQuietly, systemClock, type Clock } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';
import type { Counters } from '../metrics/counters.js';
import { DATA_FILE_MODE, DataDirInUseError, DataDirLock, makeDataDir } from './data-dir-lock.js';
import { MemoryOutbox } from './memory-outbox.js';
import type { Outbox } from './outbox.js';
import { ResilientOutbox } from './resilient-outbox.js';
import { SeqCounter } from './seq-counter.js';
import { OUTBOX_FILE, SqliteOutbox } from './sqlite-outbox.js';

export const DEFAULT_MEMORY_MAX_BYTES = 8 * 1024 * 1024;
export const DEFAULT_DISK_RETRY_MS = 30_000;

export interface OpenOutboxOptions {
  dataDir: string;
  maxBytes: number;
  /** Bound of the memory fallback. Default: the smaller of maxBytes and 8 MiB. */
  memoryMaxBytes?: number;
  logger: Logger;
  counters: Counters;
  clock?: Clock;
  /** While on memory, the disk is tried again at most this often (on append/take). Default 30 s. */
  diskRetryMs?: number;
  /** Dead letters kept on disk (and in memory); the oldest are pruned. Default 1000. */
  maxDeadLetters?: number;
  /** SqliteOutbox syncWindowMs. Default 0: every append is synced before it returns. */
  syncWindowMs?: number;
  /** Appends held back by the sync window can be taken now (wake the sender). */
  onSyncDue?: () => void;
}

export function openOutbox(options: OpenOutboxOptions): Outbox {
  return openResilientOutbox(options);
}

/** openOutbox, typed as the class (for tests and callers that want to see `storage`). */
export function openResilientOutbox(options: OpenOutboxOptions): ResilientOutbox {
  const clock = options.clock ?? systemClock;
  const seqs = new SeqCounter();
  const memoryMaxBytes = options.memoryMaxBytes ?? Math.min(options.maxBytes, DEFAULT_MEMORY_MAX_BYTES);
  let lock: DataDirLock | null = null;
  const takeLock = (): void => {
    lock ??= DataDirLock.acquire(options.dataDir);
  };
  try {
    takeLock();
  } catch (err) {
    if (err instanceof DataDirInUseError) throw err;
    // The directory cannot be used yet: the disk is away, taken again with it (openDisk).
  }
  return new ResilientOutbox({
    openDisk: () => {
      takeLock();
      return openDiskOutbox({ ...options, clock, seqs });
    },
    afterClose: () => lock?.release(),
    moveDiskAside: () => moveCorruptAside(options.dataDir, clock, options.logger),
    memory: new MemoryOutbox({
      maxBytes: memoryMaxBytes,
      maxDeadLetters: options.maxDeadLetters,
      counters: options.counters,
      logger: options.logger,
      dropReason: 'memory_full',
      clock,
      seqs,
    }),
    logger: options.logger,
    clock,
    retryMs: options.diskRetryMs ?? DEFAULT_DISK_RETRY_MS,
    logFields: { data_dir: options.dataDir, memory_max_bytes: memoryMaxBytes },
  });
}

/**
 * Opens `${dataDir}/outbox.db`, creating the directory. A file found corrupt at open is moved
 * aside (see moveCorruptAside) and a new database is started. Throws when the disk is unusable.
 */
export function openDiskOutbox(options: OpenOutboxOptions & { clock: Clock; seqs: SeqCounter }): SqliteOutbox {
  makeDataDir(options.dataDir);
  const path = join(options.dataDir, OUTBOX_FILE);
  createPrivate(path);
  const open = (onCorrupt?: () => void): SqliteOutbox =>
    new SqliteOutbox({
      path,
      maxBytes: options.maxBytes,
      maxDeadLetters: options.maxDeadLetters,
      counters: options.counters,
      logger: options.logger,
      clock: options.clock,
      seqs: options.seqs,
      syncWindowMs: options.syncWindowMs ?? 0,
      onCorrupt,
      ...(options.onSyncDue ? { onSyncDue: options.onSyncDue } : {}),
    });
  let moved = false;
  try {
    return open(() => {
      moveCorruptAside(options.dataDir, options.clock, options.logger);
      moved = true;
    });
  } catch (err) {
    if (!moved) throw err;
    createPrivate(path);
    return open();
  }
}

/** The file exists with mode 0600 before SQLite opens it: SQLite creates the -wal and -shm with the same mode. */
function createPrivate(path: string): void {
  closeSync(openSync(path, 'a', DATA_FILE_MODE));
  for (const suffix of ['', '-wal', '-shm']) {
    if (existsSync(path + suffix)) chmodSync(path + suffix, DATA_FILE_MODE);
  }
}

/**
 * READY=1 needs the outbox open on disk: resolves true once it is, trying the disk again every
 * `everyMs` (a ResilientOutbox that started on memory), false when `signal` aborts first (the
 * start deadline, or a stop). An outbox that is not a ResilientOutbox is taken as it is.
 */
export async function untilOutboxOnDisk(outbox: Outbox, clock: Clock, signal: AbortSignal, everyMs = 1000): Promise<boolean> {
  if (!(outbox instanceof ResilientOutbox)) return true;
  for (;;) {
    if (outbox.stats().storage === 'disk') return true;
    if (signal.aborted) return false;
    await sleepQuietly(clock, everyMs, signal);
    if (!signal.aborted) outbox.retryDiskNow();
  }
}

/**
 * Renames outbox.db and its -wal and -shm to `outbox.db.corrupt-<ISO time>[-wal|-shm]` and
 * says so. Call it while the old handle is still open: SQLite deletes the -wal by name when
 * the last connection closes, which must hit neither the evidence nor a new file.
 */
export function moveCorruptAside(dataDir: string, clock: Clock, logger: Logger): string {
  const path = join(dataDir, OUTBOX_FILE);
  const movedTo = `${path}.corrupt-${new Date(clock.wallNow()).toISOString()}`;
  renameSync(path, movedTo);
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
  }
  logger.error({ path, moved_to: movedTo }, 'outbox database corrupt, moved it aside and started a new one');
  return movedTo;
}
