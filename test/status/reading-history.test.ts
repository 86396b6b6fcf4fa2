import { describe, expect, it } from 'vitest';
import type { Reading } from '../../src/event/reading.js';
import { RingHistory } from '../../src/status/reading-history.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const BUCKET = 5 * MINUTE;
const START = Date.UTC(2026, 0, 1);

/** Temperature climbs linearly inside each 5-min bucket; humidity is the hour of the day. */
function valueAt(t: number): { temperature: number; humidity: number } {
  return { temperature: 20 + ((t % BUCKET) / BUCKET) * 10, humidity: 40 + new Date(t).getUTCHours() };
}

function feed(history: RingHistory, clock: { t: number }, sensor: string, from: number, to: number, everyMs: number): void {
  for (let t = from; t < to; t += everyMs) {
    clock.t = t;
    history.add({ id: `${sensor}-${t}`, sensor, time: t, ...valueAt(t) });
  }
}

describe('RingHistory', () => {
  it('holds a bounded number of points after 30 days of 2 s readings, with the right averages', () => {
    const clock = { t: START };
    const history = new RingHistory({ clock: { wallNow: () => clock.t } });
    let largest = 0;
    for (let day = 0; day < 30; day++) {
      feed(history, clock, 'living', START + day * DAY, START + (day + 1) * DAY, 2 * SECOND);
      largest = Math.max(largest, history.points('living').length);
    }
    const now = clock.t;
    const points = history.points('living');

    // Bounded, and flat: the count after day 2 is the count after day 30.
    expect(history.maxPointsPerSensor).toBeLessThanOrEqual(2000);
    expect(largest).toBeLessThanOrEqual(history.maxPointsPerSensor);
    expect(points.length).toBe(largest);
    expect(points.length).toBeLessThan(800);

    // The last 24 h, oldest first.
    expect(points[0]!.time).toBeGreaterThanOrEqual(now - DAY);
    expect(points[0]!.time).toBeLessThan(now - DAY + BUCKET);
    for (let i = 1; i < points.length; i++) expect(points[i]!.time).toBeGreaterThan(points[i - 1]!.time);

    // The newest 15 min are the raw readings themselves.
    const raw = points.filter((p) => !p.id.startsWith('avg:'));
    expect(raw).toEqual(points.slice(-raw.length));
    expect(raw.length).toBe((15 * MINUTE) / (2 * SECOND) + 1);
    expect(raw.at(-1)).toMatchObject({ id: `living-${now}`, time: now, ...valueAt(now) });
    expect(raw.every((r, i) => i === 0 || r.time - raw[i - 1]!.time === 2 * SECOND)).toBe(true);

    // Older ones: one point per 5-min bucket, 150 readings averaged.
    const averaged = points.slice(0, -raw.length);
    const full = averaged.slice(1, -1); // the first bucket is partly aged out, the last partly raw
    expect(full.length).toBeGreaterThan(280);
    for (const p of full) {
      const start = Math.floor(p.time / BUCKET) * BUCKET;
      expect(p.time).toBe(start + 149 * SECOND);
      expect(p.temperature).toBeCloseTo(20 + (149 / 2 / 150) * 10, 2);
      expect(p.humidity).toBe(40 + new Date(start).getUTCHours());
      expect(p.id).toMatch(/^avg:living:/);
    }
  });

  it('bounds a very fast sensor by count, not only by time', () => {
    const clock = { t: START };
    const history = new RingHistory({ clock: { wallNow: () => clock.t } });
    feed(history, clock, 'sim', START, START + 2 * HOUR, 50);
    const points = history.points('sim');
    expect(points.length).toBeLessThanOrEqual(history.maxPointsPerSensor);
    expect(points.slice(-600).every((r) => !r.id.startsWith('avg:'))).toBe(true);
    expect(points.at(-1)!.time).toBe(START + 2 * HOUR - 50);
  });

  it('keeps sensors apart and merges them by time when asked for all', () => {
    const clock = { t: START };
    const history = new RingHistory({ clock: { wallNow: () => clock.t } });
    for (let t = START; t < START + HOUR; t += 30 * SECOND) {
      clock.t = t;
      history.add({ id: `a${t}`, sensor: 'living', time: t, temperature: 21, humidity: 40 });
      history.add({ id: `b${t}`, sensor: 'attic', time: t + 1, temperature: 15, humidity: 60 });
    }
    expect(history.points('living').every((r) => r.temperature === 21)).toBe(true);
    expect(history.points('attic').every((r) => r.humidity === 60)).toBe(true);
    const all = history.points();
    expect(all.length).toBe(history.points('living').length + history.points('attic').length);
    expect(all.map((r) => r.time)).toEqual([...all.map((r) => r.time)].sort((a, b) => a - b));
    expect([...new Set(all.map((r) => r.sensor))].sort()).toEqual(['attic', 'living']);
  });

  it('ages out a sensor that went quiet, by the clock', () => {
    const clock = { t: START };
    const history = new RingHistory({ clock: { wallNow: () => clock.t } });
    feed(history, clock, 'attic', START, START + HOUR, 30 * SECOND);
    feed(history, clock, 'living', START + HOUR, START + 2 * HOUR, 30 * SECOND);
    clock.t = START + DAY + 90 * MINUTE;
    expect(history.points('attic')).toEqual([]);
    expect(history.points('living').length).toBeGreaterThan(0);
    history.add({ id: 'x', sensor: 'living', time: clock.t, temperature: 20, humidity: 50 });
    expect([...new Set(history.points().map((r) => r.sensor))]).toEqual(['living']);
  });

  it('files a late reading in time order', () => {
    const clock = { t: START + 10 * MINUTE };
    const history = new RingHistory({ clock: { wallNow: () => clock.t } });
    const r = (t: number): Reading => ({ id: String(t), sensor: 's', time: START + t, temperature: 20, humidity: 50 });
    history.add(r(3 * MINUTE));
    history.add(r(1 * MINUTE));
    history.add(r(2 * MINUTE));
    expect(history.points('s').map((p) => p.id)).toEqual([String(MINUTE), String(2 * MINUTE), String(3 * MINUTE)]);
  });
});
