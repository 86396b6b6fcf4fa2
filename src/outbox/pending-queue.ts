// The queue order and the leases, kept in memory for both outboxes. SqliteOutbox keeps only
// (seq, time, bytes) here and the payloads on disk: the order lives in this array instead of
// an SQLite index, so an append writes one table page and no index page (fewer bytes per
// reading on an SD card), and `take` skips leased entries without a query.
//
// Invariant: `items` is sorted by (time, seq); `bySeq` and `items` hold the same entries;
// every leased seq is in `bySeq`; `totalBytes` is the sum of `bytes` over `items`.

export interface QueueItem {
  readonly seq: number;
  readonly time: number;
  readonly bytes: number;
}

/** The queue order: measurement time, then seq (append order). */
export function compareItems(a: Pick<QueueItem, 'seq' | 'time'>, b: Pick<QueueItem, 'seq' | 'time'>): number {
  return a.time - b.time || a.seq - b.seq;
}

export class PendingQueue<T extends QueueItem> {
  private items: T[] = [];
  private readonly bySeq = new Map<number, T>();
  private readonly leased = new Set<number>();
  private totalBytes = 0;

  get depth(): number {
    return this.items.length;
  }

  get bytes(): number {
    return this.totalBytes;
  }

  get inFlight(): number {
    return this.leased.size;
  }

  get(seq: number): T | undefined {
    return this.bySeq.get(seq);
  }

  isLeased(seq: number): boolean {
    return this.leased.has(seq);
  }

  /** Replaces the contents (loading a store at open): one sort instead of n inserts. */
  load(items: T[]): void {
    this.items = [...items].sort(compareItems);
    this.bySeq.clear();
    this.leased.clear();
    this.totalBytes = 0;
    for (const item of this.items) {
      this.bySeq.set(item.seq, item);
      this.totalBytes += item.bytes;
    }
  }

  /** Readings come mostly in time order, so the common case is a push at the end. */
  insert(item: T): void {
    const last = this.items[this.items.length - 1];
    if (!last || compareItems(last, item) < 0) this.items.push(item);
    else this.items.splice(this.lowerBound(item), 0, item);
    this.bySeq.set(item.seq, item);
    this.totalBytes += item.bytes;
  }

  /** The oldest `limit` entries that are not leased, now leased. */
  take(limit: number): T[] {
    const out: T[] = [];
    for (const item of this.items) {
      if (out.length >= limit) break;
      if (this.leased.has(item.seq)) continue;
      this.leased.add(item.seq);
      out.push(item);
    }
    return out;
  }

  /** Leases a seq that is present and free (adopting the leases of a reopened store). */
  lease(seq: number): boolean {
    if (!this.bySeq.has(seq) || this.leased.has(seq)) return false;
    this.leased.add(seq);
    return true;
  }

  unlease(seq: number): void {
    this.leased.delete(seq);
  }

  /** All entries that are not leased, oldest first (copies of the references). */
  unleased(): T[] {
    return this.items.filter((item) => !this.leased.has(item.seq));
  }

  /** Oldest entries, not leased, whose removal brings the total to `maxBytes` or below. */
  victimsToFit(maxBytes: number): T[] {
    const victims: T[] = [];
    let bytes = this.totalBytes;
    for (const item of this.items) {
      if (bytes <= maxBytes) break;
      if (this.leased.has(item.seq)) continue;
      victims.push(item);
      bytes -= item.bytes;
    }
    return victims;
  }

  remove(seqs: readonly number[]): T[] {
    const removed: T[] = [];
    for (const seq of seqs) {
      const item = this.bySeq.get(seq);
      if (!item) continue;
      this.bySeq.delete(seq);
      this.leased.delete(seq);
      this.totalBytes -= item.bytes;
      removed.push(item);
    }
    if (removed.length === 1 && removed[0]) this.items.splice(this.lowerBound(removed[0]), 1);
    else if (removed.length > 1) this.items = this.items.filter((item) => this.bySeq.has(item.seq));
    return removed;
  }

  private lowerBound(item: QueueItem): number {
    let lo = 0;
    let hi = this.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const probe = this.items[mid];
      if (probe && compareItems(probe, item) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
