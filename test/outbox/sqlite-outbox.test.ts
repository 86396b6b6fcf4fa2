// The disk outbox against real files and a real crash: what survives, what is moved aside,
// and what happens while the data dir cannot be used.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { createLogger, silentLogger } from '../../src/log/logger.js';
import { Counters } from '../../src/metrics/counters.js';
import { openResilientOutbox } from '../../src/outbox/open-outbox.js';
import Database from 'better-sqlite3';
import { ACK_SYNC_BATCH, SqliteOutbox } from '../../src/outbox/sqlite-outbox.js';
import { storedIds } from '../helpers/outbox-file.js';

const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));

interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

function captureLogger(): { logger: ReturnType<typeof createLogger>; lines: LogLine[] } {
  const lines: LogLine[] = [];
  const logger = createLogger('info', { write: (line: string) => void lines.push(JSON.parse(line) as LogLine) });
  return { logger, lines };
}

const event = (id: string, time: number): { id: string; time: number; payload: string } => ({
  id,
  time,
  payload: JSON.stringify({ id, temp: 21.5 }),
});

let dir: string;

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sqlite-outbox-'));
});

afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('SqliteOutbox on disk', () => {
  it('keeps events, attempts, dead letters and order across close and reopen; leases do not survive', () => {
    const path = join(dir, 'outbox.db');
    const first = new SqliteOutbox({ path, maxBytes: 1 << 20 });
    for (let i = 0; i < 5; i++) first.append(event(`e${i}`, 1000 + i));
    const taken = first.take(3);
    first.release([taken[0]!.seq]);
    first.deadLetter(taken[1]!.seq, 406, 'invalid JSON');
    // taken[2] stays in flight when the process goes away
    const bytes = first.stats().bytes;
    first.close();

    const second = new SqliteOutbox({ path, maxBytes: 1 << 20 });
    try {
      expect(second.stats()).toMatchObject({ depth: 4, inFlight: 0, deadLettered: 1, bytes });
      const again = second.take(10);
      expect(again.map((e) => e.id)).toEqual(['e0', 'e2', 'e3', 'e4']);
      expect(again[0]?.attempts).toBe(1);
      expect(second.deadLetters()[0]).toMatchObject({ id: 'e1', status: 406 });
      second.append(event('late', 500));
      const late = second.take(1)[0];
      expect(late?.id).toBe('late');
      expect(late!.seq).toBeGreaterThan(Math.max(...taken.map((e) => e.seq)));
    } finally {
      second.close();
    }
  });

  it('serves a backlog far larger than what it reads ahead in order, through releases, acks and appends', () => {
    const path = join(dir, 'outbox.db');
    const outbox = new SqliteOutbox({ path, maxBytes: 1 << 30 });
    try {
      for (let i = 0; i < 1000; i++) outbox.append(event(`e${i}`, 1000 + i));
      const first = outbox.take(300);
      expect(first.map((e) => e.id)).toEqual(Array.from({ length: 300 }, (_, i) => `e${i}`));
      outbox.ack(first.filter((_, i) => i % 3 !== 1).map((e) => e.seq));
      outbox.release(first.filter((_, i) => i % 3 === 1).map((e) => e.seq));
      for (let i = 1000; i < 1010; i++) outbox.append(event(`e${i}`, i)); // the clock stepped back
      const rest = outbox.take(5000);
      const expected = [
        ...Array.from({ length: 100 }, (_, k) => `e${3 * k + 1}`),
        ...Array.from({ length: 710 }, (_, k) => `e${300 + k}`),
      ];
      expect(rest.map((e) => e.id)).toEqual(expected);
      expect(rest[0]?.attempts).toBe(1);
      expect(outbox.stats()).toMatchObject({ depth: 810, inFlight: 810 });
      const bytes = outbox.stats().bytes;
      outbox.close();
      const reopened = new SqliteOutbox({ path, maxBytes: 1 << 30 });
      try {
        expect(reopened.stats()).toMatchObject({ depth: 810, bytes, inFlight: 0 });
        expect(reopened.take(5000).map((e) => e.id)).toEqual(expected);
      } finally {
        reopened.close();
      }
    } finally {
      outbox.close();
    }
  });

  it('drops the oldest entries it has already read ahead, never one in flight', () => {
    const id = (i: number): string => `e${String(i).padStart(3, '0')}`; // equal payload sizes
    const size = event(id(0), 0).payload.length;
    const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), maxBytes: 500 * size, counters: new Counters() });
    try {
      for (let i = 0; i < 500; i++) outbox.append(event(id(i), i));
      const inFlight = outbox.take(2); // reads the oldest rows ahead
      expect(outbox.append(event(id(500), 500))).toEqual({ dropped: 1 }); // e002
      outbox.release([inFlight[1]!.seq]);
      expect(outbox.append(event(id(501), 501))).toEqual({ dropped: 1 }); // e001, released, is the oldest free
      expect(outbox.stats()).toMatchObject({ depth: 500, bytes: 500 * size, dropped: 2, inFlight: 1 });
      const rest = outbox.take(1000).map((e) => e.id);
      expect(rest).toHaveLength(499);
      expect(rest.slice(0, 2)).toEqual([id(3), id(4)]);
      expect(rest.slice(-2)).toEqual([id(500), id(501)]);
    } finally {
      outbox.close();
    }
  });

  it('loses no committed event when the process is killed with SIGKILL mid-stream', async () => {
    const path = join(dir, 'outbox.db');
    const committed: string[] = [];
    for (let run = 0; run < 3; run++) committed.push(...(await appendUntilKilled(path, `r${run}`, 200)));
    expect(committed.length).toBeGreaterThanOrEqual(600);

    const outbox = new SqliteOutbox({ path, maxBytes: 1 << 30 });
    try {
      const stored = new Set(outbox.take(1_000_000).map((e) => e.id));
      expect(committed.filter((id) => !stored.has(id))).toEqual([]);
    } finally {
      outbox.close();
    }
   }, 90_000); // three children fsyncing every append: slow on a loaded 2-core machine, not wrong
});

