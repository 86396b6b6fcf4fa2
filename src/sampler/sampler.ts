// One sampler per sensor: read on the interval, judge each read with the
// ReadingPolicy, hand trustworthy readings on, count every failure by reason,
// and power-cycle a sensor that keeps failing (when it has a power pin).
import type { Clock } from '../clock/clock.js';
import { wakeableSleep, wallTimeOf } from '../clock/clock.js';
import type { Stamp } from '../time/time-keeper.js';
import type { SamplingConfig } from '../config/config.js';
import { TelemetryError, errorMessage } from '../errors.js';
import { newEventId } from '../event/event-id.js';
import type { Reading } from '../event/reading.js';
import type { Logger } from '../log/logger.js';
import type { Counters } from '../metrics/counters.js';
import { MODEL_LIMITS, type Sensor } from '../sensor/sensor.js';
import { ReadingPolicy } from './reading-policy.js';

/** The part of src/gpio/power-switch.ts the sampler needs. */
export interface PowerCycler {
  cycle(signal?: AbortSignal): Promise<void>;
}

export interface SamplerOptions {
  sensor: Sensor;
  config: SamplingConfig;
  clock: Clock;
  logger: Logger;
  counters: Counters;
  onReading: (reading: Reading) => void;
  power?: PowerCycler | null;
  /**
   * The watchdog's heartbeat: called before each wait with how long the loop means to be
   * quiet (the time to its next read), so a long interval is never taken for a wedge.
   */
  onAlive?: (quietMs: number) => void;
  /** Stamps a reading taken at monotonic `mono` (src/time/time-keeper.ts); default the wall clock, no boot id. */
  stamp?: (mono: number) => Stamp;
}

export interface SamplerState {
  lastReading: Reading | null;
  lastReadAt: number | null;
  lastError: string | null;
  failedCycles: number;
  stuck: boolean;
  intervalMs: number;
}

const ERROR_REASON: Record<string, string> = {
  E_SENSOR_TIMEOUT: 'timeout',
  E_SENSOR_CHECKSUM: 'checksum',
  E_SENSOR_READ: 'read_error',
  E_SENSOR_IMPLAUSIBLE: 'implausible',
  E_SENSOR_INIT: 'init_failed',
  E_SENSOR_UNAVAILABLE: 'unavailable',
};

export class Sampler {
  readonly state: SamplerState;
  private readonly o: SamplerOptions;
  private readonly policy: ReadingPolicy;
  private readonly minIntervalMs: number;
  private failedReads = 0;
  private powerCycleRequested = false;
  private wakeNow: (() => void) | null = null;
  private loop: Promise<void> | null = null;

  constructor(options: SamplerOptions) {
    this.o = options;
    const limits = MODEL_LIMITS[options.sensor.model];
    this.minIntervalMs = limits.minIntervalMs;
    this.policy = new ReadingPolicy(limits, options.config);
    this.state = { lastReading: null, lastReadAt: null, lastError: null, failedCycles: 0, stuck: false, intervalMs: options.config.intervalMs };
  }

  get name(): string {
    return this.o.sensor.name;
  }

  start(signal: AbortSignal): void {
    this.loop = this.run(signal);
  }

  async stopped(): Promise<void> {
    await this.loop;
  }

  /** Changes the interval, never below the model's minimum spacing; returns the interval in force. */
  setInterval(ms: number): number {
    this.state.intervalMs = Math.max(ms, this.minIntervalMs, 10);
    this.wakeNow?.();
    return this.state.intervalMs;
  }

  /** Reads at once — but not before the model's minimum spacing since the last read. */
  readNow(): void {
    this.wakeNow?.();
  }

  /** Power-cycles the sensor between reads; false when it has no power pin. */
  requestPowerCycle(): boolean {
    if (!this.o.power) return false;
    this.powerCycleRequested = true;
    this.wakeNow?.();
    return true;
  }

