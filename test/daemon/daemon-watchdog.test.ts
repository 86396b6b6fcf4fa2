// The Daemon in process on the fake clock: liveness follows what each loop is doing
// now (issue 13, finding 1), and durations that would overflow a timer are refused.
import { describe, expect, it } from 'vitest';
import { SimulatedSensor } from '../../src/sensor/simulated-sensor.js';
import type { RawReading, Sensor } from '../../src/sensor/sensor.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';
import { command, daemonRig } from './daemon-rig.js';

const cleanups = cleanupAfterEach();
const WATCHDOG_MS = 4000;

describe('Daemon watchdog (in process, fake clock)', () => {
  it('set-interval 5m: the sampler waits five minutes between reads and WATCHDOG=1 never stops', async () => {
    const rig = await daemonRig(cleanups, {});
    await rig.start();
    rig.once(command('set-interval', '5m'));
    await rig.run(31_000);
    const before = rig.received.length;
    await rig.run(12 * 60_000);
    expect(rig.daemon.snapshot().sensors[0]?.intervalMs).toBe(300_000);
    // 12 minutes at 5 m: two or three more reads, not 24.
    expect(rig.received.length - before).toBeGreaterThanOrEqual(2);
    expect(rig.received.length - before).toBeLessThanOrEqual(3);
    expect(rig.longestPingGap()).toBeLessThanOrEqual(WATCHDOG_MS);
    expect(rig.lines.filter((l) => l.msg.includes('wedged'))).toEqual([]);
  });

  it('set-interval 25d is refused as invalid: the interval stays, nothing spins', async () => {
    const rig = await daemonRig(cleanups, {});
    await rig.start();
    rig.once(command('set-interval', '25d'));
    await rig.run(31_000);
    const before = rig.received.length;
    await rig.run(5 * 60_000);
    expect(rig.daemon.counters.get('commands_total', { command: 'set-interval', result: 'invalid' })).toBe(1);
    expect(rig.daemon.snapshot().sensors[0]?.intervalMs).toBe(30_000);
    expect(rig.received.length - before).toBeLessThanOrEqual(11);
    expect(rig.longestPingGap()).toBeLessThanOrEqual(WATCHDOG_MS);
  });

  it('403 with INTERVAL=2m: the delivery loop pauses RETRY_MAX on purpose and is not taken for wedged', async () => {
    const rig = await daemonRig(cleanups, { INTERVAL: '2m' });
    rig.answer({ status: 403 });
    await rig.start();
    await rig.run(12 * 60_000, 1000);
    expect(rig.daemon.counters.get('auth_failures_total')).toBeGreaterThanOrEqual(2);
    expect(rig.longestPingGap()).toBeLessThanOrEqual(WATCHDOG_MS);
    rig.answer({ status: 202 });
    await rig.run(6 * 60_000, 1000);
    expect(rig.daemon.snapshot().outbox.depth).toBe(0);
    expect(rig.longestPingGap()).toBeLessThanOrEqual(WATCHDOG_MS);
  });

  it('Retry-After of an hour (RETRY_MAX=1h): nothing is sent for the hour, WATCHDOG=1 goes on, then the backlog drains', async () => {
    // Retry-After is capped at RETRY_MAX (5m by default): an hour's pause needs RETRY_MAX=1h.
    const rig = await daemonRig(cleanups, { INTERVAL: '2m', RETRY_MAX: '1h' });
    rig.answer({ status: 503, headers: { 'retry-after': '3600' } });
    await rig.start();
    await rig.run(5000);
    const posts = rig.received.length;
    rig.answer({ status: 202 });
    await rig.run(59 * 60_000, 1000);
    expect(rig.received.length).toBe(posts);
    expect(rig.daemon.snapshot().outbox.depth).toBeGreaterThanOrEqual(29);
    await rig.run(3 * 60_000, 1000);
    expect(rig.daemon.snapshot().outbox.depth).toBe(0);
    expect(rig.longestPingGap()).toBeLessThanOrEqual(WATCHDOG_MS);
  });

  it('a sampler that truly wedges (the sensor hangs) is caught within twice its budget, and /healthz names it', async () => {
    const rig = await daemonRig(cleanups, { INTERVAL: '10s' }, { sensors: (clock) => [new WedgingSensor(new SimulatedSensor({ name: 'default', clock }), 3)] });
    await rig.start();
    await rig.run(40_000);
    const lastRead = rig.daemon.snapshot().sensors[0]?.lastReadAt ?? 0;
    await rig.run(10 * 60_000, 1000);
    const pings = rig.notifier.timesOf('WATCHDOG=1');
    const lastPing = pings.at(-1) ?? 0;
    // The budget: the 10 s interval plus the sampler's margin (src/daemon.ts samplerMarginMs).
    const budget = 10_000 + rig.daemon.samplerMarginMs;
    expect(lastPing - lastRead).toBeLessThanOrEqual(2 * budget);
    expect(rig.clock.now() - lastPing).toBeGreaterThan(5 * 60_000);
    expect(rig.health().watchdog?.wedgedLoops).toEqual(['sampler:default']);
    expect(rig.health().status).toBe('failing');
    expect(rig.lines.filter((l) => l.level === 'error' && l.loop === 'sampler:default')).toHaveLength(1);
  });
});

/** Answers `reads` times, then never again: a read that blocks for good (until stop aborts it). */
class WedgingSensor implements Sensor {
  readonly model = 'sim' as const;
  private left: number;
  constructor(
    private readonly inner: Sensor,
    reads: number,
  ) {
    this.left = reads;
  }

  get name(): string {
    return this.inner.name;
  }

  async read(signal?: AbortSignal): Promise<RawReading> {
    if (this.left-- > 0) return this.inner.read(signal);
    return new Promise((_, reject) => signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true }));
  }

  async close(): Promise<void> {
    await this.inner.close();
  }
}
