import { describe, expect, it } from 'vitest';
import { ReadingPolicy, type PolicyConfig } from '../../src/sampler/reading-policy.js';
import { MODEL_LIMITS } from '../../src/sensor/sensor.js';

const CONFIG: PolicyConfig = { medianWindow: 3, maxTempRatePerMin: 10, maxHumRatePerMin: 30, stuckAfterMs: 60_000 };
const raw = (temperature: number, humidity: number, takenAt: number) => ({ temperature, humidity, takenAt });

describe('ReadingPolicy', () => {
  it('rejects values outside the model range (DHT11 0..50 °C, 20..90 %RH)', () => {
    const policy = new ReadingPolicy(MODEL_LIMITS.DHT11, CONFIG);
    expect(policy.judge(raw(-1, 50, 0))).toMatchObject({ accepted: false, reason: 'out_of_range' });
    expect(policy.judge(raw(20, 95, 0))).toMatchObject({ accepted: false, reason: 'out_of_range' });
    expect(policy.judge(raw(20, 50, 0))).toMatchObject({ accepted: true });
  });

  it('holds a jump and drops it as a spike when the next read does not confirm it', () => {
    const policy = new ReadingPolicy(MODEL_LIMITS.DHT22, CONFIG);
    policy.judge(raw(21, 45, 0));
    expect(policy.judge(raw(46, 45, 2000))).toMatchObject({ accepted: false, reason: 'held' });
    const next = policy.judge(raw(21.1, 45, 4000));
    expect(next).toMatchObject({ accepted: true, droppedSpike: expect.stringContaining('46') as unknown });
    if (next.accepted) expect(next.temperature).toBeLessThan(22);
  });

  it('accepts a real step once the next read confirms it, and forgets the old level', () => {
    const policy = new ReadingPolicy(MODEL_LIMITS.DHT22, { ...CONFIG, medianWindow: 3 });
    policy.judge(raw(21, 45, 0));
    policy.judge(raw(21, 45, 2000));
    expect(policy.judge(raw(30, 45, 4000))).toMatchObject({ accepted: false, reason: 'held' });
    expect(policy.judge(raw(30.1, 45, 6000))).toMatchObject({ accepted: true, temperature: 30.1 });
  });

  it('allows changes within rate·Δt plus sensor noise', () => {
    const policy = new ReadingPolicy(MODEL_LIMITS.DHT22, { ...CONFIG, medianWindow: 1 });
    policy.judge(raw(21, 45, 0));
    expect(policy.judge(raw(21.9, 47, 2000))).toMatchObject({ accepted: true, temperature: 21.9 });
    expect(policy.judge(raw(26, 47, 62_000))).toMatchObject({ accepted: true, temperature: 26 });
  });

  it('sends the median of the last good reads', () => {
    const policy = new ReadingPolicy(MODEL_LIMITS.DHT22, CONFIG);
    policy.judge(raw(21.0, 45, 0));
    policy.judge(raw(21.8, 46, 2000));
    expect(policy.judge(raw(21.2, 44, 4000))).toMatchObject({ accepted: true, temperature: 21.2, humidity: 45 });
  });

  it('flags a sensor stuck on the same raw pair for too long, and clears when it moves', () => {
    const policy = new ReadingPolicy(MODEL_LIMITS.DHT22, CONFIG);
    for (let t = 0; t < 60_000; t += 2000) expect(policy.judge(raw(21, 45, t)).accepted).toBe(true);
    expect(policy.judge(raw(21, 45, 60_000))).toMatchObject({ accepted: false, reason: 'stuck' });
    expect(policy.stuck).toBe(true);
    expect(policy.judge(raw(21.1, 45, 62_000)).accepted).toBe(true);
    expect(policy.stuck).toBe(false);
  });
});
