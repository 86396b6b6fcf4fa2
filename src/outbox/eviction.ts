// Keeping the SQLite outbox inside its byte bound: which rows an over-full append drops.
//
// Invariants:
// - Victims are the oldest rows of the file that are free (not in flight, not already being
//   deleted), in seq order, until their bytes cover the excess; never an entry in flight.
// - The file is read VICTIM_BATCH rows per query, seq and size only (no payloads), so a
//   large backlog costs no memory.
// - Fewer victims than needed is a valid answer: in-flight entries alone may exceed the bound.

/** Rows looked at per query when choosing what to drop for the byte bound. */
const VICTIM_BATCH = 64;

export interface Victim {
  seq: number;
  bytes: number;
}

export interface EvictionSource {
  /** Rows with seq > after, by seq, at most `limit`: their seq and payload size. */
  oldestAfter(after: number, limit: number): Victim[];
  isFree(seq: number): boolean;
}

/** The oldest free rows whose bytes add up to at least `excess` (fewer if there are not enough). */
export function oldestFree(source: EvictionSource, excess: number): Victim[] {
  const victims: Victim[] = [];
  let freed = 0;
  let after = 0;
  while (freed < excess) {
    const rows = source.oldestAfter(after, VICTIM_BATCH);
    for (const row of rows) {
      if (freed >= excess) break;
      if (!source.isFree(row.seq)) continue;
      victims.push(row);
      freed += row.bytes;
    }
    const last = rows[rows.length - 1];
    if (!last || rows.length < VICTIM_BATCH) break;
    after = last.seq;
  }
  return victims;
}
