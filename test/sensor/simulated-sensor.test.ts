import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { SensorError } from '../../src/errors.js';
import { SimulatedSensor, parseSimScript } from '../../src/sensor/simulated-sensor.js';

describe('SimulatedSensor', () => {
  it('gives plausible, slowly drifting values, the same for the same seed', async () => {
    const clock = new FakeClock();
    const a = new SimulatedSensor({ name: 'a', clock, seed: 42 });
    const b = new SimulatedSensor({ name: 'b', clock, seed: 42 });
    const ra = [];
    for (let i = 0; i < 200; i++) ra.push(await a.read());
    for (let i = 0; i < 200; i++) expect(await b.read()).toEqual(ra[i]);
    for (let i = 1; i < ra.length; i++) {
      expect(Math.abs((ra[i]?.temperature ?? 0) - (ra[i - 1]?.temperature ?? 0))).toBeLessThanOrEqual(0.2);
      expect(ra[i]?.temperature).toBeGreaterThan(10);
      expect(ra[i]?.temperature).toBeLessThan(35);
    }
  });

  it('plays its failure script, then is healthy', async () => {
    const sensor = new SimulatedSensor({ name: 's', clock: new FakeClock(), script: 'timeout,checksum*2,ok' });
    await expect(sensor.read()).rejects.toMatchObject({ code: 'E_SENSOR_TIMEOUT' });
    await expect(sensor.read()).rejects.toMatchObject({ code: 'E_SENSOR_CHECKSUM' });
    await expect(sensor.read()).rejects.toBeInstanceOf(SensorError);
    await expect(sensor.read()).resolves.toHaveProperty('temperature');
    await expect(sensor.read()).resolves.toHaveProperty('temperature');
  });

  it('hangs until its power goes off, then recovers', async () => {
    let powered = true;
    const sensor = new SimulatedSensor({ name: 's', clock: new FakeClock(), script: 'hang', power: async () => powered, powerPollMs: 5 });
    await expect(sensor.read()).rejects.toMatchObject({ code: 'E_SENSOR_TIMEOUT' });
    await expect(sensor.read()).rejects.toMatchObject({ code: 'E_SENSOR_TIMEOUT' });
    powered = false;
    for (let i = 0; i < 100 && sensor.isHung; i++) await new Promise((r) => setTimeout(r, 5));
    expect(sensor.isHung).toBe(false);
    await expect(sensor.read()).rejects.toThrow(/unpowered/);
    powered = true;
    await expect(sensor.read()).resolves.toHaveProperty('humidity');
    await sensor.close();
  });

  it('rejects an unknown script step with what would be right', () => {
    expect(() => parseSimScript('ok,boom')).toThrow(/"boom" is not a simulator step \(expected ok, timeout/);
  });
});
