// Sorts the errors the disk can throw at the outbox (better-sqlite3's SqliteError carries
// the extended SQLite code, e.g. SQLITE_IOERR_WRITE; node:fs errors carry errno names).

/**
 * corrupt: the file is not a usable database: move it aside and start a new one.
 * full: the disk is full: the open handle is fine and works again once space frees.
 * unavailable: everything else the disk can do (unwritable, missing, I/O error): reopen later.
 */
export type StorageFault = 'corrupt' | 'full' | 'unavailable';

const FULL = new Set(['SQLITE_FULL', 'ENOSPC', 'EDQUOT']);

export function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  const code = err.code;
  return typeof code === 'string' ? code : undefined;
}

export function classifyStorageFault(err: unknown): StorageFault {
  const code = errorCode(err) ?? '';
  if (code.startsWith('SQLITE_CORRUPT') || code === 'SQLITE_NOTADB') return 'corrupt';
  if (FULL.has(code)) return 'full';
  return 'unavailable';
}
