// What an outbox file holds, read the way another process would: through the file, not a handle.
import Database from 'better-sqlite3';

/** The event ids in the outbox database at `path`, oldest first. */
export function storedIds(path: string): string[] {
  const db = new Database(path, { readonly: true });
  try {
    return (db.prepare('SELECT id FROM events ORDER BY seq').all() as { id: string }[]).map((r) => r.id);
  } finally {
    db.close();
  }
}
