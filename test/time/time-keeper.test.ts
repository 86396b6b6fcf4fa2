import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { FakeHostTime } from '../../src/time/host-time.js';
import { restamp, TimeKeeper, type TimedEntry } from '../../src/time/time-keeper.js';
import { encodeReading } from '../../src/event/encode-reading.js';
import type { EventContext } from '../../src/event/event-shape.js';
import { silentLogger } from '../../src/log/logger.js';
import { Counters } from '../../src/metrics/counters.js';

const NOW = Date.UTC(2026, 11, 15, 8, 0, 0);
const FLOOR = Date.UTC(2026, 10, 15);
const HOUR = 3_600_000;
const CTX: EventContext = { appId: 'app', deviceId: 'pi', channel: 'status', dataSchema: 'urn:drogue:iot:temperature', geolocation: null, nameSensors: false };

function keeper(host = new FakeHostTime('boot-1'), syncWaitMs = 0) {
  const clock = new FakeClock(NOW);
  const counters = new Counters();
  const tk = new TimeKeeper({ clock, host, floorMs: FLOOR, syncWaitMs, counters, logger: silentLogger() });
  const entry = (mode: 'binary' | 'structured' = 'binary', bootId: string | null = 'boot-1'): TimedEntry => {
    const stamp = tk.stamp(clock.now());
    const message = encodeReading({ id: `r-${clock.now()}`, sensor: 'default', temperature: 21, humidity: 45, ...stamp }, CTX, mode);
    return { id: `r-${clock.now()}`, time: stamp.time, payload: JSON.stringify(message), mono: stamp.mono, bootId };
  };
  return { clock, counters, tk, entry };
}

/** ce-time / time and data.time of a prepared payload. */
function timesOf(payload: string): [string, string] {
  const message = JSON.parse(payload) as { headers: Record<string, string>; body: string };
  const body = JSON.parse(message.body) as { time: string; data?: { time: string } };
  return 'ce-time' in message.headers ? [message.headers['ce-time'] ?? '', body.time] : [body.time, body.data?.time ?? ''];
}

describe('TimeKeeper', () => {
  it('sends a reading as stored while the clock has not stepped (slewing under a second included)', async () => {
    const { clock, tk, entry, counters } = keeper();
    const e = entry();
    await clock.advance(60_000);
    clock.stepWall(800);
    expect(tk.prepare(e)).toBe(e.payload);
    expect(counters.get('readings_restamped_total')).toBe(0);
  });

  it.each(['binary', 'structured'] as const)('re-stamps a %s reading of this boot by a step, time and data.time together, counted once', async (mode) => {
    const { clock, tk, entry, counters } = keeper();
    const e = entry(mode);
    await clock.advance(10_000);
    clock.stepWall(2 * HOUR);
    const sent = tk.prepare(e) ?? '';
    expect(timesOf(sent)).toEqual([new Date(NOW + 2 * HOUR).toISOString(), new Date(NOW + 2 * HOUR).toISOString()]);
    tk.prepare(e);
    expect(counters.get('readings_restamped_total')).toBe(1);
    expect(tk.state()).toMatchObject({ steps: 1, lastStepMs: 2 * HOUR, steppedAt: new Date(NOW + 10_000 + 2 * HOUR).toISOString() });
  });

  it("keeps a previous boot's reading at its time: its monotonic time means nothing on this boot", async () => {
    const { clock, tk, entry } = keeper();
    const e = entry('binary', 'boot-0');
    clock.stepWall(-HOUR);
    expect(tk.prepare(e)).toBe(e.payload);
  });

  it('holds everything below the floor, then stamps from monotonic time once the clock is set', async () => {
    const { clock, tk, entry } = keeper();
    clock.setWall(Date.UTC(2023, 0, 1));
    const e = entry();
    expect(tk.state().belowFloor).toBe(true);
    await clock.advance(30_000);
    expect(tk.prepare(e)).toBeNull();
    clock.setWall(NOW + 30_000);
    expect(timesOf(tk.prepare(e) ?? '')).toEqual([new Date(NOW).toISOString(), new Date(NOW).toISOString()]);
  });

  it('keeps the stamp of a row without its own monotonic time (written by an older release)', async () => {
    const { clock, tk, entry } = keeper();
    const e = { ...entry(), mono: null, bootId: null };
    clock.stepWall(HOUR);
    expect(tk.prepare(e)).toBe(e.payload);
  });

  it('where the host flag is visible, waits for it at most syncWaitMs; where it is not, does not wait', async () => {
    const host = new FakeHostTime('boot-1', true, false);
    const { clock, tk, entry } = keeper(host, 60_000);
    const e = entry();
    expect(tk.prepare(e)).toBeNull();
    expect(tk.state()).toMatchObject({ synced: false, waitingForSync: true });
    await clock.advance(60_000);
    expect(tk.prepare(e)).toBe(e.payload);
    expect(tk.state()).toMatchObject({ synced: false, waitingForSync: false });
    const invisible = keeper(new FakeHostTime('boot-1', false, false), 60_000);
    expect(invisible.tk.prepare(invisible.entry())).not.toBeNull();
    expect(invisible.tk.state().synced).toBeNull();
  });

  it('restamp() leaves a payload it did not write alone', () => {
    expect(restamp('not json', '2026-01-01T00:00:00.000Z')).toBeNull();
  });
});
