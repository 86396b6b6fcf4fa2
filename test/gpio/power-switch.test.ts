import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { MemoryGpio } from '../../src/gpio/memory-gpio.js';
import { PowerSwitch, powerOnLevel } from '../../src/gpio/power-switch.js';

async function setup(activeHigh = true) {
  const clock = new FakeClock(0);
  const gpio = new MemoryGpio({ clock });
  const pin = await gpio.output(22, powerOnLevel(activeHigh));
  const power = new PowerSwitch(pin, { offMs: 3_000, settleMs: 2_000, clock, activeHigh });
  return { clock, gpio, power };
}

describe('PowerSwitch', () => {
  it('switches off for offMs, on again, and returns after settleMs', async () => {
    const { clock, gpio, power } = await setup();
    let done = false;
    const cycling = power.cycle().then(() => (done = true));
    await clock.advance(0);
    expect(power.powered).toBe(false);
    expect(gpio.value(22)).toBe(0);

    await clock.advance(2_999);
    expect(gpio.value(22)).toBe(0);
    await clock.advance(1);
    expect(power.powered).toBe(true);
    expect(gpio.value(22)).toBe(1);
    expect(done).toBe(false);

    await clock.advance(2_000);
    await cycling;
    expect(done).toBe(true);
    expect(gpio.history.map((e) => [e.at, e.value])).toEqual([
      [0, 1],
      [0, 0],
      [3_000, 1],
    ]);
  });

  it('drives the pin low for on when the switch is active-low', async () => {
    const { clock, gpio, power } = await setup(false);
    const cycling = power.cycle();
    await clock.advance(0);
    await clock.advance(5_000);
    await cycling;
    expect(gpio.levels(22)).toEqual([0, 1, 0]);
    expect(power.powered).toBe(true);
  });

  it('turns the power back on when aborted while off, without throwing', async () => {
    const { clock, gpio, power } = await setup();
    const stop = new AbortController();
    const cycling = power.cycle(stop.signal);
    await clock.advance(1_000);
    stop.abort(new Error('stopping'));
    await cycling;
    expect(power.powered).toBe(true);
    expect(gpio.levels(22)).toEqual([1, 0, 1]);
  });

  it('joins a cycle already running instead of starting another', async () => {
    const { clock, gpio, power } = await setup();
    const first = power.cycle();
    const second = power.cycle();
    await clock.advance(0);
    await clock.advance(5_000);
    await Promise.all([first, second]);
    expect(gpio.levels(22)).toEqual([1, 0, 1]);
  });

  it('rejects with E_GPIO when the pin cannot be written', async () => {
    const { gpio, power } = await setup();
    gpio.setFault(22, new Error('EIO'));
    await expect(power.cycle()).rejects.toMatchObject({ code: 'E_GPIO' });
    expect(power.powered).toBe(true);
  });
});
