import { afterEach, describe, expect, it, vi } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { MAX_TIMER_MS, systemClock, wallTimeOf } from '../../src/clock/clock.js';

afterEach(() => {
  vi.useRealTimers();
});

describe('systemClock', () => {
  it('sleeps 25 days (longer than a Node timer takes) without firing early', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'hrtime'] });
    const DAY = 86_400_000;
    let done = false;
    void systemClock.sleep(25 * DAY).then(() => (done = true));
    await vi.advanceTimersByTimeAsync(MAX_TIMER_MS + 1000);
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(25 * DAY - 1000 - (MAX_TIMER_MS + 1000));
    expect(done).toBe(false);
    await vi.advanceTimersByTimeAsync(2000);
    expect(done).toBe(true);
  });

  it('now() is monotonic milliseconds, wallNow() the epoch', () => {
    const a = systemClock.now();
    const b = systemClock.now();
    expect(b).toBeGreaterThanOrEqual(a);
    expect(Math.abs(systemClock.wallNow() - Date.now())).toBeLessThan(1000);
  });
});

describe('FakeClock', () => {
  it('steps the wall clock without moving monotonic time or waking sleepers', async () => {
    const clock = new FakeClock(1_000_000);
    let woke = false;
    void clock.sleep(10_000).then(() => (woke = true));
    clock.stepWall(3_600_000);
    await clock.advance(0);
    expect(woke).toBe(false);
    expect(clock.now()).toBe(1_000_000);
    expect(clock.wallNow()).toBe(4_600_000);
    expect(wallTimeOf(clock, 999_000)).toBe(4_599_000);
    await clock.advance(10_000);
    expect(woke).toBe(true);
  });
});
