import { describe, expect, it } from 'vitest';
import { PendingQueue, type QueueItem } from '../../src/outbox/pending-queue.js';

const item = (seq: number): QueueItem => ({ seq, bytes: 10 });
const seqs = (items: readonly QueueItem[]): number[] => items.map((i) => i.seq);

describe('PendingQueue: order, leases and bytes across many removals', () => {
  it('keeps the oldest-first order while acks remove from the front in batches', () => {
    const q = new PendingQueue<QueueItem>();
    for (let i = 1; i <= 1000; i++) q.insert(item(i));
    for (let n = 0; n < 200; n++) {
      const taken = q.take(4);
      q.remove(seqs(taken));
    }
    expect(q.depth).toBe(200);
    expect(q.bytes).toBe(2000);
    expect(seqs(q.take(3))).toEqual([801, 802, 803]);
    expect(seqs(q.unleased()).slice(0, 2)).toEqual([804, 805]);
  });

  it('puts an entry with a lower seq than everything removed so far first', () => {
    const q = new PendingQueue<QueueItem>();
    for (let i = 11; i <= 110; i++) q.insert(item(i));
    q.remove(seqs(q.take(90)));
    q.insert(item(5)); // appended earlier, inserted late
    expect(seqs(q.take(2))).toEqual([5, 101]);
    expect(q.depth).toBe(11);
  });

  it('skips removed and leased entries when choosing what to drop for the byte bound', () => {
    const q = new PendingQueue<QueueItem>();
    for (let i = 1; i <= 10; i++) q.insert(item(i));
    q.remove([1, 2]);
    q.take(1); // 3 is in flight
    expect(seqs(q.victimsToFit(60))).toEqual([4, 5]);
  });

  it('ignores a removal of what is not there, and a repeated one', () => {
    const q = new PendingQueue<QueueItem>();
    for (let i = 1; i <= 3; i++) q.insert(item(i));
    expect(seqs(q.remove([2, 2, 7]))).toEqual([2]);
    expect(q.depth).toBe(2);
    expect(seqs(q.take(5))).toEqual([1, 3]);
  });
});
