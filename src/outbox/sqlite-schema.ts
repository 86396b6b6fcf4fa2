// The outbox file's format and how it is opened: the one place that changes when the
// on-disk format or a pragma does.
//
// On-disk format (PRAGMA user_version = 3):
//   events(seq INTEGER PRIMARY KEY, id TEXT, time INTEGER, attempts INTEGER, payload TEXT,
//          mono_ms INTEGER NULL, boot INTEGER NULL)
//     One row per event waiting for a 2xx. seq is the rowid and the queue order: handed out
//     in increasing order as readings are appended (never reused while this process runs,
//     and above every seq in the file at open), so seq order is measurement order even when
//     the wall clock steps backwards (NTP on a Pi without an RTC). time is the measurement
//     time in ms since the epoch (carried, never sorted on); payload the stored HTTP message
//     (sender/stored-message.ts); attempts the failed sends so far; mono_ms the reading's
//     monotonic time and boot the boots row of the boot it belongs to (null when unknown, and
//     in rows of format 1).
//   boots(n INTEGER PRIMARY KEY, boot_id TEXT UNIQUE NOT NULL)
//     Each boot id (36 characters) once, so that a row carries a 1-byte reference instead.
//     Boots no row refers to are deleted at open once there are more than BOOTS_KEPT (the
//     check reads every row: ~150 ms for 200,000 here, so not at every start).
//   dead_letters(seq, id, time, attempts, payload, status INTEGER NULL, reason TEXT,
//                failed_at INTEGER, mono_ms INTEGER NULL, boot INTEGER NULL)
//     Events the endpoint refused for good, in the order they were refused (implicit rowid).
//   No secondary index: the order is the rowid, so "the oldest" is a rowid range scan.
//   A row whose boot refers to no boots row (or is not an integer) is unreadable, like a
//   row with a column of the wrong type.
//
// Format history: 1 had no mono_ms/boot; 2 had boot_id TEXT in every row (36 bytes: a
// row of the bench's configuration no longer fit twice in a page, see Write volume).
// Opening a file of format 1 or 2 migrates it in one transaction with the user_version
// bump: every row is kept, with its boot id (null in the rows of format 1).
//
// Invariants:
// - A file whose user_version is above SCHEMA_VERSION is refused (OutboxFormatError),
//   never written: an older release must not guess at a newer format.
// - WAL with synchronous=NORMAL: durability comes from the outbox's own fdatasync of the
//   -wal file once per sync window (sync-batch.ts), not from SQLite at each commit.
//
// Write volume (an SD card wears): the fsyncs, not the bytes, set the wear, and a sync per
// reading costs >= 4 KiB however small the row. Choices:
// - page_size 1024 (set before the first table is made, so only for new files): a WAL frame
//   is 1024 + 24 bytes, so a one-row commit appends ~1 KiB instead of ~4 KiB and rarely
//   crosses a 4 KiB filesystem page. With 4096 the same workload wrote about 1.6x more.
//   This holds while two rows fit a page (a record up to ~500 bytes): a larger row takes a
//   page of its own, and a commit then writes several frames (format 2, with the boot id in
//   every row: 5.6 -> 8.7 KiB per reading, bench/RESULTS.md row 5). Format 3 keeps rows
//   small: the boot id once in boots, and a compact payload (sender/stored-message.ts).
//   Measured with dbstat on a daemon's outbox (bench/row-size.mjs): the bench's configuration
//   (seed device, geolocation) 257-byte records, 3 per leaf (format 2: 505, 1 per leaf), so
//   ~240 bytes below the 2-per-page limit; a long configuration (56-character DEVICE_ID,
//   40-character APP_ID, geolocation with 9 decimals, three sensors with 21-character
//   non-ASCII names) 445-459 bytes, 2 per leaf (format 2: ~700, 1 per leaf): only ~40 bytes
//   to spare. Longer still, a row takes a page of its own again: more bytes
//   written per reading, nothing else.
// - no index besides the rowid: an index on another column would add a page to every commit.
// - wal_autocheckpoint 1000 pages (~1 MiB of WAL): a checkpoint writes each hot page once
//   for ~hundreds of readings; going lower costs more, higher saves little. The WAL file is
//   reused from its start after a checkpoint (no truncate/regrow churn); journal_size_limit
//   caps it at 4 MiB after a burst.
// Measured: see bench/RESULTS.md (scenario 5).
import Database from 'better-sqlite3';
import { TelemetryError } from '../errors.js';

