// One daemon per DATA_DIR. Two daemons on one outbox send the same events twice and collide
// on seqs, so the data directory is locked for the daemon's life.
//
// Invariants:
// - The lock is an OS-level lock, not a pid file: SQLite's exclusive locking mode on a
//   database kept only for it (`${dataDir}/daemon.lock`), which is a POSIX fcntl lock on
//   that file. It works across PID namespaces (two containers sharing a volume: one kernel,
//   one inode) and dies with its process, so a SIGKILLed daemon never leaves a stale lock.
// - `daemon.holder` says who holds it ({pid, host, since}), written after the lock is taken
//   and only read to name the holder in the refusal. A pid is in its holder's PID namespace:
//   `host` (a container's hostname is its id) says where it lives.
// - Files 0600 in a 0700 directory: readings and the exact location are nobody else's.
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { TelemetryError } from '../errors.js';

export const LOCK_FILE = 'daemon.lock';
export const HOLDER_FILE = 'daemon.holder';
export const DATA_DIR_MODE = 0o700;
export const DATA_FILE_MODE = 0o600;

/** Another process holds the lock: the message names it. */
export class DataDirInUseError extends TelemetryError {
  constructor(dataDir: string, holder: string) {
    super('E_OUTBOX', `DATA_DIR ${dataDir} is in use by another dht-telemetry (${holder}); one daemon per DATA_DIR: stop that one, or give this one its own DATA_DIR`);
  }
}

export class DataDirLock {
  private constructor(private readonly db: Database.Database) {}

  /**
   * Takes the lock, creating the directory (0700) and the lock file (0600). Throws
   * DataDirInUseError when another process holds it, the file system's error otherwise.
   */
  static acquire(dataDir: string, now: () => number = Date.now): DataDirLock {
    makeDataDir(dataDir);
    const path = join(dataDir, LOCK_FILE);
    const db = new Database(path, { timeout: 0 });
    try {
      chmodSync(path, DATA_FILE_MODE);
      db.pragma('locking_mode = EXCLUSIVE');
      // The first write takes SQLite's exclusive lock; in this mode it is never given back.
      db.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS lock (x); COMMIT;');
    } catch (err) {
      db.close();
      if (isBusy(err)) throw new DataDirInUseError(dataDir, describeHolder(dataDir));
      throw err;
    }
    const holder = join(dataDir, HOLDER_FILE);
    writeFileSync(holder, `${JSON.stringify({ pid: process.pid, host: hostname(), since: new Date(now()).toISOString() })}\n`, { mode: DATA_FILE_MODE });
    chmodSync(holder, DATA_FILE_MODE);
    return new DataDirLock(db);
  }

  release(): void {
    if (this.db.open) this.db.close();
  }
}

/** Creates the data directory 0700, and tightens one that exists (the daemon owns it). */
export function makeDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: DATA_DIR_MODE });
  try {
    chmodSync(dataDir, DATA_DIR_MODE);
  } catch {
    // not ours to change (a volume owned by someone else): its owner chose its mode
  }
}

function isBusy(err: unknown): boolean {
  const code = typeof err === 'object' && err !== null && 'code' in err ? String(err.code) : '';
  return code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED');
}

/** "pid N on host H since T", from the holder file; bounded, and never trusted beyond a message. */
function describeHolder(dataDir: string): string {
  try {
    const text = readFileSync(join(dataDir, HOLDER_FILE), 'utf8').slice(0, 1024);
    const h = JSON.parse(text) as { pid?: unknown; host?: unknown; since?: unknown };
    const pid = Number.isSafeInteger(h.pid) ? String(h.pid) : 'unknown';
    const host = typeof h.host === 'string' ? h.host.replace(/[^\w.-]/g, '?').slice(0, 64) : 'unknown';
    const since = typeof h.since === 'string' ? h.since.replace(/[^\w.:-]/g, '?').slice(0, 40) : 'unknown';
    return `pid ${pid} on host ${host}, since ${since}`;
  } catch {
    return 'pid unknown: no readable holder file';
  }
}
