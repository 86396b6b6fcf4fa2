import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { MemoryGpio } from '../../src/gpio/memory-gpio.js';
import { checkGpioContract } from './fixtures/gpio-contract.mjs';

describe('MemoryGpio', () => {
  it('keeps the Gpio contract', async () => {
    const gpio = new MemoryGpio({ base: 512, ngpio: 58 });
    await checkGpioContract({ gpio, bcm: 17, sysfs: 529, observe: () => gpio.value(17) });
  });

  it('records every level with the clock time', async () => {
    const clock = new FakeClock(1_000);
    const gpio = new MemoryGpio({ clock });
    const pin = await gpio.output(4, 1);
    await clock.advance(250);
    await pin.write(0);
    await pin.release();
    expect(gpio.levels(4)).toEqual([1, 0]);
    expect(gpio.history).toEqual([
      { at: 1_000, bcm: 4, sysfs: 4, kind: 'export', value: 1 },
      { at: 1_250, bcm: 4, sysfs: 4, kind: 'write', value: 0 },
      { at: 1_250, bcm: 4, sysfs: 4, kind: 'release', value: undefined },
    ]);
  });

  it('fails like a machine without usable GPIO when asked to', async () => {
    const gpio = new MemoryGpio({ unavailable: 'read-only' });
    const err = await gpio.output(4, 0).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_GPIO_UNAVAILABLE' });
    expect((err as Error).message).toMatch(/^\/sys\/class\/gpio is read-only: mount it writable/);
  });

  it('rejects writes with E_GPIO while a fault is set', async () => {
    const gpio = new MemoryGpio();
    const pin = await gpio.output(4, 0);
    gpio.setFault(4, new Error('EIO'));
    await expect(pin.write(1)).rejects.toMatchObject({ code: 'E_GPIO' });
    gpio.setFault(4);
    await pin.write(1);
    expect(gpio.value(4)).toBe(1);
  });
});