/** A file written by a newer release: never opened, never written, never moved aside. */
export class OutboxFormatError extends TelemetryError {
  constructor(path: string, version: number) {
    super(
      'E_OUTBOX',
      `outbox: ${path} has format ${version}, newer than this version understands (${SCHEMA_VERSION}); run the release that wrote it, or move the file away`,
    );
  }
}

export const SCHEMA_VERSION = 3;
const PAGE_SIZE = 1024;
const WAL_AUTOCHECKPOINT_PAGES = 1000;
const JOURNAL_SIZE_LIMIT = 4 * 1024 * 1024;
/**
 * SQLite's page cache, KiB. better-sqlite3 builds with 16 MiB, which a long backlog fills (the
 * open-time totals and the drain read every page once): RSS that grows with the backlog. The
 * hot pages (the interior pages on the path to the first and last leaves) fit in far less; the
 * rest is read from the OS page cache. 256 KiB drained as fast as 1 MiB, with 0.9 MiB less
 * RSS at the peak of a drain (bench/RESULTS.md, scenario 6).
 */
const CACHE_KIB = 256;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS boots (
  n INTEGER PRIMARY KEY,
  boot_id TEXT UNIQUE NOT NULL
);
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  id TEXT NOT NULL,
  time INTEGER NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  payload TEXT NOT NULL,
  mono_ms INTEGER,
  boot INTEGER
);
CREATE TABLE IF NOT EXISTS dead_letters (
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  time INTEGER NOT NULL,
  attempts INTEGER NOT NULL,
  payload TEXT NOT NULL,
  status INTEGER,
  reason TEXT NOT NULL,
  failed_at INTEGER NOT NULL,
  mono_ms INTEGER,
  boot INTEGER
);
PRAGMA user_version = ${SCHEMA_VERSION};
`;

/** Format 1 -> 3: the reading's monotonic time and boot, null for the rows already there. */
const MIGRATE_FROM_1 = `
ALTER TABLE events ADD COLUMN mono_ms INTEGER;
ALTER TABLE events ADD COLUMN boot INTEGER;
ALTER TABLE dead_letters ADD COLUMN mono_ms INTEGER;
ALTER TABLE dead_letters ADD COLUMN boot INTEGER;
`;

/**
 * A boot reference no boots row has (n is handed out from 1). Migration sets it where a
 * format-2 row's boot_id was not a text, so that the row stays unreadable as it was;
 * ENTRY_COLUMNS reads it as bootId for any boot that names no boots row.
 */
const NO_BOOT = -1;

/** Format 2 -> 3: each boot id once in boots, a reference in every row instead of the text. */
const MIGRATE_FROM_2 = `
CREATE TABLE boots (n INTEGER PRIMARY KEY, boot_id TEXT UNIQUE NOT NULL);
INSERT OR IGNORE INTO boots (boot_id)
  SELECT boot_id FROM events WHERE typeof(boot_id) = 'text'
  UNION SELECT boot_id FROM dead_letters WHERE typeof(boot_id) = 'text';
ALTER TABLE events ADD COLUMN boot INTEGER;
ALTER TABLE dead_letters ADD COLUMN boot INTEGER;
UPDATE events SET boot = coalesce((SELECT n FROM boots WHERE boots.boot_id = events.boot_id), ${NO_BOOT})
  WHERE boot_id IS NOT NULL;
UPDATE dead_letters SET boot = coalesce((SELECT n FROM boots WHERE boots.boot_id = dead_letters.boot_id), ${NO_BOOT})
  WHERE boot_id IS NOT NULL;
