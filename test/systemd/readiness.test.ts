import { describe, it, expect, afterEach } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { RecordingNotifier } from '../../src/systemd/notifier.js';
import { Readiness } from '../../src/systemd/readiness.js';
import { createNotifier } from '../../src/systemd/socket-notifier.js';
import { TelemetryError } from '../../src/errors.js';
import { NotifyListener } from './notify-listener.js';
import { captureLogs } from './log-capture.js';

function gate(timeoutMs = 60_000) {
  const clock = new FakeClock();
  const notifier = new RecordingNotifier(clock);
  const { logger, lines } = captureLogs();
  const readiness = new Readiness({ notifier, timeoutMs, clock, logger });
  return { clock, notifier, lines, readiness };
}

let listener: NotifyListener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

describe('Readiness', () => {
  it('sends READY=1 only after every condition, exactly once, then a STATUS line', async () => {
    const { clock, notifier, readiness } = gate();
    const config = readiness.require('config');
    const outbox = readiness.require('outbox');
    const firstReading = readiness.require('first-reading');
    const ready = readiness.whenReady();

    config();
    outbox();
    outbox(); // marking twice changes nothing
    await clock.advance(10_000);
    expect(notifier.states()).toEqual([]);
    expect(readiness.missing()).toEqual(['first-reading']);

    firstReading();
    await ready;
    firstReading();
    config();
    await clock.advance(120_000); // past the timeout: nothing more happens
    expect(notifier.states()).toEqual(['READY=1', 'STATUS=Ready (config, outbox, first-reading)']);
    await expect(readiness.whenReady()).resolves.toBeUndefined();
  });

  it('times out naming the missing conditions, and never sends READY=1 after that', async () => {
    const { clock, notifier, lines, readiness } = gate(30_000);
    const config = readiness.require('config');
    const outbox = readiness.require('outbox');
    const firstReading = readiness.require('first-reading');
    const ready = readiness.whenReady();
    config();

    await clock.advance(29_999);
    expect(notifier.states()).toEqual([]);
    await clock.advance(1);
    const err = await ready.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TelemetryError);
    expect(err).toMatchObject({ code: 'E_NOTIFY' });
    expect((err as Error).message).toBe(
      'not ready within 30000 ms: still waiting for outbox, first-reading',
    );
    expect(lines.find((l) => l.level === 'error')).toMatchObject({
      missing: ['outbox', 'first-reading'],
    });

    outbox();
    firstReading();
    await clock.advance(1);
    expect(notifier.states()).toEqual([]);
  });

  it('stop() cancels the start timeout and rejects a pending wait', async () => {
    const { clock, notifier, readiness } = gate(30_000);
    readiness.require('config');
    const ready = readiness.whenReady();
    readiness.stop();
    await expect(ready).rejects.toThrow(/stopped before the daemon was ready/);
    expect(clock.pendingSleeps).toBe(0);
    expect(notifier.states()).toEqual([]);
  });

  it('refuses a condition added after READY=1 went out', async () => {
    const { readiness } = gate();
    readiness.require('config')();
    await readiness.whenReady();
    expect(() => readiness.require('late')).toThrow(/added after the gate was ready/);
  });

  it('delivers READY=1 once over a real notify socket', async () => {
    listener = await NotifyListener.open();
    const clock = new FakeClock();
    const { logger } = captureLogs();
    const notifier = await createNotifier(listener.path, logger);
    const readiness = new Readiness({ notifier, timeoutMs: 60_000, clock, logger });
    const config = readiness.require('config');
    const outbox = readiness.require('outbox');
    config();
    outbox();
    await readiness.whenReady();
    await notifier.notify('STATUS=end of test');
    await listener.waitFor('STATUS=end of test', 5_000);
    expect(listener.texts()).toEqual(['READY=1', 'STATUS=Ready (config, outbox)', 'STATUS=end of test']);
  });
});
