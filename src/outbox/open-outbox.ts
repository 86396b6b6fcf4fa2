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
import { classifyStorageFault } from './storage-fault.js';

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
  maxDeadLetters?: number;
}

export function openOutbox(options: OpenOutboxOptions): Outbox {
  return openResilientOutbox(options);
}

/** openOutbox, typed as the class (for tests and for callers that want `storage`). */
export function openResilientOutbox(options: OpenOutboxOptions): ResilientOutbox {
  const clock = options.clock ?? systemClock;
  const seqs = new SeqCounter();
  const memoryMaxBytes = options.memoryMaxBytes ?? Math.min(options.maxBytes, DEFAULT_MEMORY_MAX_BYTES);
  return new ResilientOutbox({
    openDisk: (corrupt) => openDiskOutbox({ ...options, clock, seqs }, corrupt),
    memory: new MemoryOutbox({
      maxBytes: memoryMaxBytes,
      maxDeadLetters: options.maxDeadLetters,
      counters: options.counters,
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
 * Opens `${dataDir}/outbox.db`, creating the directory. A corrupt file (or, with
 * `moveAsideFirst`, one found corrupt while in use) is renamed with its -wal and -shm to
 * `outbox.db.corrupt-<ISO time>` and a new database is started. Throws when the disk is unusable.
 */
export function openDiskOutbox(
  options: OpenOutboxOptions & { clock: Clock; seqs: SeqCounter },
  moveAsideFirst = false,
): SqliteOutbox {
  mkdirSync(options.dataDir, { recursive: true });
  const path = join(options.dataDir, OUTBOX_FILE);
  const open = (): SqliteOutbox =>
    new SqliteOutbox({
      path,
      maxBytes: options.maxBytes,
      maxDeadLetters: options.maxDeadLetters,
      counters: options.counters,
      clock: options.clock,
      seqs: options.seqs,
    });
  if (moveAsideFirst && existsSync(path)) {
    const movedTo = moveAside(path, options.clock);
    options.logger.error({ path, movedTo }, 'outbox database corrupt, moved it aside and started a new one');
    return open();
  }
  try {
    return open();
  } catch (err) {
    if (classifyStorageFault(err) !== 'corrupt') throw err;
    const movedTo = moveAside(path, options.clock);
    options.logger.error({ err, path, movedTo }, 'outbox database corrupt, moved it aside and started a new one');
    return open();
  }
}

function moveAside(path: string, clock: Clock): string {
  const target = `${path}.corrupt-${new Date(clock.now()).toISOString()}`;
  renameSync(path, target);
  for (const suffix of ['-wal', '-shm']) {
    if (existsSync(path + suffix)) renameSync(path + suffix, target + suffix);
  }
  return target;
}
