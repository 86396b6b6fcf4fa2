/**
 * Hands out sequence numbers that only grow. The resilient outbox shares one counter between
 * its disk and memory stores, so a seq names one event in this process whichever store
 * holds it, and an ack can never hit a different event than the one that was taken.
 */
export class SeqCounter {
  private nextSeq: number;

  constructor(first = 1) {
    this.nextSeq = first;
  }

  next(): number {
    return this.nextSeq++;
  }

  /** Makes sure the next seq is at least `min` (seqs already stored in a database). */
  raise(min: number): void {
    if (min > this.nextSeq) this.nextSeq = min;
  }

  peek(): number {
    return this.nextSeq;
  }
}
