// Decides whether a raw read can be trusted. DHT parts return the previous
// measurement, spike, and freeze on one value; this is where that is caught,
// never in the backends. Rules, in order:
//   range   outside the model's physical range (datasheet)         → reject
//   stuck   the same raw pair for `stuckAfterMs`                   → reject (flagged)
//   spike   a jump beyond rate·Δt + noise from the last good value → held; the next read
//           confirms it (a real step) or it is dropped as a spike
//   median  what is sent is the median of the last `medianWindow` good values
import type { SamplingConfig } from '../config/config.js';
import type { ModelLimits, RawReading } from '../sensor/sensor.js';

export type RejectReason = 'out_of_range' | 'stuck';

/** `droppedSpike` describes a held value that this read showed to be a spike. */
export type PolicyDecision =
  | { accepted: true; temperature: number; humidity: number; droppedSpike: string | null }
  | { accepted: false; reason: RejectReason | 'held'; detail: string; droppedSpike?: string | null };

/** Below these a change is sensor noise, whatever the rate (DHT22: ±0.5 °C, ±2 %RH). */
const NOISE = { temperature: 1.0, humidity: 3.0 };

export type PolicyConfig = Pick<SamplingConfig, 'medianWindow' | 'maxTempRatePerMin' | 'maxHumRatePerMin' | 'stuckAfterMs'>;

export class ReadingPolicy {
  private readonly window: RawReading[] = [];
  private held: RawReading | null = null;
  private sameSince: number | null = null;
  private lastRaw: RawReading | null = null;
  private stuckFlag = false;

  constructor(
    private readonly limits: ModelLimits,
    private readonly config: PolicyConfig,
  ) {}

  get stuck(): boolean {
    return this.stuckFlag;
  }

  judge(raw: RawReading): PolicyDecision {
    const { temperature: t, humidity: h } = raw;
    const { temperature: tl, humidity: hl } = this.limits;
    if (t < tl.min || t > tl.max || h < hl.min || h > hl.max) {
      return { accepted: false, reason: 'out_of_range', detail: `${t} °C / ${h} %RH outside ${tl.min}..${tl.max} °C, ${hl.min}..${hl.max} %RH` };
    }
    if (this.isStuck(raw)) return { accepted: false, reason: 'stuck', detail: `${t} °C / ${h} %RH unchanged for ${Math.round((raw.takenAt - (this.sameSince ?? raw.takenAt)) / 1000)} s` };

    let droppedSpike: string | null = null;
    if (this.held) {
      const held = this.held;
      this.held = null;
      if (!this.isJump(held, raw)) {
        // The next read agrees with the held one: a real step, so the old level is history.
        this.window.length = 0;
        this.window.push(held);
        return this.accept(raw, null);
      }
      droppedSpike = `${held.temperature} °C / ${held.humidity} %RH not confirmed by the next read`;
    }
    const last = this.window.at(-1);
    if (last && this.isJump(last, raw)) {
      this.held = raw;
      return { accepted: false, reason: 'held', detail: `jump from ${last.temperature} °C / ${last.humidity} %RH to ${t} °C / ${h} %RH held for confirmation`, droppedSpike };
    }
    return this.accept(raw, droppedSpike);
  }

  private accept(raw: RawReading, droppedSpike: string | null): PolicyDecision {
    this.window.push(raw);
    while (this.window.length > this.config.medianWindow) this.window.shift();
    const temperature = median(this.window.map((r) => r.temperature));
    const humidity = median(this.window.map((r) => r.humidity));
    return { accepted: true, temperature, humidity, droppedSpike };
  }

  private isJump(from: RawReading, to: RawReading): boolean {
    const minutes = Math.max(0, to.takenAt - from.takenAt) / 60_000;
    return (
      Math.abs(to.temperature - from.temperature) > this.config.maxTempRatePerMin * minutes + NOISE.temperature ||
      Math.abs(to.humidity - from.humidity) > this.config.maxHumRatePerMin * minutes + NOISE.humidity
    );
  }

  private isStuck(raw: RawReading): boolean {
    const same = this.lastRaw !== null && this.lastRaw.temperature === raw.temperature && this.lastRaw.humidity === raw.humidity;
    if (!same) this.sameSince = raw.takenAt;
    this.lastRaw = raw;
    this.stuckFlag = same && raw.takenAt - (this.sameSince ?? raw.takenAt) >= this.config.stuckAfterMs;
    return this.stuckFlag;
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  const value = sorted.length % 2 === 1 ? (sorted[mid] ?? NaN) : ((sorted[mid - 1] ?? NaN) + (sorted[mid] ?? NaN)) / 2;
  return Math.round(value * 10) / 10;
}
