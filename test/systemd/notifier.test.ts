import { describe, it, expect } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { NullNotifier, RecordingNotifier, oneState } from '../../src/systemd/notifier.js';

describe('oneState', () => {
  it('folds line breaks so a state cannot turn into several assignments', () => {
    expect(oneState('STATUS=ENDPOINT: bad URL\nAPP_ID: missing\r\n')).toBe(
      'STATUS=ENDPOINT: bad URL; APP_ID: missing',
    );
    expect(oneState('READY=1')).toBe('READY=1');
  });
});

describe('NullNotifier', () => {
  it('accepts every state and does nothing', async () => {
    await expect(new NullNotifier().notify('READY=1')).resolves.toBeUndefined();
  });
});

describe('RecordingNotifier', () => {
  it('records each state with the clock time it was sent at', async () => {
    const clock = new FakeClock();
    const t0 = clock.now();
    const notifier = new RecordingNotifier(clock);
    await notifier.notify('READY=1');
    await clock.advance(1500);
    await notifier.notify('WATCHDOG=1');
    await notifier.notify('STATUS=two\nlines');
    expect(notifier.states()).toEqual(['READY=1', 'WATCHDOG=1', 'STATUS=two; lines']);
    expect(notifier.timesOf('WATCHDOG=1')).toEqual([t0 + 1500]);
  });
});