describe('openOutbox', () => {
  it('creates the outbox files 0600 in a 0700 directory', () => {
    const dataDir = join(dir, 'data');
    const outbox = openResilientOutbox({ dataDir, maxBytes: 1 << 20, logger: silentLogger(), counters: new Counters(), clock: new FakeClock() });
    try {
      outbox.append(event('private', 1));
      expect(statSync(dataDir).mode & 0o777).toBe(0o700);
      for (const f of ['outbox.db', 'outbox.db-wal', 'outbox.db-shm']) expect(statSync(join(dataDir, f)).mode & 0o777, f).toBe(0o600);
    } finally {
      outbox.close();
    }
  });

  it('moves a corrupt file aside with a timestamp, says so, and starts a new one', () => {
    const dataDir = join(dir, 'data');
    mkdirSync(dataDir);
    const garbage = Buffer.alloc(16384, 0x5a);
    writeFileSync(join(dataDir, 'outbox.db'), garbage);
    writeFileSync(join(dataDir, 'outbox.db-wal'), garbage.subarray(0, 100));
    const clock = new FakeClock(Date.UTC(2026, 2, 4, 5, 6, 7, 89));
    const { logger, lines } = captureLogger();

    const outbox = openResilientOutbox({ dataDir, maxBytes: 1 << 20, logger, counters: new Counters(), clock });
    try {
      const aside = join(dataDir, 'outbox.db.corrupt-2026-03-04T05:06:07.089Z');
      expect(readFileSync(aside)).toEqual(garbage);
      expect(existsSync(`${aside}-wal`)).toBe(true);
      const error = lines.find((l) => l.level === 'error');
      expect(error).toMatchObject({ moved_to: aside });
      expect(error?.msg).toMatch(/corrupt/);

      outbox.append(event('fresh', 1));
      expect(outbox.take(1).map((e) => e.id)).toEqual(['fresh']);
      expect(outbox.stats().storage).toBe('disk');
    } finally {
      outbox.close();
    }
  });

  it('keeps events in memory while the data dir cannot be made, then moves them to disk in order', async () => {
    // Tests run as root on CI, where chmod does not stop anyone: block the path with a file.
    const blocker = join(dir, 'afile');
    writeFileSync(blocker, 'not a directory');
    const dataDir = join(blocker, 'sub');
    const clock = new FakeClock();
    const { logger, lines } = captureLogger();
    const counters = new Counters();

    const outbox = openResilientOutbox({ dataDir, maxBytes: 1 << 20, logger, counters, clock, diskRetryMs: 30_000 });
    try {
      expect(outbox.stats().storage).toBe('memory');
      const warns = (): LogLine[] => lines.filter((l) => l.level === 'warn');
      expect(warns()).toHaveLength(1);
      expect(warns()[0]).toMatchObject({ data_dir: dataDir, code: 'ENOTDIR' });

      for (let i = 0; i < 5; i++) outbox.append(event(`m${i}`, clock.now() + i));
      const inFlight = outbox.take(1); // m0 is being sent while the disk comes back
      await clock.advance(31_000);
      outbox.append(event('m5', clock.now()));
      expect(outbox.stats().storage).toBe('memory'); // still blocked: retried, quietly
      expect(warns()).toHaveLength(1);

      rmSync(blocker);
      await clock.advance(31_000);
      outbox.append(event('m6', clock.now()));
      expect(outbox.stats()).toMatchObject({ storage: 'disk', depth: 7, inFlight: 1 });
      expect(lines.find((l) => l.level === 'info')).toMatchObject({ moved: 5, still_in_memory: 1 });
      expect(existsSync(join(dataDir, 'outbox.db'))).toBe(true);

      outbox.release(inFlight.map((e) => e.seq)); // the send failed: m0 goes back, first in line
      const all = outbox.take(100);
      expect(all.map((e) => e.id)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
      expect(all[0]?.attempts).toBe(1);
      outbox.release(all.map((e) => e.seq));
    } finally {
      outbox.close();
    }

    // Everything is on disk now: a restart finds it all, in order.
    const reopened = new SqliteOutbox({ path: join(dataDir, 'outbox.db'), maxBytes: 1 << 20 });
    try {
      expect(reopened.take(100).map((e) => e.id)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5', 'm6']);
    } finally {
      reopened.close();
    }
    expect(counters.get('events_dropped_total')).toBe(0);
  });

  it('bounds the memory fallback and counts what it drops', () => {
    const blocker = join(dir, 'afile');
    writeFileSync(blocker, '');
    const counters = new Counters();
    const outbox = openResilientOutbox({
      dataDir: join(blocker, 'sub'),
      maxBytes: 1 << 20,
      memoryMaxBytes: 2 * event('m0', 0).payload.length,
      logger: silentLogger(),
      counters,
      clock: new FakeClock(),
    });
    try {
      for (let i = 0; i < 4; i++) outbox.append(event(`m${i}`, i));
      expect(outbox.take(10).map((e) => e.id)).toEqual(['m2', 'm3']);
      expect(counters.get('events_dropped_total', { reason: 'memory_full' })).toBe(2);
      expect(outbox.stats()).toMatchObject({ storage: 'memory', dropped: 2 });
    } finally {
      outbox.close();
    }
  });

  it('says when it closes with events only in memory', () => {
    const blocker = join(dir, 'afile');
    writeFileSync(blocker, '');
    const { logger, lines } = captureLogger();
    const outbox = openResilientOutbox({
      dataDir: join(blocker, 'sub'),
      maxBytes: 1 << 20,
      logger,
      counters: new Counters(),
      clock: new FakeClock(),
    });
    outbox.append(event('m0', 0));
    outbox.close();
    expect(lines.find((l) => l.level === 'error')).toMatchObject({ lost: 1 });
  });
});

describe('SqliteOutbox sync window', () => {
  /** An outbox flushing in 100 ms windows on a fake clock. */
  const windowed = (options: { maxBytes?: number; onSyncDue?: () => void } = {}) => {
    const path = join(dir, 'outbox.db');
    const clock = new FakeClock();
    const outbox = new SqliteOutbox({ path, maxBytes: 1 << 20, clock, syncWindowMs: 100, ...options });
    return { path, clock, outbox };
  };
  /** Makes every insert into the file fail, as a disk that refuses writes would. */
  const REFUSE_INSERTS = "CREATE TRIGGER refuse BEFORE INSERT ON events BEGIN SELECT RAISE(ABORT, 'disk says no'); END";

  it('writes a reading at once when the last flush is older than the window, else with the window: never sent before', async () => {
    let due = 0;
    const { path, clock, outbox } = windowed({ onSyncDue: () => due++ });
    try {
      outbox.append(event('a', 1));
      expect(storedIds(path)).toEqual(['a']);
      await clock.advance(30);
      outbox.append(event('b', 2));
      outbox.append(event('c', 3));
      expect(storedIds(path)).toEqual(['a']); // b and c wait for the window
      expect(outbox.take(10).map((e) => e.id)).toEqual(['a']);
      expect(outbox.stats().depth).toBe(3);
      await clock.advance(69);
      expect(due).toBe(0);
      await clock.advance(1);
      expect(due).toBe(1);
      expect(outbox.take(10).map((e) => e.id)).toEqual(['b', 'c']);
      expect(storedIds(path)).toEqual(['a', 'b', 'c']);
      await clock.advance(500);
      outbox.append(event('d', 4)); // a quiet window: written at once
      expect(storedIds(path)).toEqual(['a', 'b', 'c', 'd']);
    } finally {
      outbox.close();
    }
  });

  it('syncs a reading at the end of its window by its own timer, while nobody takes (the sender backs off)', async () => {
    const { path, clock, outbox } = windowed();
    try {
      outbox.append(event('sensor-1', 1));
      await clock.advance(1);
      outbox.append(event('sensor-2', 1)); // the second sensor, read in the same instant
      expect(storedIds(path)).toEqual(['sensor-1']);
      await clock.advance(99);
      // No take: the window's end alone wrote it, so a SIGKILL from here on cannot lose it.
      expect(storedIds(path)).toEqual(['sensor-1', 'sensor-2']);
    } finally {
      outbox.close();
    }
  });

  it('tries a failed timer flush again a window later, keeping what it staged', async () => {
    const { path, clock, outbox } = windowed();
    const other = new Database(path);
    try {
      outbox.append(event('a', 1));
      await clock.advance(10);
      outbox.append(event('b', 2));
      other.exec(REFUSE_INSERTS);
      await clock.advance(90); // the timer's flush fails: nothing thrown at anyone
      expect(storedIds(path)).toEqual(['a']);
      other.exec('DROP TRIGGER refuse');
      await clock.advance(100);
      expect(storedIds(path)).toEqual(['a', 'b']);
    } finally {
      other.close();
      outbox.close();
    }
  });

  it(`deletes delivered events with the next flush, or once ${ACK_SYNC_BATCH} wait, and never hands them out again`, async () => {
    const { path, clock, outbox } = windowed({ maxBytes: 1 << 30 });
    try {
      for (let i = 0; i < ACK_SYNC_BATCH + 10; i++) {
        outbox.append(event(`e${i}`, i));
        await clock.advance(100);
      }
      const first = outbox.take(ACK_SYNC_BATCH - 1);
      outbox.ack(first.map((e) => e.seq));
      expect(storedIds(path)).toHaveLength(ACK_SYNC_BATCH + 10); // still there: a kill now resends them
      expect(outbox.stats().depth).toBe(11);
      const rest = outbox.take(100);
      expect(rest.map((e) => e.id)).toEqual(Array.from({ length: 11 }, (_, i) => `e${ACK_SYNC_BATCH - 1 + i}`));
      outbox.ack([rest[0]!.seq]); // the batch is full: one transaction deletes them all
      expect(storedIds(path)).toHaveLength(10);
      outbox.release(rest.slice(1).map((e) => e.seq));
    } finally {
      outbox.close();
    }
    expect(storedIds(path)).toHaveLength(10);
  });

  it('keeps what a failed flush staged, in order, and writes it with the next flush that works', async () => {
    const { path, clock, outbox } = windowed();
    const other = new Database(path);
    try {
      outbox.append(event('a', 1));
      await clock.advance(10);
      outbox.append(event('b', 2)); // staged
      other.exec(REFUSE_INSERTS);
      await clock.advance(100);
      expect(() => outbox.append(event('c', 3))).toThrow(/disk says no/);
      expect(outbox.stats().depth).toBe(2); // c is the caller's to keep; b waits
      expect(() => outbox.take(10)).toThrow(/disk says no/);
      other.exec('DROP TRIGGER refuse');
      expect(outbox.take(10).map((e) => e.id)).toEqual(['a', 'b']);
      expect(storedIds(path)).toEqual(['a', 'b']);
    } finally {
      other.close();
      outbox.close();
    }
  });

  it('imports a large batch (a long memory fallback, a prefilled backlog) in one go', () => {
    const outbox = new SqliteOutbox({ path: join(dir, 'outbox.db'), maxBytes: 1 << 30 });
    try {
      const entries = Array.from({ length: 200_000 }, (_, i) => ({ ...event(`e${i}`, i), seq: i + 1, attempts: 0, mono: null, bootId: null }));
      expect(outbox.importEntries(entries)).toEqual({ dropped: 0 });
      expect(outbox.take(2).map((e) => e.id)).toEqual(['e0', 'e1']);
      outbox.append(event('next', 1));
      expect(outbox.stats().depth).toBe(200_001);
    } finally {
      outbox.close();
    }
  });

  it('hands over what it could not write when it is given up', async () => {
    const { path, outbox } = windowed();
    const other = new Database(path);
    try {
      outbox.append(event('a', 1));
      const [a] = outbox.take(1);
      outbox.ack([a!.seq]);
      outbox.append(event('b', 2));
      other.exec(REFUSE_INSERTS);
      expect(() => outbox.close()).toThrow(/disk says no/);
      expect(outbox.unsaved().map((e) => e.id)).toEqual(['b']);
      expect(outbox.stats().depth).toBe(0); // b is the caller's now; a is delivered
    } finally {
      other.close();
    }
  });
});

/** Runs the append child until it has committed `atLeast` events, SIGKILLs it, returns the ids it printed. */
async function appendUntilKilled(path: string, run: string, atLeast: number): Promise<string[]> {
  const child = spawn(
    process.execPath,
    ['--import', join(fixtures, 'ts-loader.mjs'), join(fixtures, 'append-child.mjs'), path, run],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let out = '';
  let err = '';
  child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on('exit', (_code, signal) => resolve(signal)));
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk.toString();
    if (out.split('\n').length > atLeast) child.kill('SIGKILL');
  });
  const signal = await exited;
  clearTimeout(timer);
  expect(signal, err).toBe('SIGKILL');
  const ids = out.split('\n');
  ids.pop(); // '' after the last newline, or a line cut short by the kill: not a committed id
  expect(ids.length, err).toBeGreaterThanOrEqual(atLeast);
  return ids;
}