  /** One cycle: read, judge, hand on. Exposed for `check` and `read`. */
  async cycle(signal?: AbortSignal): Promise<Reading | null> {
    const { sensor, clock, counters, logger } = this.o;
    const spacing = (this.state.lastReadAt ?? -Infinity) + this.minIntervalMs - clock.now();
    if (spacing > 0) await clock.sleep(spacing, signal);
    this.state.lastReadAt = clock.now();
    const labels = { sensor: sensor.name };
    let reading: Reading | null = null;
    try {
      const raw = await sensor.read(signal);
      this.failedReads = 0;
      const decision = this.policy.judge(raw);
      this.state.stuck = this.policy.stuck;
      if (decision.droppedSpike) this.reject('spike', decision.droppedSpike);
      if (decision.accepted) {
        const stamp = this.o.stamp?.(raw.takenAt) ?? { time: wallTimeOf(clock, raw.takenAt), mono: raw.takenAt, bootId: null };
        reading = { id: newEventId(), sensor: sensor.name, temperature: decision.temperature, humidity: decision.humidity, ...stamp };
        counters.inc('readings_total', labels);
      } else if (decision.reason === 'held') {
        this.state.lastError = decision.detail;
        logger.debug({ sensor: sensor.name, detail: decision.detail }, 'reading held until the next read confirms it');
      } else {
        this.reject(decision.reason, decision.detail);
      }
    } catch (err) {
      if (signal?.aborted) return null;
      const code = err instanceof TelemetryError ? err.code : 'unknown';
      this.failedReads++;
      this.reject(ERROR_REASON[code] ?? 'read_error', errorMessage(err));
    }
    this.afterCycle(reading);
    if (reading) this.o.onReading(reading);
    return reading;
  }

  private async run(signal: AbortSignal): Promise<void> {
    while (!signal.aborted) {
      const started = this.o.clock.now();
      if (this.powerCycleRequested) await this.powerCycle(signal, 'requested by a command');
      await this.cycle(signal);
      this.o.onAlive?.(0);
      if (this.o.power && this.failedReads >= this.o.config.powerCycleAfter) await this.powerCycle(signal, 'sensor keeps failing');
      await this.waitForNext(started, signal);
    }
  }

  private afterCycle(reading: Reading | null): void {
    const { logger, sensor, config } = this.o;
    if (reading) {
      if (this.state.failedCycles >= config.warnAfterCycles) logger.info({ sensor: sensor.name, failed_cycles: this.state.failedCycles }, 'trustworthy readings again');
      this.state.failedCycles = 0;
      this.state.lastError = null;
      this.state.lastReading = reading;
      return;
    }
    this.state.failedCycles++;
    const fields = { sensor: sensor.name, failed_cycles: this.state.failedCycles, reason: this.state.lastError };
    if (this.state.failedCycles === config.warnAfterCycles || (this.state.failedCycles > config.warnAfterCycles && this.state.failedCycles % (config.warnAfterCycles * 10) === 0)) {
      logger.warn(fields, 'no trustworthy reading for several cycles in a row');
    } else {
      logger.debug(fields, 'no trustworthy reading this cycle');
    }
  }

  private reject(reason: string, detail: string): void {
    this.state.lastError = `${reason}: ${detail}`;
    this.o.counters.inc('readings_rejected_total', { sensor: this.o.sensor.name, reason });
    this.o.logger.debug({ sensor: this.o.sensor.name, reason, detail }, 'reading rejected');
  }

  private async powerCycle(signal: AbortSignal, why: string): Promise<void> {
    const { logger, sensor, counters, config } = this.o;
    logger.warn({ sensor: sensor.name, failed_reads: this.failedReads, off_ms: config.powerOffMs, why }, 'power-cycling the sensor');
    counters.inc('power_cycles_total', { sensor: sensor.name });
    this.failedReads = 0;
    this.powerCycleRequested = false;
    try {
      await this.o.power?.cycle(signal);
    } catch (err) {
      logger.error({ sensor: sensor.name, err: errorMessage(err) }, 'power cycle failed');
    }
  }

  private async waitForNext(started: number, signal: AbortSignal): Promise<void> {
    const quietMs = Math.max(0, started + this.state.intervalMs - this.o.clock.now());
    this.o.onAlive?.(quietMs);
    const sleep = wakeableSleep(this.o.clock, quietMs, signal);
    this.wakeNow = sleep.wake;
    await sleep.done;
    this.wakeNow = null;
  }
}
