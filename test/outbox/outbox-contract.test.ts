// One suite, every outbox: what the sender sees must not depend on where events are kept.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { silentLogger } from '../../src/log/logger.js';
import { Counters } from '../../src/metrics/counters.js';
import { MemoryOutbox } from '../../src/outbox/memory-outbox.js';
import { openOutbox } from '../../src/outbox/open-outbox.js';
import { ResilientOutbox } from '../../src/outbox/resilient-outbox.js';
import { SeqCounter } from '../../src/outbox/seq-counter.js';
import type { Outbox, OutboxRecord } from '../../src/outbox/outbox.js';
import { SqliteOutbox } from '../../src/outbox/sqlite-outbox.js';

interface Env {
  dir: string;
  clock: FakeClock;
  counters: Counters;
}

const implementations: { name: string; open: (env: Env, maxBytes: number) => Outbox }[] = [
  {
    name: 'MemoryOutbox',
    open: (env, maxBytes) => new MemoryOutbox({ maxBytes, counters: env.counters, clock: env.clock }),
  },
  {
    name: 'SqliteOutbox',
    open: (env, maxBytes) =>
      new SqliteOutbox({ path: join(env.dir, 'outbox.db'), maxBytes, counters: env.counters, clock: env.clock }),
  },
  {
    name: 'openOutbox (SQLite behind the memory fallback)',
    open: (env, maxBytes) =>
      openOutbox({
        dataDir: join(env.dir, 'data'),
        maxBytes,
        logger: silentLogger(),
        counters: env.counters,
        clock: env.clock,
      }),
  },
  {
    // The resilient outbox's own promise: the sender sees the same queue while the disk is away.
    name: 'ResilientOutbox with the disk away (on its memory fallback)',
    open: (env, maxBytes) => {
      const seqs = new SeqCounter();
      return new ResilientOutbox({
        openDisk: () => {
          throw Object.assign(new Error('EACCES: permission denied'), { code: 'EACCES' });
        },
        moveDiskAside: () => undefined,
        memory: new MemoryOutbox({ maxBytes, counters: env.counters, clock: env.clock, seqs }),
        logger: silentLogger(),
        clock: env.clock,
        retryMs: 30_000,
      });
    },
  },
];

/** 100-byte payloads make byte bounds easy to reason about. */
function record(id: string, time: number): OutboxRecord {
  const payload = JSON.stringify({ id, pad: '' });
  return { id, time, payload: payload.slice(0, -2) + 'x'.repeat(100 - payload.length) + '"}' };
}

const ids = (entries: { id: string }[]): string[] => entries.map((e) => e.id);

