// The group commit of deletes (sync-batch.ts flushDeletes): the delete transaction is written
// at once, its fdatasync runs off the event loop, one group at a time. A fake fdatasync lets
// the test decide when each sync lands; the clock is fake too.
import { fstatSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { ACK_SYNC_BATCH, SqliteOutbox, UNSYNCED_LIMIT } from '../../src/outbox/sqlite-outbox.js';
import { storedIds } from '../helpers/outbox-file.js';

/** An fdatasync that never touches the disk and lands when the test says so. */
class FakeFdatasync {
  /** Every call, in order: the descriptor it was given. */
  readonly calls: { fd: number }[] = [];
  private readonly inFlight: ((err: NodeJS.ErrnoException | null) => void)[] = [];
  readonly fn = (fd: number, done: (err: NodeJS.ErrnoException | null) => void): void => {
    this.calls.push({ fd });
    this.inFlight.push(done);
  };

  /** Lands the oldest sync in flight, with `err` if given. */
  landNext(err?: NodeJS.ErrnoException): void {
    const done = this.inFlight.shift();
    if (!done) throw new Error('no fdatasync in flight');
    done(err ?? null);
  }
}

const event = (id: string): { id: string; time: number; payload: string } => ({ id, time: 1, payload: JSON.stringify({ id }) });
const eio = (): NodeJS.ErrnoException => Object.assign(new Error('EIO: i/o error, fdatasync'), { code: 'EIO' });

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'group-commit-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** An outbox holding `n` events e0..e(n-1), all synced, on a fake clock and a fake group fdatasync. */
function outboxWith(n: number, syncWindowMs: number) {
  const path = join(dir, 'outbox.db');
  const clock = new FakeClock();
  const sync = new FakeFdatasync();
  let due = 0;
  const outbox = new SqliteOutbox({ path, maxBytes: 1 << 30, clock, syncWindowMs, fdatasync: sync.fn, onSyncDue: () => due++ });
  outbox.importEntries(Array.from({ length: n }, (_, i) => ({ ...event(`e${i}`), seq: i + 1, attempts: 0, mono: null, bootId: null })));
  return { path, clock, sync, outbox, wakes: () => due };
}

describe('group commit of deletes', () => {
  it(`writes ${ACK_SYNC_BATCH} deletes at once and syncs them off the event loop; they count as unsynced until it lands`, () => {
    const { path, sync, outbox, wakes } = outboxWith(ACK_SYNC_BATCH + 2, 100);
    try {
      const taken = outbox.take(ACK_SYNC_BATCH + 2);
      outbox.ack(taken.slice(0, ACK_SYNC_BATCH - 1).map((e) => e.seq));
      expect(sync.calls).toHaveLength(0); // fewer than a group: staged
      expect(storedIds(path)).toHaveLength(ACK_SYNC_BATCH + 2);
      outbox.ack([taken[ACK_SYNC_BATCH - 1]!.seq]);
      expect(storedIds(path)).toEqual(['e64', 'e65']); // the transaction is written at once
      expect(sync.calls).toHaveLength(1); // and its fdatasync started, not waited for
      expect(wakes()).toBe(0);
      sync.landNext();
      expect(wakes()).toBe(1); // the sender is told it may take again
    } finally {
      outbox.close();
    }
  });

  it('stages the deletes that come while a group syncs and writes them as the next group when it lands (window 0)', () => {
    const { path, sync, outbox } = outboxWith(5, 0);
    try {
      const [a, b, c, d] = outbox.take(4);
      outbox.ack([a!.seq]); // window 0: a group of one, at once
      expect(storedIds(path)).toEqual(['e1', 'e2', 'e3', 'e4']);
      expect(sync.calls).toHaveLength(1);
      outbox.ack([b!.seq]);
      outbox.ack([c!.seq]);
      expect(storedIds(path)).toEqual(['e1', 'e2', 'e3', 'e4']); // staged: one sync at a time
      expect(sync.calls).toHaveLength(1);
      sync.landNext();
      expect(storedIds(path)).toEqual(['e3', 'e4']); // b and c: the next group, one transaction
      expect(sync.calls).toHaveLength(2);
      sync.landNext();
      expect(sync.calls).toHaveLength(2); // nothing staged: no empty group
      outbox.ack([d!.seq]);
      expect(storedIds(path)).toEqual(['e4']);
      sync.landNext();
    } finally {
      outbox.close();
    }
  });

  it(`hands out nothing while ${UNSYNCED_LIMIT} deletes are not synced, and again once a group lands`, () => {
    const { sync, outbox, wakes } = outboxWith(UNSYNCED_LIMIT + 10, 0);
    try {
      const taken = outbox.take(UNSYNCED_LIMIT);
      for (const e of taken) outbox.ack([e.seq]); // the first is in flight, the rest wait
      expect(sync.calls).toHaveLength(1);
      expect(outbox.take(1)).toEqual([]); // a kill now would send UNSYNCED_LIMIT again: no more
      expect(outbox.stats().depth).toBe(10);
      sync.landNext(); // one landed; the other UNSYNCED_LIMIT - 1 go as one group
      expect(wakes()).toBe(1);
      expect(outbox.take(100).map((e) => e.id)).toEqual(Array.from({ length: 10 }, (_, i) => `e${UNSYNCED_LIMIT + i}`));
      sync.landNext();
    } finally {
      outbox.close();
    }
  });

  it('a failed group fdatasync is a storage fault: the next take throws it, once, and no group starts before', () => {
    const { path, sync, outbox, wakes } = outboxWith(4, 0);
    try {
      const [a, b, c] = outbox.take(3);
      outbox.ack([a!.seq]);
      outbox.ack([b!.seq]); // staged behind the flight
      sync.landNext(eio());
      expect(wakes()).toBe(1); // woken, so the sender meets the fault at once
      expect(sync.calls).toHaveLength(1); // b's group does not start on a failed disk
      expect(storedIds(path)).toEqual(['e1', 'e2', 'e3']);
      expect(() => outbox.take(1)).toThrow(/EIO/);
      outbox.ack([c!.seq]); // thrown once: the outbox goes on (its caller decided what to do)
      expect(storedIds(path)).toEqual(['e3']);
      expect(sync.calls).toHaveLength(2);
      sync.landNext();
    } finally {
      outbox.close();
    }
  });

  it(`a take held back at ${UNSYNCED_LIMIT} with no group in flight (the last one failed) starts the next group itself`, () => {
    const { path, sync, outbox } = outboxWith(UNSYNCED_LIMIT + 5, 0);
    try {
      const taken = outbox.take(UNSYNCED_LIMIT + 1);
      for (const e of taken) outbox.ack([e.seq]); // one in flight, UNSYNCED_LIMIT staged behind it
      sync.landNext(eio());
      expect(() => outbox.take(1)).toThrow(/EIO/);
      expect(outbox.take(1)).toEqual([]); // still over the bound: nothing handed out, but a group starts
      expect(sync.calls).toHaveLength(2);
      expect(storedIds(path)).toHaveLength(4);
      sync.landNext();
      expect(outbox.take(10)).toHaveLength(4);
    } finally {
      outbox.close();
    }
  });

  it('the ack after a failed group fdatasync throws it and stays leased, so its caller can apply it later', () => {
    const { sync, outbox } = outboxWith(3, 0);
    try {
      const [a, b] = outbox.take(2);
      outbox.ack([a!.seq]);
      sync.landNext(eio());
      expect(() => outbox.ack([b!.seq])).toThrow(/EIO/);
      expect(outbox.stats().inFlight).toBe(1);
      outbox.ack([b!.seq]);
      expect(outbox.stats()).toMatchObject({ inFlight: 0, depth: 1 });
      sync.landNext();
    } finally {
      outbox.close();
    }
  });

  it('close during a flight syncs everything itself and leaves the -wal open until the flight lands', () => {
    const { path, sync, outbox, wakes } = outboxWith(4, 0);
    const [a, b] = outbox.take(2);
    outbox.ack([a!.seq]);
    outbox.ack([b!.seq]); // staged behind the flight
    const { fd } = sync.calls[0]!;
    outbox.close(); // writes b's delete and fdatasyncs on the spot: a pending group never waits for the exit
    expect(storedIds(path)).toEqual(['e2', 'e3']);
    expect(() => fstatSync(fd)).not.toThrow(); // the flight still holds it
    sync.landNext();
    expect(() => fstatSync(fd)).toThrow(/EBADF/);
    expect(wakes()).toBe(0); // nothing to wake after close
    const again = new SqliteOutbox({ path, maxBytes: 1 << 30, clock: new FakeClock() });
    try {
      expect(again.take(10).map((e) => e.id)).toEqual(['e2', 'e3']);
    } finally {
      again.close();
    }
  });

  it('a synchronous flush (a reading taken) covers the flight: its deletes no longer count as unsynced', async () => {
    const { sync, outbox, clock } = outboxWith(UNSYNCED_LIMIT + 1, 0);
    try {
      const taken = outbox.take(UNSYNCED_LIMIT);
      for (const e of taken) outbox.ack([e.seq]);
      expect(outbox.take(1)).toEqual([]);
      await clock.advance(1);
      outbox.append(event('reading')); // window 0: written and fdatasync'ed before it returns
      expect(outbox.take(5).map((e) => e.id)).toEqual([`e${UNSYNCED_LIMIT}`, 'reading']);
      sync.landNext();
    } finally {
      outbox.close();
    }
  });
});
