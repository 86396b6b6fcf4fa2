import { describe, it, expect, afterEach } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { RecordingNotifier } from '../../src/systemd/notifier.js';
import { Watchdog } from '../../src/systemd/watchdog.js';
import { createNotifier } from '../../src/systemd/socket-notifier.js';
import { NotifyListener } from './notify-listener.js';
import { captureLogs } from './log-capture.js';

let cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  cleanups = [];
});

describe('Watchdog', () => {
  it('pings at half the interval while every loop beats, stops when one wedges, resumes when it beats', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const notifier = new RecordingNotifier(clock);
    const { logger, lines } = captureLogs();
    const watchdog = new Watchdog({ notifier, intervalMs: 10_000, clock, logger });
    const sampler = watchdog.register('sampler', 12_000);
    const sender = watchdog.register('sender', 12_000);
    watchdog.start();
    cleanups.push(() => watchdog.stop());

    for (let t = 2_500; t <= 15_000; t += 2_500) {
      await clock.advance(2_500);
      sampler.beat();
      sender.beat();
    }
    // The sender wedges at 15 s; the sampler keeps going.
    for (let t = 17_500; t <= 60_000; t += 2_500) {
      await clock.advance(2_500);
      sampler.beat();
    }

    const pings = notifier.timesOf('WATCHDOG=1').map((at) => at - t0);
    // 20 s and 25 s: the sender is silent but within 12 s; from 30 s on it is past its bound.
    expect(pings).toEqual([0, 5_000, 10_000, 15_000, 20_000, 25_000]);
    const errors = lines.filter((l) => l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatchObject({ loop: 'sender', max_silence_ms: 12_000, silent_ms: 15_000 });
    expect(watchdog.wedgedLoops()).toEqual(['sender']);

    sender.beat();
    await clock.advance(5_000);
    expect(notifier.timesOf('WATCHDOG=1').map((at) => at - t0).slice(6)).toEqual([65_000]);
    expect(lines.filter((l) => l.level === 'warn').map((l) => l.loop)).toEqual(['sender']);
  });

  it('stops pinging on stop() or when its signal aborts', async () => {
    const clock = new FakeClock();
    const notifier = new RecordingNotifier(clock);
    const { logger } = captureLogs();
    const watchdog = new Watchdog({ notifier, intervalMs: 4_000, clock, logger });
    const controller = new AbortController();
    watchdog.start(controller.signal);
    await clock.advance(2_000);
    controller.abort();
    await watchdog.stop();
    await clock.advance(10_000);
    expect(notifier.states()).toEqual(['WATCHDOG=1', 'WATCHDOG=1']);
    expect(clock.pendingSleeps).toBe(0);
  });

  it('no longer watches a retired loop', async () => {
    const clock = new FakeClock();
    const notifier = new RecordingNotifier(clock);
    const { logger } = captureLogs();
    const watchdog = new Watchdog({ notifier, intervalMs: 4_000, clock, logger });
    watchdog.register('sampler', 1_500).retire();
    watchdog.start();
    cleanups.push(() => watchdog.stop());
    await clock.advance(4_000);
    expect(notifier.states()).toHaveLength(3);
  });

  it('rejects a bad interval and duplicate loop names', () => {
    const clock = new FakeClock();
    const { logger } = captureLogs();
    const notifier = new RecordingNotifier(clock);
    expect(() => new Watchdog({ notifier, intervalMs: 0, clock, logger })).toThrow(/positive/);
    const watchdog = new Watchdog({ notifier, intervalMs: 1_000, clock, logger });
    watchdog.register('sampler', 5_000);
    expect(() => watchdog.register('sampler', 5_000)).toThrow(/already registered/);
  });

  it('over a real notify socket: no WATCHDOG=1 arrives after a loop wedges', async () => {
    const listener = await NotifyListener.open();
    cleanups.push(() => listener.close());
    const clock = new FakeClock();
    const t0 = clock.now();
    const { logger, lines } = captureLogs();
    const notifier = await createNotifier(listener.path, logger);
    const watchdog = new Watchdog({ notifier, intervalMs: 4_000, clock, logger });
    const sampler = watchdog.register('sampler', 3_000);
    watchdog.start();
    cleanups.push(() => watchdog.stop());

    // After each fake-clock step a marker datagram follows; a unix datagram socket keeps
    // order, so the pings seen before the marker are exactly those sent in that step.
    const pingsAt: number[] = [];
    let seen = 0;
    const settle = async (): Promise<void> => {
      const t = clock.now() - t0;
      const marker = `STATUS=t=${t}`;
      await notifier.notify(marker);
      await listener.waitFor(marker, 5_000);
      const total = listener.count('WATCHDOG=1');
      for (; seen < total; seen++) pingsAt.push(t);
    };

    await settle();
    for (let step = 1; step <= 20; step++) {
      await clock.advance(1_000);
      if (step <= 4) sampler.beat(); // the sampler wedges after 4 s
      await settle();
    }

    // Beats up to 4 s; the check at 6 s sees 2 s of silence (fine), at 8 s 4 s (> 3 s).
    expect(pingsAt).toEqual([0, 2_000, 4_000, 6_000]);
    expect(listener.texts().filter((t) => !t.startsWith('STATUS=t='))).toEqual(
      Array<string>(4).fill('WATCHDOG=1'),
    );
    expect(lines.filter((l) => l.level === 'error').map((l) => l.loop)).toEqual(['sampler']);
  });
});