describe.each(implementations)('$name', ({ open }) => {
  let env: Env;
  let outbox: Outbox;

  beforeEach(() => {
    env = { dir: mkdtempSync(join(tmpdir(), 'outbox-contract-')), clock: new FakeClock(), counters: new Counters() };
    outbox = open(env, 1024 * 1024);
  });

  afterEach(() => {
    outbox.close();
    rmSync(env.dir, { recursive: true, force: true });
  });

  it('hands out entries in append order, the order the readings were taken', () => {
    outbox.append(record('a', 1000));
    outbox.append(record('b', 2000));
    outbox.append(record('c', 2000));
    outbox.append(record('d', 3000));
    expect(ids(outbox.take(10))).toEqual(['a', 'b', 'c', 'd']);
  });

  it('keeps append order when the wall clock steps backwards', () => {
    // A Pi without an RTC boots at an old time and NTP steps it forwards, or a step goes back.
    outbox.append(record('before-step-1', 1_700_000_060_000));
    outbox.append(record('before-step-2', 1_700_000_062_000));
    outbox.append(record('after-step-1', 1_700_000_000_000));
    outbox.append(record('after-step-2', 1_700_000_002_000));
    const first = outbox.take(1);
    expect(ids(first)).toEqual(['before-step-1']);
    outbox.release(first.map((e) => e.seq));
    const all = outbox.take(10);
    expect(ids(all)).toEqual(['before-step-1', 'before-step-2', 'after-step-1', 'after-step-2']);
    expect(all.map((e) => e.time)).toEqual([1_700_000_060_000, 1_700_000_062_000, 1_700_000_000_000, 1_700_000_002_000]);
  });

  it('returns what was appended, with no attempts yet', () => {
    const r = record('x', 1234);
    outbox.append(r);
    const [entry] = outbox.take(1);
    expect(entry).toMatchObject({ id: 'x', time: 1234, payload: r.payload, attempts: 0 });
    expect(typeof entry?.seq).toBe('number');
  });

  it('leases what it takes: a leased entry is not handed out twice', () => {
    for (let i = 0; i < 5; i++) outbox.append(record(`e${i}`, 1000 + i));
    expect(ids(outbox.take(2))).toEqual(['e0', 'e1']);
    expect(ids(outbox.take(2))).toEqual(['e2', 'e3']);
    expect(ids(outbox.take(10))).toEqual(['e4']);
    expect(outbox.take(10)).toEqual([]);
    expect(outbox.stats()).toMatchObject({ depth: 5, inFlight: 5 });
  });

  it('puts a released entry back in its original place, counting the attempt', () => {
    for (let i = 0; i < 4; i++) outbox.append(record(`e${i}`, 1000 + i));
    const first = outbox.take(2);
    expect(ids(outbox.take(1))).toEqual(['e2']);
    outbox.release(first.map((e) => e.seq));
    const again = outbox.take(10);
    expect(ids(again)).toEqual(['e0', 'e1', 'e3']);
    expect(again.map((e) => e.attempts)).toEqual([1, 1, 0]);
    outbox.release([again[0]!.seq]);
    expect(outbox.take(1)[0]).toMatchObject({ id: 'e0', attempts: 2 });
  });

  it('deletes acked entries and ignores acks of entries it did not hand out', () => {
    for (let i = 0; i < 3; i++) outbox.append(record(`e${i}`, 1000 + i));
    const [e0, e1] = outbox.take(2);
    outbox.ack([e0!.seq]);
    outbox.ack([e0!.seq]); // a repeated ack changes nothing
    expect(outbox.stats()).toMatchObject({ depth: 2, inFlight: 1 });
    outbox.release([e1!.seq]);
    outbox.ack([e1!.seq]); // released, no longer leased: must not be deleted unsent
    expect(ids(outbox.take(10))).toEqual(['e1', 'e2']);
  });

  it('moves a refused entry to the dead letters without blocking the queue', async () => {
    for (let i = 0; i < 3; i++) outbox.append(record(`e${i}`, 1000 + i));
    const [e0] = outbox.take(1);
    outbox.release([e0!.seq]);
    const [again] = outbox.take(1);
    await env.clock.advance(5000);
    outbox.deadLetter(again!.seq, 406, 'invalid JSON');
    expect(ids(outbox.take(10))).toEqual(['e1', 'e2']);
    const [dead] = outbox.deadLetters();
    expect(dead).toMatchObject({ id: 'e0', status: 406, reason: 'invalid JSON', attempts: 1, time: 1000 });
    expect(dead?.failedAt).toBe(env.clock.now());
    expect(outbox.stats()).toMatchObject({ depth: 2, deadLettered: 1 });
  });

  it('lists dead letters most recent first, up to the limit', () => {
    for (let i = 0; i < 3; i++) outbox.append(record(`e${i}`, 1000 + i));
    const taken = outbox.take(3);
    outbox.deadLetter(taken[0]!.seq, 400, 'bad query');
    outbox.deadLetter(taken[1]!.seq, null, 'too large to send');
    outbox.deadLetter(taken[2]!.seq, 413, 'payload too large');
    expect(ids(outbox.deadLetters())).toEqual(['e2', 'e1', 'e0']);
    expect(ids(outbox.deadLetters(2))).toEqual(['e2', 'e1']);
    expect(outbox.deadLetters()[1]?.status).toBeNull();
  });

  it("keeps each reading's monotonic time and boot id, null when the caller did not know them", () => {
    outbox.append({ ...record('known', 1000), mono: 123_456, bootId: 'b0b0-boot' });
    outbox.append(record('unknown', 2000));
    const [known, unknown] = outbox.take(10);
    expect(known).toMatchObject({ id: 'known', mono: 123_456, bootId: 'b0b0-boot' });
    expect(unknown).toMatchObject({ id: 'unknown', mono: null, bootId: null });
    outbox.release([known!.seq]);
    expect(outbox.take(1)[0]).toMatchObject({ id: 'known', mono: 123_456, bootId: 'b0b0-boot', attempts: 1 });
    outbox.deadLetter(known!.seq, 422, 'refused');
    expect(outbox.deadLetters()[0]).toMatchObject({ id: 'known', mono: 123_456, bootId: 'b0b0-boot' });
  });

  it('counts payload bytes in UTF-8', () => {
    outbox.append({ id: 'u', time: 1, payload: '{"t":"é"}' });
    expect(outbox.stats()).toMatchObject({ depth: 1, bytes: 10, inFlight: 0, deadLettered: 0, dropped: 0 });
  });
});

describe.each(implementations)('$name byte bound', ({ open }) => {
  let env: Env;
  let outbox: Outbox;

  beforeEach(() => {
    env = { dir: mkdtempSync(join(tmpdir(), 'outbox-bound-')), clock: new FakeClock(), counters: new Counters() };
    outbox = open(env, 300); // three 100-byte events
  });

  afterEach(() => {
    outbox.close();
    rmSync(env.dir, { recursive: true, force: true });
  });

  it('drops the oldest when full, says how many and counts them', () => {
    for (let i = 0; i < 3; i++) expect(outbox.append(record(`e${i}`, 1000 + i))).toEqual({ dropped: 0 });
    expect(outbox.append(record('e3', 1003))).toEqual({ dropped: 1 });
    expect(outbox.append(record('e4', 1004))).toEqual({ dropped: 1 });
    expect(outbox.stats()).toMatchObject({ depth: 3, bytes: 300, dropped: 2 });
    expect(env.counters.get('events_dropped_total', { reason: 'outbox_full' })).toBe(2);
    expect(env.counters.get('events_queued_total')).toBe(0); // the caller counts what it queues
    expect(ids(outbox.take(10))).toEqual(['e2', 'e3', 'e4']);
  });

  it('never drops an entry in flight', () => {
    for (let i = 0; i < 3; i++) outbox.append(record(`e${i}`, 1000 + i));
    const inFlight = outbox.take(1);
    expect(outbox.append(record('e3', 1003))).toEqual({ dropped: 1 });
    expect(ids(outbox.take(10))).toEqual(['e2', 'e3']);
    outbox.ack(inFlight.map((e) => e.seq));
    expect(outbox.stats()).toMatchObject({ depth: 2, bytes: 200 });
  });
});
