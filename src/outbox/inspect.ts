// Read-only views of an outbox file, for `dht-telemetry outbox` while the daemon runs
// (WAL lets a reader in beside the daemon's writer; nothing here writes).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TelemetryError } from '../errors.js';
import { DEFAULT_DEAD_LETTER_LIMIT, type DeadLetter } from './outbox.js';
import { selectDeadLetters } from './dead-letter-table.js';
import { OUTBOX_FILE } from './sqlite-outbox.js';

/** Dead letters in `${dataDir}/outbox.db`, most recent first. Throws E_OUTBOX when there is no outbox. */
export function listDeadLetters(dataDir: string, limit = DEFAULT_DEAD_LETTER_LIMIT): DeadLetter[] {
  const path = join(dataDir, OUTBOX_FILE);
  if (!existsSync(path)) throw new TelemetryError('E_OUTBOX', `outbox: no outbox at ${path}`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (err) {
    throw new TelemetryError('E_OUTBOX', `outbox: cannot open ${path} read-only`, { cause: err });
  }
  try {
    const hasTable = db
      .prepare<[], { n: number }>("SELECT count(*) AS n FROM sqlite_schema WHERE type = 'table' AND name = 'dead_letters'")
      .get();
    const version = db.pragma('user_version', { simple: true });
    return hasTable && hasTable.n > 0 ? selectDeadLetters(db, limit, typeof version === 'number' ? version : 0) : [];
  } finally {
    db.close();
  }
}
