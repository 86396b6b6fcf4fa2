// The outbox's durability set-up (src/outbox/sqlite-schema.ts) for the bench's stand-ins: WAL with
// synchronous=NORMAL, and the -wal file held open for the fdatasync the daemon does itself.
import { openSync } from 'node:fs';
import Database from 'better-sqlite3';

/** Opens `path`, runs `setup` (SQL), then opens its -wal file; returns both. */
export function openWalDatabase(path, setup = '') {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  if (setup) db.exec(setup);
  return { db, walFd: openSync(`${path}-wal`, 'r+') };
}
