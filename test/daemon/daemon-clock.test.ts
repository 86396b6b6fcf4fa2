// The Daemon in process on the fake clock: waits on the monotonic clock, readings
// re-stamped after a wall-clock step, held below the floor and while the host has not
// synced (issue 13, findings 2 and 4).
import { describe, expect, it } from 'vitest';
import { FakeHostTime } from '../../src/time/host-time.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';
import { daemonRig, FLOOR, WALL_START, type Rig } from './daemon-rig.js';

const cleanups = cleanupAfterEach();
const HOUR = 3_600_000;

/** Every event's time and data.time agree, and lie within [from, to] of the corrected wall clock. */
function expectTimesWithin(rig: Rig, from: number, to: number): void {
  for (const r of rig.received) {
    expect(r.dataTime).toBe(r.time);
    const t = Date.parse(r.time);
    expect(t, `${r.time} of ${r.id}`).toBeGreaterThanOrEqual(from);
    expect(t, `${r.time} of ${r.id}`).toBeLessThanOrEqual(to);
  }
}

describe('Daemon clock (in process, fake clock)', () => {
  it('wall clock steps +2 h with readings queued: they are re-stamped by the step, sampling keeps its pace', async () => {
    const rig = await daemonRig(cleanups, {}, { memoryOutbox: true });
    rig.answer({ status: 503 });
    await rig.start();
    await rig.run(5 * 60_000, 1000);
    const queued = rig.daemon.snapshot().outbox.depth;
    expect(queued).toBeGreaterThanOrEqual(9);
    // The clock was 2 h slow: NTP steps it forward. Everything up to now really happened 2 h later.
    const truth = (mono: number): number => mono + 2 * HOUR;
    const runStart = truth(WALL_START);
    rig.clock.stepWall(2 * HOUR);
    rig.answer({ status: 202 });
    const readsBefore = rig.daemon.counters.get('readings_total');
    await rig.run(5 * 60_000, 1000);
    // A step forward does not fire every timer at once: 5 minutes at 30 s is about ten reads.
    expect(rig.daemon.counters.get('readings_total') - readsBefore).toBeLessThanOrEqual(11);
    expect(rig.daemon.snapshot().outbox.depth).toBe(0);
    const delivered = rig.received.filter((r) => r.at >= runStart);
    expect(delivered.length).toBeGreaterThanOrEqual(queued + 9);
    rig.received.splice(0, rig.received.length, ...delivered);
    expectTimesWithin(rig, runStart, rig.clock.wallNow());
    expect(rig.daemon.counters.get('readings_restamped_total')).toBeGreaterThanOrEqual(queued);
    expect(rig.health().clock).toMatchObject({ belowFloor: false, lastStepMs: 2 * HOUR });
  });

  it('wall clock steps back 1 h at INTERVAL=1: readings keep flowing, queued ones are re-stamped back', async () => {
    const rig = await daemonRig(cleanups, { INTERVAL: '1' }, { memoryOutbox: true });
    rig.answer({ status: 503 });
    await rig.start();
    await rig.run(20_000);
    rig.clock.stepWall(-HOUR);
    const postsBefore = rig.received.length;
    const readsBefore = rig.daemon.counters.get('readings_total');
    await rig.run(10_000);
    expect(rig.daemon.counters.get('readings_total') - readsBefore).toBeGreaterThanOrEqual(8);
    rig.answer({ status: 202 });
    await rig.run(60_000);
    expect(rig.daemon.snapshot().outbox.depth).toBe(0);
    rig.received.splice(0, postsBefore);
    expectTimesWithin(rig, WALL_START - HOUR, rig.clock.wallNow());
    // The last reading's age on /healthz runs on the monotonic clock: not clamped, not an hour.
    const age = rig.health().sensors[0]?.lastReadingAgeS ?? -1;
    expect(age).toBeGreaterThanOrEqual(0);
    expect(age).toBeLessThanOrEqual(1.5);
  });

  it('a clock three years back (below the floor): readings are queued, none sent; once set they go out with true times', async () => {
    const back = WALL_START - 3 * 365 * 24 * HOUR;
    const rig = await daemonRig(cleanups, {}, { wall: back, memoryOutbox: true });
    await rig.start();
    await rig.run(3 * 60_000, 1000);
    expect(rig.received).toEqual([]);
    expect(rig.daemon.snapshot().outbox.depth).toBeGreaterThanOrEqual(6);
    expect(rig.health().clock).toMatchObject({ belowFloor: true });
    // NTP sets the clock: the run really started 3 minutes before now.
    rig.clock.setWall(WALL_START + 3 * 60_000);
    await rig.run(60_000, 1000);
    expect(rig.daemon.snapshot().outbox.depth).toBe(0);
    expect(rig.received.length).toBeGreaterThanOrEqual(8);
    expectTimesWithin(rig, WALL_START, rig.clock.wallNow());
    expect(rig.health().clock).toMatchObject({ belowFloor: false });
    expect(FLOOR).toBeLessThan(WALL_START);
  });

  it('where the host sync flag is visible, readings wait for it; then go out re-stamped by the sync step', async () => {
    const host = new FakeHostTime('boot-1', true, false);
    const rig = await daemonRig(cleanups, { TIME_SYNC_WAIT: '10m' }, { host, memoryOutbox: true });
    await rig.start();
    await rig.run(2 * 60_000, 1000);
    expect(rig.received).toEqual([]);
    expect(rig.health().clock).toMatchObject({ synced: false, waitingForSync: true });
    rig.clock.stepWall(90_000);
    host.isSynced = true;
    await rig.run(30_000, 1000);
    expect(rig.daemon.snapshot().outbox.depth).toBe(0);
    expectTimesWithin(rig, WALL_START + 90_000, rig.clock.wallNow());
    expect(rig.health().clock).toMatchObject({ synced: true, waitingForSync: false });
  });

  it('a sync flag that never comes holds readings for TIME_SYNC_WAIT only', async () => {
    const host = new FakeHostTime('boot-1', true, false);
    const rig = await daemonRig(cleanups, { TIME_SYNC_WAIT: '2m' }, { host, memoryOutbox: true });
    await rig.start();
    await rig.run(110_000, 1000);
    expect(rig.received).toEqual([]);
    await rig.run(30_000, 1000);
    expect(rig.daemon.snapshot().outbox.depth).toBe(0);
    expect(rig.received.length).toBeGreaterThanOrEqual(4);
  });
});
