// Disk faults that cannot be caused for real in a test (a full disk, a file that turns
// corrupt while in use): a real SqliteOutbox behind a switch that makes its writes fail.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { createLogger } from '../../src/log/logger.js';
import { Counters } from '../../src/metrics/counters.js';
import { MemoryOutbox } from '../../src/outbox/memory-outbox.js';
import { moveCorruptAside, openDiskOutbox } from '../../src/outbox/open-outbox.js';
import type { DeadLetter, OutboxEntry, OutboxRecord } from '../../src/outbox/outbox.js';
import { ResilientOutbox, type DiskStore } from '../../src/outbox/resilient-outbox.js';
import { SeqCounter } from '../../src/outbox/seq-counter.js';
import { SqliteOutbox } from '../../src/outbox/sqlite-outbox.js';

function sqliteError(code: string): Error {
  return Object.assign(new Error(`injected ${code}`), { code });
}

/** Writes fail while `failWith` is set; reads still work, as on a full disk. */
class FlakyDisk implements DiskStore {
  failWith: Error | null = null;

  constructor(readonly inner: SqliteOutbox) {}

  append(record: OutboxRecord): { dropped: number } {
    this.check();
    return this.inner.append(record);
  }
  take(limit: number): OutboxEntry[] {
    return this.inner.take(limit);
  }
  ack(seqs: readonly number[]): void {
    this.check();
    this.inner.ack(seqs);
  }
  release(seqs: readonly number[]): void {
    if (this.failWith) this.inner.unlease(seqs); // as SqliteOutbox does when its write fails
    this.check();
    this.inner.release(seqs);
  }
  deadLetter(seq: number, status: number | null, reason: string): void {
    this.check();
    this.inner.deadLetter(seq, status, reason);
  }
  deadLetters(limit?: number): DeadLetter[] {
    return this.inner.deadLetters(limit);
  }
  stats(): ReturnType<SqliteOutbox['stats']> {
    return this.inner.stats();
  }
  close(): void {
    this.inner.close();
  }
  unlease(seqs: readonly number[]): void {
    this.inner.unlease(seqs);
  }
  adoptLeases(seqs: readonly number[]): number[] {
    return this.inner.adoptLeases(seqs);
  }
  importEntries(entries: readonly OutboxEntry[], deadLetters?: readonly DeadLetter[]): { dropped: number } {
    this.check();
    return this.inner.importEntries(entries, deadLetters);
  }
  unsaved(): OutboxEntry[] {
    return this.inner.unsaved();
  }
  private check(): void {
    if (this.failWith) throw this.failWith;
  }
}

interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

let dir: string;
let clock: FakeClock;
let lines: LogLine[];
let disks: FlakyDisk[];
let outbox: ResilientOutbox;
let nextFault: Error | null;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'resilient-outbox-'));
  clock = new FakeClock();
  outbox = makeOutbox(0);
});

/** A ResilientOutbox over FlakyDisks whose SqliteOutbox flushes with `syncWindowMs`. */
function makeOutbox(syncWindowMs: number): ResilientOutbox {
  lines = [];
  disks = [];
  nextFault = null;
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  const counters = new Counters();
  const seqs = new SeqCounter();
  const options = { dataDir: dir, maxBytes: 1 << 20, logger, counters, clock, seqs, syncWindowMs };
  return new ResilientOutbox({
    openDisk: () => {
      const disk = new FlakyDisk(openDiskOutbox(options));
      disk.failWith = nextFault;
      disks.push(disk);
      return disk;
    },
    moveDiskAside: () => moveCorruptAside(dir, clock, logger),
    memory: new MemoryOutbox({ maxBytes: 1 << 20, counters, dropReason: 'memory_full', clock, seqs }),
    logger,
    clock,
    retryMs: 10_000,
  });
}

afterEach(() => {
  outbox.close();
  rmSync(dir, { recursive: true, force: true });
});

