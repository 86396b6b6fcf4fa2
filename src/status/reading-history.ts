// The live page's memory of the last 24 h, bounded so it stays flat over weeks.
//
// Per sensor: the newest readings are kept raw (at most `rawWindowMs` back and at most
// `maxRawPoints`); older ones are folded, oldest first, into `bucketMs`-wide buckets
// aligned to the epoch, each one averaged point (mean temperature, humidity and time).
// Buckets older than `windowMs` are dropped, measured against the wall clock (the chart
// shows dates; its points are placed by their wall stamps), so a sensor
// that went quiet ages out too. Bound per sensor: maxRawPoints + windowMs / bucketMs + 1
// points (600 + 289 with the defaults), whatever the interval.
import { systemClock, type Clock } from '../clock/clock.js';
import type { Reading } from '../event/reading.js';
import type { ReadingHistory } from './snapshot.js';

export interface RingHistoryOptions {
  /** How far back points are kept; default 24 h. */
  windowMs?: number;
  /** Width of an averaged point; default 5 min. */
  bucketMs?: number;
  /** The newest readings stay raw for this long; default 15 min. */
  rawWindowMs?: number;
  /** ...and at most this many of them (a fast interval folds sooner); default 600. */
  maxRawPoints?: number;
  /** Ages points out; only `wallNow()` is used. Default the system clock. */
  clock?: Pick<Clock, 'wallNow'>;
}

interface Bucket {
  start: number;
  n: number;
  sumTemperature: number;
  sumHumidity: number;
  sumTime: number;
  sumMono: number;
}

interface Series {
  /** Oldest first. */
  raw: Reading[];
  /** Oldest first, starts strictly increasing. */
  buckets: Bucket[];
}

export class RingHistory implements ReadingHistory {
  readonly windowMs: number;
  readonly bucketMs: number;
  readonly rawWindowMs: number;
  readonly maxRawPoints: number;
  private readonly clock: Pick<Clock, 'wallNow'>;
  private readonly series = new Map<string, Series>();

  constructor(options: RingHistoryOptions = {}) {
    this.windowMs = options.windowMs ?? 24 * 3_600_000;
    this.bucketMs = options.bucketMs ?? 5 * 60_000;
    this.rawWindowMs = options.rawWindowMs ?? 15 * 60_000;
    this.maxRawPoints = Math.max(1, options.maxRawPoints ?? 600);
    this.clock = options.clock ?? systemClock;
  }

  /** The most points one sensor can hold. */
  get maxPointsPerSensor(): number {
    return this.maxRawPoints + Math.ceil(this.windowMs / this.bucketMs) + 1;
  }

  add(reading: Reading): void {
    let series = this.series.get(reading.sensor);
    if (!series) {
      series = { raw: [], buckets: [] };
      this.series.set(reading.sensor, series);
    }
    insertByTime(series.raw, { ...reading });
    const newest = series.raw[series.raw.length - 1]?.time ?? reading.time;
    while (series.raw.length > 0 && (series.raw.length > this.maxRawPoints || (series.raw[0]?.time ?? newest) < newest - this.rawWindowMs)) {
      const oldest = series.raw.shift();
      if (oldest) this.fold(series, oldest);
    }
    this.evict(this.clock.wallNow() - this.windowMs);
  }

  /** Newest last; one sensor's points, or every sensor's merged by time. */
  points(sensor?: string): Reading[] {
    const cutoff = this.clock.wallNow() - this.windowMs;
    const names = sensor === undefined ? [...this.series.keys()] : [sensor];
    const out: Reading[] = [];
    for (const name of names) {
      const series = this.series.get(name);
      if (!series) continue;
      for (const b of series.buckets) {
        const time = Math.round(b.sumTime / b.n);
        if (time >= cutoff) out.push({ id: `avg:${name}:${b.start}`, sensor: name, temperature: round2(b.sumTemperature / b.n), humidity: round2(b.sumHumidity / b.n), time, mono: Math.round(b.sumMono / b.n), bootId: null });
      }
      for (const r of series.raw) if (r.time >= cutoff) out.push({ ...r });
    }
    if (names.length > 1) out.sort((a, b) => a.time - b.time);
    return out;
  }

  private fold(series: Series, r: Reading): void {
    const start = Math.floor(r.time / this.bucketMs) * this.bucketMs;
    const { buckets } = series;
    // Readings come in time order, so the bucket is nearly always the last one.
    let i = buckets.length - 1;
    while (i >= 0 && (buckets[i]?.start ?? -Infinity) > start) i--;
    let bucket = buckets[i];
    if (!bucket || bucket.start !== start) {
      bucket = { start, n: 0, sumTemperature: 0, sumHumidity: 0, sumTime: 0, sumMono: 0 };
      buckets.splice(i + 1, 0, bucket);
    }
    bucket.n++;
    bucket.sumTemperature += r.temperature;
    bucket.sumHumidity += r.humidity;
    bucket.sumTime += r.time;
    bucket.sumMono += r.mono ?? 0;
  }

  private evict(cutoff: number): void {
    for (const [name, series] of this.series) {
      let drop = 0;
      while (drop < series.buckets.length && (series.buckets[drop]?.start ?? 0) + this.bucketMs <= cutoff) drop++;
      if (drop > 0) series.buckets.splice(0, drop);
      while (series.raw.length > 0 && (series.raw[0]?.time ?? 0) < cutoff) series.raw.shift();
      if (series.raw.length === 0 && series.buckets.length === 0) this.series.delete(name);
    }
  }
}

function insertByTime(list: Reading[], r: Reading): void {
  let i = list.length;
  while (i > 0 && (list[i - 1]?.time ?? -Infinity) > r.time) i--;
  list.splice(i, 0, r);
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
