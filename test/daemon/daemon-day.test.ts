// A simulated day of the in-process Daemon on the fake clock: random cloud commands,
// endpoint outages (503 with and without Retry-After, 429, 403) and wall-clock steps.
// WATCHDOG=1 must never stop while the loops are healthy, sampling must never stall,
// and once the endpoint is back everything queued goes out with time == data.time.
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../helpers/cleanups.js';
import { command, daemonRig, type Answer } from './daemon-rig.js';

const cleanups = cleanupAfterEach();
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const WATCHDOG_MS = 4000;

/** mulberry32: the same day every run. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, items: readonly T[]): T => items[Math.floor(r() * items.length)] as T;

const COMMANDS: readonly Answer[] = [
  command('set-interval', '2s'),
  command('set-interval', '30s'),
  command('set-interval', '5m'),
  command('set-interval', '1h'),
  command('set-interval', '25d'),
  command('set-interval', '0'),
  command('read-now', ''),
  command('led', 'on'),
];
const OUTAGES: readonly Answer[] = [
  { status: 503 },
  { status: 503, headers: { 'retry-after': '3600' } },
  { status: 429, headers: { 'retry-after': '120' } },
  { status: 403 },
  { status: 500 },
];

describe('Daemon, a simulated day (in process, fake clock)', () => {
  it('random commands, outages and clock steps for 24 h: WATCHDOG=1 never stops, sampling never stalls, nothing is lost', async () => {
    const r = random(13);
    // The memory outbox: a day of SQLite fsyncs costs a minute of real time on a busy CI disk,
    // and the liveness under test does not depend on the storage (the other rig tests use SQLite).
    const rig = await daemonRig(cleanups, {}, { memoryOutbox: true });
    await rig.start();
    for (let minute = 0; minute < 24 * 60; minute++) {
      const roll = r();
      if (roll < 0.02) rig.once(pick(r, COMMANDS));
      else if (roll < 0.025) rig.answer(pick(r, OUTAGES));
      else if (roll < 0.04) rig.answer({ status: 202 });
      else if (roll < 0.043) rig.clock.stepWall(Math.round((r() * 6 - 3) * HOUR));
      await rig.run(MINUTE, 10_000);
      // Sampling never stalls: the last read is never older than the interval in force
      // (at most 1 h: 25d and 0 are refused), whatever the wall clock did.
      const sensor = rig.daemon.snapshot().sensors[0];
      expect(rig.clock.now() - (sensor?.lastReadAt ?? 0), `minute ${minute}`).toBeLessThanOrEqual((sensor?.intervalMs ?? 0) + 10_000);
      if (minute % 60 === 59) expect(rig.longestPingGap(), `hour ${(minute + 1) / 60}`).toBeLessThanOrEqual(WATCHDOG_MS);
    }
    expect(rig.daemon.counters.get('commands_total', { command: 'set-interval', result: 'invalid' })).toBeGreaterThan(0);
    rig.answer({ status: 202 });
    await rig.run(2 * HOUR, 10_000);
    expect(rig.daemon.snapshot().outbox.depth).toBe(0);
    expect(rig.longestPingGap()).toBeLessThanOrEqual(WATCHDOG_MS);
    expect(rig.lines.filter((l) => l.msg.includes('wedged'))).toEqual([]);
    for (const e of rig.received) expect(e.dataTime).toBe(e.time);
    const sent = rig.daemon.counters.get('events_sent_total');
    expect(sent).toBe(rig.daemon.counters.get('events_queued_total'));
  }, 240_000);
});