ALTER TABLE events DROP COLUMN boot_id;
ALTER TABLE dead_letters DROP COLUMN boot_id;
`;

/** Boots no row refers to (its events delivered, its dead letters pruned). */
const BOOTS_KEPT = 8;
const PRUNE_BOOTS = `
DELETE FROM boots WHERE n NOT IN (
  SELECT boot FROM events WHERE boot IS NOT NULL UNION SELECT boot FROM dead_letters WHERE boot IS NOT NULL)`;

/** An events row as read back. */
export interface EntryRow {
  seq: number;
  id: string;
  time: number;
  attempts: number;
  payload: string;
  mono: number | null;
  bootId: string | null;
}

/**
 * The row as the format says it must be, or what is wrong with it (a flipped bit on an SD
 * card can turn a column into another type: SQLite's columns hold any type).
 */
export function checkEntryRow(raw: unknown): EntryRow | string {
  if (typeof raw !== 'object' || raw === null) return 'not a row';
  const r = raw as Record<string, unknown>;
  if (typeof r.id !== 'string' || r.id.length === 0) return 'id is not a non-empty text';
  if (!Number.isSafeInteger(r.time)) return 'time is not an integer';
  if (!Number.isSafeInteger(r.attempts) || (r.attempts as number) < 0) return 'attempts is not a count';
  if (typeof r.payload !== 'string') return 'payload is not a text';
  if (r.mono !== null && typeof r.mono !== 'number') return 'mono_ms is not a number or null';
  if (r.bootId === NO_BOOT) return 'boot refers to no boots row';
  if (r.bootId !== null && typeof r.bootId !== 'string') return 'boot_id is not a text or null';
  return raw as EntryRow;
}

/**
 * The columns of an EntryRow, from a table aliased `e` joined with BOOT_JOIN. bootId is
 * NO_BOOT when boot is set but names no boots row (a text or a blob never does).
 */
export const ENTRY_COLUMNS = `e.seq, e.id, e.time, e.attempts, e.payload, e.mono_ms AS mono,
  CASE WHEN e.boot IS NULL THEN NULL WHEN b.n IS NULL THEN ${NO_BOOT} ELSE b.boot_id END AS bootId`;
export const BOOT_JOIN = 'LEFT JOIN boots b ON b.n = e.boot';

/**
 * The boots row of `bootId` (made when missing), as a value for a statement's boot column:
 * run INSERT_BOOT with the boot id first, in the same transaction as the row's insert.
 */
export const INSERT_BOOT = 'INSERT OR IGNORE INTO boots (boot_id) VALUES (?)';
export const BOOT_REF = '(SELECT n FROM boots WHERE boot_id = ?)';

/**
 * Sets the pragmas on a freshly opened handle, refuses a newer format and creates the tables.
 * Throws (E_OUTBOX, or SQLite's own error) when the file cannot be used; the caller closes it.
 */
export function prepareOutboxDatabase(db: Database.Database, path: string): void {
  // Before any pragma that writes (journal_mode rewrites the header): a newer file stays as it was.
  const version = db.pragma('user_version', { simple: true });
  if (typeof version === 'number' && version > SCHEMA_VERSION) {
    throw new OutboxFormatError(path, version);
  }
  db.pragma(`page_size = ${PAGE_SIZE}`);
  const mode: unknown = db.pragma('journal_mode = WAL', { simple: true });
  if (mode !== 'wal') {
    throw new TelemetryError('E_OUTBOX', `outbox: SQLite refused WAL mode (got ${String(mode)})`);
  }
  db.pragma('synchronous = NORMAL');
  db.pragma(`wal_autocheckpoint = ${WAL_AUTOCHECKPOINT_PAGES}`);
  db.pragma(`journal_size_limit = ${JOURNAL_SIZE_LIMIT}`);
  db.pragma('temp_store = MEMORY');
  db.pragma(`cache_size = -${CACHE_KIB}`);
  db.transaction(() => {
    if (version === 1) db.exec(MIGRATE_FROM_1);
    if (version === 2) db.exec(MIGRATE_FROM_2);
    db.exec(SCHEMA);
    const boots = db.prepare<[], { n: number }>('SELECT count(*) AS n FROM boots').get()?.n ?? 0;
    if (boots > BOOTS_KEPT) db.exec(PRUNE_BOOTS);
  })();
}
