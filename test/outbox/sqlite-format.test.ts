// The outbox file's format across releases: an older file is migrated in place, a newer one
// is refused with one clear line and left untouched.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { SCHEMA_VERSION } from '../../src/outbox/sqlite-schema.js';
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

describe('outbox file format', () => {
  it('migrates a format-1 file: its rows are kept, with unknown monotonic time and boot id', () => {
    const path = join(dir, 'outbox.db');
    writeFormat1(path);
    const outbox = new SqliteOutbox({ path, maxBytes: 1 << 20 });
    try {
      const taken = outbox.take(10);
      expect(taken).toMatchObject([
        { id: 'old-1', attempts: 2, mono: null, bootId: null },
        { id: 'old-2', attempts: 0, mono: null, bootId: null },
      ]);
      expect(outbox.deadLetters()[0]).toMatchObject({ id: 'old-dead', status: 406, mono: null, bootId: null });
      outbox.append({ id: 'new', time: 5000, payload: '{}', mono: 77, bootId: 'boot-a' });
      outbox.sync();
    } finally {
      outbox.close();
    }
    const reopened = new SqliteOutbox({ path, maxBytes: 1 << 20 });
    try {
      expect(reopened.take(10).map((e) => [e.id, e.mono, e.bootId])).toEqual([
        ['old-1', null, null],
        ['old-2', null, null],
        ['new', 77, 'boot-a'],
      ]);
    } finally {
      reopened.close();
    }
    const db = new Database(path, { readonly: true });
    expect(db.pragma('user_version', { simple: true })).toBe(SCHEMA_VERSION);
    db.close();
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