const event = (id: string, time: number): OutboxRecord => ({ id, time, payload: JSON.stringify({ id }) });
const ids = (entries: { id: string }[]): string[] => entries.map((e) => e.id);
const stored = (): string[] => {
  const check = new SqliteOutbox({ path: join(dir, 'outbox.db'), maxBytes: 1 << 20 });
  try {
    return ids(check.take(1000));
  } finally {
    check.close();
  }
};

describe('ResilientOutbox when the disk fills up', () => {
  it('keeps new events in memory, never hands out a delivered one again, and settles everything once space is back', async () => {
    for (let i = 0; i < 3; i++) outbox.append(event(`d${i}`, 1000 + i));
    const [d0, d1] = outbox.take(2);
    disks[0]!.failWith = sqliteError('SQLITE_FULL');

    outbox.append(event('m0', 2000));
    expect(outbox.stats().storage).toBe('memory');
    outbox.ack([d0!.seq]); // delivered, but the delete cannot be written
    outbox.release([d1!.seq]);
    expect(ids(outbox.take(10))).toEqual(['d1', 'd2', 'm0']); // d0 not again; disk backlog first
    const warns = lines.filter((l) => l.level === 'warn');
    expect(warns).toHaveLength(1);
    expect(warns[0]).toMatchObject({ code: 'SQLITE_FULL', fault: 'full' });

    outbox.append(event('m1', 2001));
    await clock.advance(5_000);
    outbox.append(event('m2', 2002)); // too early to retry: still memory
    expect(outbox.stats().storage).toBe('memory');

    disks[0]!.failWith = null;
    await clock.advance(10_000);
    outbox.append(event('m3', 2003));
    expect(outbox.stats().storage).toBe('disk');
    expect(disks).toHaveLength(1); // a full disk keeps its handle
    expect(lines.filter((l) => l.level === 'info')).toHaveLength(1);
    // d0's delete was applied; d1, d2, m0 are still in flight; m1..m3 are on disk
    expect(stored()).toEqual(['d1', 'd2', 'm1', 'm2', 'm3']);
  });
});

describe('ResilientOutbox when the file turns corrupt in use', () => {
  it('moves it aside, starts a new one and moves the events kept in memory into it', async () => {
    outbox.append(event('old', 1000));
    disks[0]!.failWith = sqliteError('SQLITE_CORRUPT');
    outbox.append(event('m0', 2000));
    outbox.append(event('m1', 2001));
    expect(outbox.stats().storage).toBe('memory');

    await clock.advance(10_000);
    outbox.append(event('m2', 2002));
    expect(outbox.stats().storage).toBe('disk');
    expect(disks).toHaveLength(2);
    const aside = readdirSync(dir).filter((f) => f.startsWith('outbox.db.corrupt-'));
    expect(aside).toContain(`outbox.db.corrupt-${new Date(clock.now()).toISOString()}`);
    expect(lines.find((l) => l.level === 'error')?.msg).toMatch(/corrupt/);
    expect(stored()).toEqual(['m0', 'm1', 'm2']);
    expect(existsSync(join(dir, 'outbox.db'))).toBe(true);
  });
});

describe('ResilientOutbox when the disk fails while a sync window holds appends', () => {
  it('moves the appends the disk had not written to memory, so they are sent in their place', async () => {
    outbox.close();
    outbox = makeOutbox(100);
    outbox.append(event('a', 1000)); // written at once
    await clock.advance(10);
    outbox.append(event('b', 1001)); // staged for the window
    outbox.append(event('c', 1002));
    disks[0]!.failWith = sqliteError('SQLITE_IOERR_WRITE');
    outbox.append(event('m0', 1003));
    expect(outbox.stats()).toMatchObject({ storage: 'memory', depth: 4 });
    expect(ids(outbox.take(10))).toEqual(['a', 'b', 'c', 'm0']);
  });
});
