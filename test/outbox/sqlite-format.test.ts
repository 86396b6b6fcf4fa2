// The outbox file's format across releases: an older file is migrated in place, a newer one
// is refused with one clear line and left untouched.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/outbox/sqlite-schema.js';
import { listDeadLetters } from '../../src/outbox/inspect.js';
import { SqliteOutbox } from '../../src/outbox/sqlite-outbox.js';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sqlite-format-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A file exactly as release 1 of the format wrote it. */
function writeFormat1(path: string): void {
  const db = new Database(path);
  db.exec(`
    CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, time INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, payload TEXT NOT NULL);
    CREATE TABLE dead_letters (seq INTEGER NOT NULL, id TEXT NOT NULL, time INTEGER NOT NULL,
      attempts INTEGER NOT NULL, payload TEXT NOT NULL, status INTEGER, reason TEXT NOT NULL,
      failed_at INTEGER NOT NULL);
    INSERT INTO events VALUES (1, 'old-1', 1000, 2, '{"body":1}'), (2, 'old-2', 2000, 0, '{"body":2}');
    INSERT INTO dead_letters VALUES (3, 'old-dead', 3000, 1, '{"body":3}', 406, 'refused', 4000);
    PRAGMA user_version = 1;
  `);
  db.close();
}

/** A file exactly as release 2 of the format wrote it: the boot id as text in every row. */
function writeFormat2(path: string): void {
  const db = new Database(path);
  db.exec(`
    CREATE TABLE events (seq INTEGER PRIMARY KEY, id TEXT NOT NULL, time INTEGER NOT NULL,
      attempts INTEGER NOT NULL DEFAULT 0, payload TEXT NOT NULL, mono_ms INTEGER, boot_id TEXT);
    CREATE TABLE dead_letters (seq INTEGER NOT NULL, id TEXT NOT NULL, time INTEGER NOT NULL,
      attempts INTEGER NOT NULL, payload TEXT NOT NULL, status INTEGER, reason TEXT NOT NULL,
      failed_at INTEGER NOT NULL, mono_ms INTEGER, boot_id TEXT);
    INSERT INTO events VALUES
      (1, 'old-1', 1000, 2, '{"body":1}', 10.5, 'boot-a'),
      (2, 'old-2', 2000, 0, '{"body":2}', NULL, NULL),
      (3, 'old-3', 3000, 0, '{"body":3}', 30, 'boot-b'),
      (4, 'old-4', 4000, 1, '{"body":4}', 40, 'boot-a'),
      (5, 'old-bad', 5000, 0, '{"body":5}', 50, x'07');
    INSERT INTO dead_letters VALUES (6, 'old-dead', 6000, 1, '{"body":6}', 406, 'refused', 7000, 60, 'boot-c');
    PRAGMA user_version = 2;
  `);
  db.close();
}

/** `use` on the outbox at `path`, closed after (close syncs what was appended). */
function withOutbox<T>(path: string, use: (outbox: SqliteOutbox) => T): T {
  const outbox = new SqliteOutbox({ path, maxBytes: 1 << 20 });
  try {
    return use(outbox);
  } finally {
    outbox.close();
  }
}

/** `use` on the file at `path`, opened read-only. */
function withFile<T>(path: string, use: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true });
  try {
    return use(db);
  } finally {
    db.close();
  }
}

