// The node-dht-sensor backend against a stand-in addon: the real addon's test mode
// is global and sticky (DESIGN §7), so it stays out of the tests.
import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { DhtSensor } from '../../src/sensor/dht-sensor.js';

function fakeAddon(options: { init?: boolean; values?: Array<{ temperature: number; humidity: number } | Error> } = {}) {
  const calls: string[] = [];
  const values = [...(options.values ?? [])];
  return {
    calls,
    addon: {
      initialize: (type: number, pin: number) => {
        calls.push(`init ${type} ${pin}`);
        return options.init ?? true;
      },
      setMaxRetries: (n: number) => void calls.push(`retries ${n}`),
      promises: {
        read: async (type: number, pin: number) => {
          calls.push(`read ${type} ${pin}`);
          const next = values.shift() ?? { temperature: 21.5, humidity: 40.2 };
          if (next instanceof Error) throw next;
          return next;
        },
      },
    },
  };
}

describe('DhtSensor', () => {
  it('refuses a pin the addon must never see (>= 32 corrupts memory)', () => {
    const { addon, calls } = fakeAddon();
    expect(() => new DhtSensor({ name: 's', model: 'DHT22', pin: 40, clock: new FakeClock(), loadAddon: () => addon })).toThrow(/pin 40 is not a BCM GPIO pin 0-27/);
    expect(calls).toEqual([]);
  });

  it('initializes once with the model type (AM2302 is 22), sets bounded retries, reads', async () => {
    const { addon, calls } = fakeAddon();
    const sensor = new DhtSensor({ name: 's', model: 'AM2302', pin: 4, clock: new FakeClock(), loadAddon: () => addon, maxRetries: 2 });
    await expect(sensor.read()).resolves.toMatchObject({ temperature: 21.5, humidity: 40.2 });
    expect(calls).toEqual(['init 22 4', 'retries 2', 'read 22 4']);
  });

  it('never reads again before the model minimum (DHT22: 2 s)', async () => {
    const clock = new FakeClock();
    const { addon } = fakeAddon();
    const sensor = new DhtSensor({ name: 's', model: 'DHT22', pin: 4, clock, loadAddon: () => addon });
    const first = await sensor.read();
    const second = sensor.read();
    await clock.advance(1999);
    expect(clock.pendingSleeps).toBe(1);
    await clock.advance(1);
    expect((await second).takenAt - first.takenAt).toBe(2000);
  });

  it('classifies failures: no hardware, a failed read, a non-number, no addon', async () => {
    const clock = new FakeClock();
    const noGpio = new DhtSensor({ name: 's', model: 'DHT11', pin: 4, clock, loadAddon: () => fakeAddon({ init: false }).addon });
    await expect(noGpio.read()).rejects.toMatchObject({ code: 'E_SENSOR_INIT', message: expect.stringContaining('failed to initialize GPIO') as unknown });

    const failing = new DhtSensor({ name: 's', model: 'DHT11', pin: 4, clock, loadAddon: () => fakeAddon({ values: [new Error('failed to read sensor'), { temperature: NaN, humidity: 1 }] }).addon });
    await expect(failing.read()).rejects.toMatchObject({ code: 'E_SENSOR_READ' });
    await clock.advance(1000);
    await expect(failing.read()).rejects.toMatchObject({ code: 'E_SENSOR_IMPLAUSIBLE' });

    const absent = new DhtSensor({ name: 's', model: 'DHT22', pin: 4, clock, loadAddon: () => { throw new Error("Cannot find module 'node-dht-sensor'"); } });
    await expect(absent.read()).rejects.toMatchObject({ code: 'E_SENSOR_UNAVAILABLE', message: expect.stringContaining('SENSOR_TYPE=sim') as unknown });
  });
});
