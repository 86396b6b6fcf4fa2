// The read-ahead window of the SQLite outbox: the oldest rows not leased, so that `take`
// does not query the file per entry and memory does not grow with the backlog.
//
// Invariants:
// - `cursor` is the highest seq read from `events` by a refill (0 before the first). Every
//   row with seq <= cursor is either leased or in the window; rows above it are found by the
//   next refill (which skips rows that are not free: adopted leases can lie above it).
// - The window is sorted by seq, and every seq in it is <= cursor.
// - A refill reads at most WINDOW rows with payloads; an entry put back (released) is kept as
//   seq and bytes only and re-read when taken again.
import { payloadBytes } from './outbox.js';
import type { EntryRow } from './sqlite-schema.js';

/**
 * Rows read ahead by one refill, payloads included. A row waits in memory until it is sent, so
 * more rows live longer and more of them are promoted to V8's old generation while a backlog
 * drains (256 doubled the promoted bytes); fewer means a query per few deliveries. 64 against
 * 16: CPU per delivered event 141 → 127 µs, peak RSS the same within noise (bench/RESULTS.md,
 * issue 17: four interleaved 20,000-event drains each).
 */
const WINDOW = 64;

/** A slot of the window: `row` is absent for an entry put back (re-read when taken). */
export interface PendingSlot {
  seq: number;
  bytes: number;
  row?: EntryRow;
}

export interface ReadAheadSource {
  /**
   * Rows with after < seq <= upTo, by seq, looking at most `limit`: the readable ones, and the
   * highest seq looked at (null when there were none). Rows it could not read are not returned
   * (the source took them out of the queue), but the cursor still moves past them.
   */
  readAfter(after: number, upTo: number, limit: number): { rows: EntryRow[]; last: number | null };
  /** False for a seq that is leased or waiting to be deleted. */
  isFree(seq: number): boolean;
}

export class ReadAhead {
  private pending: PendingSlot[] = [];
  private cursor = 0;

  constructor(private readonly source: ReadAheadSource) {}

  get isEmpty(): boolean {
    return this.pending.length === 0;
  }

  /** The first `n` slots, left in place. */
  peek(n: number): PendingSlot[] {
    return this.pending.slice(0, n);
  }

  /** Removes the first `n` slots. */
  shift(n: number): void {
    this.pending.splice(0, n);
  }

  /**
   * Reads up to WINDOW rows above the cursor and at most `upTo`; false when there are none.
   * True moves the cursor forward even when every row read was unreadable (the caller loops).
   */
  refill(upTo: number): boolean {
    const { rows, last } = this.source.readAfter(this.cursor, upTo, WINDOW);
    if (last === null) return false;
    for (const row of rows) {
      if (this.source.isFree(row.seq)) this.pending.push({ seq: row.seq, bytes: payloadBytes(row.payload), row });
    }
    this.cursor = last;
    return true;
  }

  /** Puts a slot back in its place; above the cursor the next refill finds it instead. */
  putBack(slot: PendingSlot): void {
    if (slot.seq > this.cursor) return;
    let at = this.pending.length;
    while (at > 0 && (this.pending[at - 1] as PendingSlot).seq > slot.seq) at--;
    this.pending.splice(at, 0, slot);
  }

  /** Forgets the given seqs (dropped, adopted by a lease). */
  remove(seqs: ReadonlySet<number>): void {
    if (seqs.size === 0) return;
    this.pending = this.pending.filter((slot) => !seqs.has(slot.seq));
  }
}
