import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { MemoryGpio } from '../../src/gpio/memory-gpio.js';
import { StatusLed } from '../../src/gpio/status-led.js';
import { createLogger } from '../../src/log/logger.js';

async function setup() {
  const clock = new FakeClock(0);
  const gpio = new MemoryGpio({ clock });
  const pin = await gpio.output(27, 0);
  const logs: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(JSON.parse(chunk.toString()) as Record<string, unknown>);
      done();
    },
  });
  const led = new StatusLed(pin, clock, { blinkMs: 100, logger: createLogger('debug', sink) });
  await led.settled();
  return { clock, gpio, led, logs };
}

describe('StatusLed', () => {
  it('blinks once per delivered event', async () => {
    const { clock, gpio, led } = await setup();
    led.delivered();
    await led.settled();
    expect(gpio.value(27)).toBe(1);
    await clock.advance(100);
    await led.settled();
    expect(gpio.value(27)).toBe(0);
    await led.close();
  });

  it('stays on after an error until the next delivery, which blinks it off', async () => {
    const { clock, gpio, led } = await setup();
    led.error();
    await led.settled();
    await clock.advance(60_000);
    expect(gpio.value(27)).toBe(1);

    led.delivered();
    await led.settled();
    await clock.advance(100);
    await led.settled();
    expect(gpio.value(27)).toBe(0);
    await led.close();
  });

  it('blinks steadily in blink mode and turns off on close', async () => {
    const { clock, gpio, led } = await setup();
    led.set('blink');
    await led.settled();
    const seen: (0 | 1 | undefined)[] = [];
    for (let i = 0; i < 4; i++) {
      seen.push(gpio.value(27));
      await clock.advance(100);
      await led.settled();
    }
    expect(seen).toEqual([1, 0, 1, 0]);
    led.set('on');
    await led.settled();
    expect(gpio.value(27)).toBe(1);
    await led.close();
    expect(gpio.value(27)).toBe(0);
  });

  it('never throws into callers and logs a failing pin once per run of failures', async () => {
    const { clock, gpio, led, logs } = await setup();
    gpio.setFault(27, new Error('EIO'));
    for (let i = 0; i < 3; i++) {
      expect(() => led.delivered()).not.toThrow();
      await led.settled();
      await clock.advance(100);
      await led.settled();
    }
    expect(logs.filter((l) => l.msg === 'status LED write failed')).toHaveLength(1);

    gpio.setFault(27);
    led.delivered();
    await led.settled();
    expect(gpio.value(27)).toBe(1);
    expect(logs.filter((l) => l.msg === 'status LED works again')).toHaveLength(1);
    await led.close();
  });
});
