import { describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import type { SamplingConfig } from '../../src/config/config.js';
import type { Reading } from '../../src/event/reading.js';
import { silentLogger } from '../../src/log/logger.js';
import { Counters } from '../../src/metrics/counters.js';
import { Sampler } from '../../src/sampler/sampler.js';
import { SimulatedSensor } from '../../src/sensor/simulated-sensor.js';
import type { RawReading, Sensor } from '../../src/sensor/sensor.js';

const SAMPLING: SamplingConfig = {
  intervalMs: 2000,
  medianWindow: 1,
  maxTempRatePerMin: 10,
  maxHumRatePerMin: 30,
  stuckAfterMs: 3_600_000,
  warnAfterCycles: 3,
  powerCycleAfter: 3,
  powerOffMs: 1000,
  powerSettleMs: 500,
  simSeed: 1,
  simScript: null,
};

function setup(script: string, overrides: Partial<SamplingConfig> = {}, power?: { cycle: () => Promise<void> }) {
  const clock = new FakeClock();
  const counters = new Counters();
  const readings: Reading[] = [];
  const sensor = new SimulatedSensor({ name: 'attic', clock, seed: 7, script });
  const sampler = new Sampler({ sensor, config: { ...SAMPLING, ...overrides }, clock, logger: silentLogger(), counters, onReading: (r) => readings.push(r), power: power ?? null });
  return { clock, counters, readings, sensor, sampler };
}

async function cycles(sampler: Sampler, n: number, clock?: FakeClock) {
  for (let i = 0; i < n; i++) {
    await sampler.cycle();
    await clock?.advance(SAMPLING.intervalMs);
  }
}

describe('Sampler with the simulator', () => {
  it('turns good reads into readings with a fresh UUID each and the measurement time', async () => {
    const { sampler, readings, clock } = setup('');
    await sampler.cycle();
    expect(readings).toHaveLength(1);
    expect(readings[0]?.id).toMatch(/^[0-9a-f-]{36}$/);
    expect(readings[0]?.time).toBe(clock.now());
    await clock.advance(2000);
    await sampler.cycle();
    expect(new Set(readings.map((r) => r.id)).size).toBe(2);
  });

  it('never hands on a spike or an implausible value, and counts each by reason', async () => {
    const { sampler, readings, counters } = setup('ok*3,spike,ok*3,implausible,ok');
    await cycles(sampler, 9);
    expect(readings).toHaveLength(7);
    for (const r of readings) expect(r.temperature).toBeLessThan(30);
    expect(counters.get('readings_rejected_total', { sensor: 'attic', reason: 'spike' })).toBe(1);
    expect(counters.get('readings_rejected_total', { sensor: 'attic', reason: 'out_of_range' })).toBe(1);
  });

  it('survives a checksum burst and counts it', async () => {
    const { sampler, readings, counters } = setup('ok,checksum*4,timeout,ok*2');
    await cycles(sampler, 8);
    expect(readings).toHaveLength(3);
    expect(counters.get('readings_rejected_total', { sensor: 'attic', reason: 'checksum' })).toBe(4);
    expect(counters.get('readings_rejected_total', { sensor: 'attic', reason: 'timeout' })).toBe(1);
    expect(sampler.state.failedCycles).toBe(0);
  });

  it('flags a stuck sensor', async () => {
    const { sampler, counters, clock } = setup('ok,repeat*40', { stuckAfterMs: 10_000 });
    await cycles(sampler, 4, clock);
    expect(sampler.state.stuck).toBe(false);
    await cycles(sampler, 8, clock);
    expect(sampler.state.stuck).toBe(true);
    expect(counters.get('readings_rejected_total', { sensor: 'attic', reason: 'stuck' })).toBeGreaterThan(0);
  });

  it('keeps the model minimum spacing between reads even when asked to read now', async () => {
    const clock = new FakeClock();
    const times: number[] = [];
    const sensor: Sensor = {
      name: 's',
      model: 'DHT22',
      read: async (): Promise<RawReading> => {
        times.push(clock.now());
        return { temperature: 21, humidity: 45, takenAt: clock.now() };
      },
      close: async () => undefined,
    };
    const sampler = new Sampler({ sensor, config: { ...SAMPLING, intervalMs: 60_000 }, clock, logger: silentLogger(), counters: new Counters(), onReading: () => undefined });
    const stop = new AbortController();
    sampler.start(stop.signal);
    await clock.advance(0);
    sampler.readNow();
    await clock.advance(100);
    sampler.readNow();
    await clock.advance(5000);
    expect(times.length).toBeGreaterThanOrEqual(2);
    for (let i = 1; i < times.length; i++) expect((times[i] ?? 0) - (times[i - 1] ?? 0)).toBeGreaterThanOrEqual(2000);
    expect(sampler.setInterval(500)).toBe(2000);
    stop.abort();
    await clock.advance(60_000);
    await sampler.stopped();
  });

  it('power-cycles a sensor after N failed reads in a row', async () => {
    let cyclesDone = 0;
    const { sampler, counters, clock } = setup('timeout*5,ok*3', {}, { cycle: async () => void cyclesDone++ });
    const stop = new AbortController();
    sampler.start(stop.signal);
    for (let i = 0; i < 6; i++) await clock.advance(2000);
    expect(cyclesDone).toBe(1);
    expect(counters.get('power_cycles_total', { sensor: 'attic' })).toBe(1);
    stop.abort();
    await clock.advance(2000);
    await sampler.stopped();
  });
});