describe('outbox file format', () => {
  it('migrates a format-2 file: every row is kept with its boot id, each boot id stored once', () => {
    const path = join(dir, 'outbox.db');
    writeFormat2(path);
    withOutbox(path, (outbox) => {
      // old-bad's boot id was a blob: unreadable in format 2, and still unreadable after.
      expect(outbox.take(10).map((e) => [e.id, e.attempts, e.mono, e.bootId])).toEqual([
        ['old-1', 2, 10.5, 'boot-a'],
        ['old-2', 0, null, null],
        ['old-3', 0, 30, 'boot-b'],
        ['old-4', 1, 40, 'boot-a'],
      ]);
      expect(outbox.deadLetters().map((d) => [d.id, d.reason, d.mono, d.bootId])).toEqual([
        ['old-bad', 'unreadable', 50, null],
        ['old-dead', 'refused', 60, 'boot-c'],
      ]);
      outbox.append({ id: 'new', time: 8000, payload: '{}', mono: 77, bootId: 'boot-b' });
    });
    expect(withOutbox(path, (outbox) => outbox.take(10).map((e) => [e.id, e.bootId]))).toEqual([
      ['old-1', 'boot-a'],
      ['old-2', null],
      ['old-3', 'boot-b'],
      ['old-4', 'boot-a'],
      ['new', 'boot-b'],
    ]);
    withFile(path, (db) => {
      expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
      expect(db.prepare('SELECT boot_id FROM boots ORDER BY boot_id').pluck().all()).toEqual(['boot-a', 'boot-b', 'boot-c']);
      const columns = db.prepare("SELECT name FROM pragma_table_info('events')").pluck().all();
      expect(columns).toContain('boot');
      expect(columns).not.toContain('boot_id');
      expect(db.prepare('SELECT typeof(boot) FROM events WHERE boot IS NOT NULL').pluck().all()).toEqual(
        Array(4).fill('integer'), // old-1, old-3, old-4, new
      );
    });
  });

  it('lists the dead letters of a file of format 1 or 2 that no daemon has migrated yet, without writing it', () => {
    const path = join(dir, 'outbox.db');
    writeFormat2(path);
    const before = readFileSync(path);
    expect(listDeadLetters(dir, 10).map((d) => [d.id, d.status, d.mono, d.bootId])).toEqual([['old-dead', 406, 60, 'boot-c']]);
    expect(readFileSync(path).equals(before)).toBe(true);
    rmSync(path);
    writeFormat1(path);
    expect(listDeadLetters(dir, 10).map((d) => [d.id, d.status, d.mono, d.bootId])).toEqual([['old-dead', 406, null, null]]);
  });

  it('forgets the boots no row refers to any more when it opens a file with more than 8', () => {
    const path = join(dir, 'outbox.db');
    const bootIds = Array.from({ length: 9 }, (_, i) => `boot-${i}`);
    withOutbox(path, (outbox) => {
      bootIds.forEach((bootId, i) => outbox.append({ id: `e${i}`, time: i, payload: '{}', mono: i, bootId }));
      outbox.ack(outbox.take(8).map((e) => e.seq)); // all but the last boot's
    });
    const boots = (): unknown[] => withFile(path, (db) => db.prepare('SELECT boot_id FROM boots ORDER BY n').pluck().all());
    expect(boots()).toEqual(bootIds);
    withOutbox(path, (outbox) => expect(outbox.take(10).map((e) => e.bootId)).toEqual(['boot-8']));
    expect(boots()).toEqual(['boot-8']);
  });

  it('leaves up to 8 boots as they are at open (no scan of every row at each start)', () => {
    const path = join(dir, 'outbox.db');
    withOutbox(path, (outbox) => {
      outbox.append({ id: 'a', time: 1, payload: '{}', mono: 1, bootId: 'boot-gone' });
      outbox.append({ id: 'b', time: 2, payload: '{}', mono: 2, bootId: 'boot-kept' });
      outbox.ack(outbox.take(1).map((e) => e.seq));
    });
    withOutbox(path, () => undefined);
    expect(withFile(path, (db) => db.prepare('SELECT boot_id FROM boots ORDER BY n').pluck().all())).toEqual(['boot-gone', 'boot-kept']);
  });

  it('migrates a format-1 file: its rows are kept, with unknown monotonic time and boot id', () => {
    const path = join(dir, 'outbox.db');
    writeFormat1(path);
    withOutbox(path, (outbox) => {
      expect(outbox.take(10)).toMatchObject([
        { id: 'old-1', attempts: 2, mono: null, bootId: null },
        { id: 'old-2', attempts: 0, mono: null, bootId: null },
      ]);
      expect(outbox.deadLetters()[0]).toMatchObject({ id: 'old-dead', status: 406, mono: null, bootId: null });
      outbox.append({ id: 'new', time: 5000, payload: '{}', mono: 77, bootId: 'boot-a' });
    });
    expect(withOutbox(path, (outbox) => outbox.take(10).map((e) => [e.id, e.mono, e.bootId]))).toEqual([
      ['old-1', null, null],
      ['old-2', null, null],
      ['new', 77, 'boot-a'],
    ]);
    expect(withFile(path, (db) => db.pragma('user_version', { simple: true }))).toBe(SCHEMA_VERSION);
  });

  it('refuses a file of a newer format with one clear line, and leaves it as it was', () => {
    const path = join(dir, 'outbox.db');
    const db = new Database(path);
    db.exec(`CREATE TABLE future (x); PRAGMA user_version = ${SCHEMA_VERSION + 1};`);
    db.close();
    const before = readFileSync(path);
    let thrown: unknown;
    try {
      new SqliteOutbox({ path, maxBytes: 1 << 20 }).close();
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(Error);
    const message = (thrown as Error).message;
    expect(message).toContain(`has format ${SCHEMA_VERSION + 1}, newer than this version understands (${SCHEMA_VERSION})`);
    expect(message).not.toContain('\n');
    expect(readFileSync(path).equals(before)).toBe(true);
  });
});
