// The queue order and the leases of MemoryOutbox (SqliteOutbox keeps its queue on disk and
// only a small window of it in memory, see sqlite-outbox.ts).
//
// Removal is lazy: a removed entry leaves `bySeq` at once and stays in `items` as a dead
// slot until the dead outnumber the live (then one filter compacts the array), and `head`
// skips the dead run at the front. Acks remove from the front of a long array; a splice
// there moves every later element and a filter per batch walks them all, which made a long
// drain quadratic. Now a removal is O(1) amortized.
//
// Invariant: `items` is sorted by seq (append order, see outbox.ts) and holds every entry of
// `bySeq` (live: the slot is `bySeq.get(item.seq)`) plus `dead` removed ones, none of them
// before `head` live; every leased seq is in `bySeq`; `totalBytes` is the sum of `bytes` over
// the live entries.

export interface QueueItem {
  readonly seq: number;
  readonly bytes: number;
}

/** The queue order: seq, i.e. append order, which is the order the readings were taken. */
export function compareItems(a: Pick<QueueItem, 'seq'>, b: Pick<QueueItem, 'seq'>): number {
  return a.seq - b.seq;
}

export class PendingQueue<T extends QueueItem> {
  private items: T[] = [];
  private readonly bySeq = new Map<number, T>();
  private readonly leased = new Set<number>();
  private totalBytes = 0;
  private head = 0;
  private dead = 0;

  get depth(): number {
    return this.bySeq.size;
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

  /** Seqs only grow, so the common case is a push at the end. */
  insert(item: T): void {
    const last = this.items[this.items.length - 1];
    if (!last || compareItems(last, item) < 0) this.items.push(item);
    else {
      const at = this.lowerBound(item);
      this.items.splice(at, 0, item);
      if (at < this.head) this.head = at;
    }
    this.bySeq.set(item.seq, item);
    this.totalBytes += item.bytes;
  }

  /** The oldest `limit` entries that are not leased, now leased. */
  take(limit: number): T[] {
    const out: T[] = [];
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as T;
      if (out.length >= limit) break;
      if (!this.isLive(item) || this.leased.has(item.seq)) continue;
      this.leased.add(item.seq);
      out.push(item);
    }
    return out;
  }

  unlease(seq: number): void {
    this.leased.delete(seq);
  }

  /** All entries that are not leased, oldest first (copies of the references). */
  unleased(): T[] {
    return this.items.filter((item) => this.isLive(item) && !this.leased.has(item.seq));
  }

  /** Oldest entries, not leased, whose removal brings the total to `maxBytes` or below. */
  victimsToFit(maxBytes: number): T[] {
    const victims: T[] = [];
    let bytes = this.totalBytes;
    for (let i = this.head; i < this.items.length; i++) {
      const item = this.items[i] as T;
      if (bytes <= maxBytes) break;
      if (!this.isLive(item) || this.leased.has(item.seq)) continue;
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
    this.dead += removed.length;
    while (this.head < this.items.length && !this.isLive(this.items[this.head] as T)) this.head++;
    if (this.dead > 64 && this.dead > this.bySeq.size) {
      this.items = this.items.filter((item) => this.isLive(item));
      this.head = 0;
      this.dead = 0;
    }
    return removed;
  }

  private isLive(item: T): boolean {
    return this.bySeq.get(item.seq) === item;
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
