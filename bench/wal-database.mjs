// The outbox's durability set-up (src/outbox/sqlite-schema.ts) for the bench's stand-ins: WAL with
// synchronous=NORMAL, and the -wal file held open for the fdatasync the daemon does itself.
import { openSync } from 'node:fs';
import { createRequire } from 'node:module';

// Loaded when used: floor-child.mjs measures its variants without better-sqlite3 too.
const require = createRequire(import.meta.url);

/** Opens `path`, runs `setup` (SQL), then opens its -wal file; returns both. */
export function openWalDatabase(path, setup = '') {
  const Database = require('better-sqlite3');
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  if (setup) db.exec(setup);
  return { db, walFd: openSync(`${path}-wal`, 'r+') };
}
