// Opens the outbox the daemon uses: SQLite in `${dataDir}/outbox.db`, wrapped so that a
// disk that is away (unwritable, full, failing) or a corrupt file never stops the daemon
// and never loses a reading the process still holds (see resilient-outbox.ts).
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { systemClock, type Clock } from '../clock/clock.js';
import type { Logger } from '../log/logger.js';
import type { Counters } from '../metrics/counters.js';
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
  return new ResilientOutbox({
    openDisk: () => openDiskOutbox({ ...options, clock, seqs }),
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
    logFields: { dataDir: options.dataDir, memoryMaxBytes },
  });
}

/**
 * Opens `${dataDir}/outbox.db`, creating the directory. A file found corrupt at open is moved
 * aside (see moveCorruptAside) and a new database is started. Throws when the disk is unusable.
 */
export function openDiskOutbox(options: OpenOutboxOptions & { clock: Clock; seqs: SeqCounter }): SqliteOutbox {
  mkdirSync(options.dataDir, { recursive: true });
  const open = (onCorrupt?: () => void): SqliteOutbox =>
    new SqliteOutbox({
      path: join(options.dataDir, OUTBOX_FILE),
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
    return open();
  }
}

/**
 * Renames outbox.db and its -wal and -shm to `outbox.db.corrupt-<ISO time>[-wal|-shm]` and
 * says so. Call it while the old handle is still open: SQLite deletes the -wal by name when
 * the last connection closes, which must hit neither the evidence nor a new file.
 */
export function moveCorruptAside(dataDir: string, clock: Clock, logger: Logger): string {
  const path = join(dataDir, OUTBOX_FILE);
  const movedTo = `${path}.corrupt-${new Date(clock.now()).toISOString()}`;
  renameSync(path, movedTo);
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, movedTo + suffix);
  }
  logger.error({ path, movedTo }, 'outbox database corrupt, moved it aside and started a new one');
  return movedTo;
}
