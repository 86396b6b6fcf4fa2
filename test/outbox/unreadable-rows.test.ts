// Nothing read back from an outbox file can crash the daemon: a row SQLite cannot read, or
// whose fields are not what the format says, leaves the queue for the dead letters (reason
// `unreadable`), is counted and logged once, and the queue goes on. Real files, real bytes.
import { mkdtempSync, openSync, readFileSync, closeSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { createLogger } from '../../src/log/logger.js';
import { Counters } from '../../src/metrics/counters.js';
import { MemoryOutbox } from '../../src/outbox/memory-outbox.js';
import { SqliteOutbox } from '../../src/outbox/sqlite-outbox.js';

interface LogLine {
  level: string;
  msg: string;
  [key: string]: unknown;
}

function capture(): { logger: ReturnType<typeof createLogger>; lines: LogLine[] } {
  const lines: LogLine[] = [];
  return { logger: createLogger('debug', { write: (l: string) => void lines.push(JSON.parse(l) as LogLine) }), lines };
}

const event = (id: string): { id: string; time: number; payload: string } => ({ id, time: 1000, payload: JSON.stringify({ id, pad: 'p'.repeat(200) }) });

let dir: string;
let path: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'unreadable-'));
  path = join(dir, 'outbox.db');
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A closed file holding ok-0 .. ok-4 with `bad` in the middle. */
function fileWith(bad: string): void {
  const outbox = new SqliteOutbox({ path, maxBytes: 1 << 20 });
  for (const id of ['ok-0', 'ok-1', bad, 'ok-3', 'ok-4']) outbox.append(event(id));
  outbox.close();
}

function open(counters: Counters, logger = capture().logger): SqliteOutbox {
  return new SqliteOutbox({ path, maxBytes: 1 << 20, counters, logger, clock: new FakeClock(5000) });
}

describe('unreadable outbox rows', () => {
  it.each([
    ['a payload that is a blob', "UPDATE events SET payload = x'00ff00ff' WHERE id = 'bad'"],
    ['a time that is text', "UPDATE events SET time = 'yesterday' WHERE id = 'bad'"],
    ['a negative attempt count', "UPDATE events SET attempts = -3 WHERE id = 'bad'"],
    ['an empty id', "UPDATE events SET id = '' WHERE id = 'bad'"],
    ['a boot that is a blob', "UPDATE events SET boot = x'07' WHERE id = 'bad'"],
    ['a boot that is text', "UPDATE events SET boot = 'first' WHERE id = 'bad'"],
    ['a boot that names no boots row', "UPDATE events SET boot = 99 WHERE id = 'bad'"],
    [
      'a boot whose boot id is a blob',
      "INSERT INTO boots (n, boot_id) VALUES (7, x'07'); UPDATE events SET boot = 7 WHERE id = 'bad'",
    ],
    ['a monotonic time that is text', "UPDATE events SET mono_ms = 'soon' WHERE id = 'bad'"],
  ])('moves a row with %s to the dead letters as unreadable, counts it, logs it once and goes on', (_, sql) => {
    fileWith('bad');
    const db = new Database(path);
    db.exec(sql);
    db.close();
    const counters = new Counters();
    const { logger, lines } = capture();
    const outbox = open(counters, logger);
    try {
      expect(outbox.take(10).map((e) => e.id)).toEqual(['ok-0', 'ok-1', 'ok-3', 'ok-4']);
      expect(outbox.take(10)).toEqual([]);
      expect(outbox.deadLetters().map((d) => [d.status, d.reason])).toEqual([[null, 'unreadable']]);
      expect(outbox.stats()).toMatchObject({ depth: 4, inFlight: 4, deadLettered: 1 });
      expect(counters.get('events_dead_lettered_total', { status: 'unreadable' })).toBe(1);
      expect(lines.filter((l) => /unreadable/.test(l.msg))).toHaveLength(1);
    } finally {
      outbox.close();
    }
  });

  it('survives a flipped byte in a row of the real file: the other rows are delivered in order', () => {
    const badId = 'flip-me-0123456789';
    fileWith(badId);
    // The record header byte that says "id is a text of N bytes" sits 7 bytes before the id's
    // text (header: length, seq, id, time, attempts, payload (2 bytes), mono, boot).
    // A page that moved in a b-tree split can leave a stale copy behind: flip every copy.
    const bytes = readFileSync(path);
    const copies: number[] = [];
    for (let at = bytes.indexOf(Buffer.from(badId)); at >= 0; at = bytes.indexOf(Buffer.from(badId), at + 1)) {
      if (bytes[at - 7] === badId.length * 2 + 13) copies.push(at - 7);
    }
    expect(copies.length).toBeGreaterThan(0);
    const fd = openSync(path, 'r+');
    for (const at of copies) writeSync(fd, Buffer.from([0x07]), 0, 1, at); // now an 8-byte float: every later column shifts
    closeSync(fd);

    const counters = new Counters();
    const outbox = open(counters);
    try {
      const taken = [...outbox.take(10), ...outbox.take(10)];
      const ids = taken.map((e) => e.id);
      expect(ids).toEqual(['ok-0', 'ok-1', 'ok-3', 'ok-4']);
      const gone =
        counters.get('events_dead_lettered_total', { status: 'unreadable' }) + counters.get('events_dropped_total', { reason: 'unreadable' });
      expect(gone).toBe(1);
      outbox.append(event('after'));
      expect(outbox.take(10).map((e) => e.id)).toEqual(['after']);
    } finally {
      outbox.close();
    }
  });

  it('lets the sender dead-letter a payload it cannot parse with reason unreadable', () => {
    const counters = new Counters();
    const outbox = open(counters);
    try {
      outbox.append({ id: 'x', time: 1, payload: '{"flipped' });
      const [e] = outbox.take(1);
      outbox.deadLetter(e!.seq, null, 'unreadable');
      expect(outbox.deadLetters()[0]).toMatchObject({ id: 'x', status: null, reason: 'unreadable' });
    } finally {
      outbox.close();
    }
  });
});

describe('dead letters past their cap', () => {
  it.each([
    ['SqliteOutbox', (counters: Counters, logger: ReturnType<typeof createLogger>) => new SqliteOutbox({ path, maxBytes: 1 << 20, maxDeadLetters: 3, counters, logger })],
    ['MemoryOutbox', (counters: Counters, logger: ReturnType<typeof createLogger>) => new MemoryOutbox({ maxBytes: 1 << 20, maxDeadLetters: 3, counters, logger })],
  ])('%s counts every pruned dead letter and warns about it', (_, make) => {
    const counters = new Counters();
    const { logger, lines } = capture();
    const outbox = make(counters, logger);
    try {
      for (let i = 0; i < 5; i++) outbox.append(event(`d${i}`));
      for (const e of outbox.take(5)) outbox.deadLetter(e.seq, 422, 'refused');
      expect(outbox.deadLetters().map((d) => d.id)).toEqual(['d4', 'd3', 'd2']);
      expect(counters.get('events_dropped_total', { reason: 'dead_letter_pruned' })).toBe(2);
      const warns = lines.filter((l) => l.level === 'warn' && /dead letter/.test(l.msg));
      expect(warns.length).toBeGreaterThanOrEqual(1);
      expect(warns[0]).toMatchObject({ pruned: 1, max_dead_letters: 3 });
    } finally {
      outbox.close();
    }
  });
});
