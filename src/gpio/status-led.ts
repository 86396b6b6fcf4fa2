// A status LED: a short blink for each delivered event, steady on after an error
// until the next delivery, or a mode set by hand.
//
// The LED is decoration: its methods return at once and never throw. One loop owns
// the pin, so writes never interleave; it writes only when the wanted level changes,
// and a failing pin is logged once per run of failures, not once per event.
import { sleepQuietly, type Clock } from '../clock/clock.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Level, OutputPin } from './gpio.js';

export const LED_MODES = ['on', 'off', 'blink'] as const;
export type LedMode = (typeof LED_MODES)[number];

export interface StatusLedOptions {
  logger?: Logger;
  /** Length of a blink, and of each half-period in 'blink' mode. Default 100 ms. */
  blinkMs?: number;
}

export class StatusLed {
  private readonly blinkMs: number;
  private readonly logger: Logger | undefined;
  private mode: LedMode = 'off';
  private modeSince: number;
  private flashUntil = 0;
  private written: Level | undefined;
  private failing = false;
  private errorShown = false;
  private closed = false;
  private wake = new AbortController();
  /** While the loop waits: when its wait ends on its own (Infinity: until a call). */
  private waitingUntil: number | undefined;
  private settledWaiters: (() => void)[] = [];
  private loopDone = false;
  private readonly loop: Promise<void>;

  constructor(
    private readonly pin: OutputPin,
    private readonly clock: Clock,
    options: StatusLedOptions = {},
  ) {
    this.blinkMs = options.blinkMs ?? 100;
    this.logger = options.logger;
    this.modeSince = clock.now();
    this.loop = this.run();
  }

  /** A short blink; also ends the steady light of error(). */
  delivered(): void {
    if (this.mode === 'on' && this.errorShown) this.mode = 'off';
    this.errorShown = false;
    this.flashUntil = this.clock.now() + this.blinkMs;
    this.changed();
  }

  /** Steady on until the next delivered(). */
  error(): void {
    this.setMode('on');
    this.errorShown = true;
    this.flashUntil = 0;
    this.changed();
  }

  set(mode: LedMode): void {
    this.setMode(mode);
    this.errorShown = false;
    this.changed();
  }

  /** Turns the LED off and stops; the pin stays exported (its owner releases it). */
  async close(): Promise<void> {
    this.closed = true;
    this.changed();
    await this.loop;
  }

  /** Resolves once the pin shows what the last call asked for (for tests). */
  settled(): Promise<void> {
    const idle =
      this.waitingUntil !== undefined && !this.wake.signal.aborted && this.clock.now() < this.waitingUntil;
    if (idle || this.loopDone) return Promise.resolve();
    return new Promise((resolve) => this.settledWaiters.push(resolve));
  }

  private setMode(mode: LedMode): void {
    this.mode = mode;
    this.modeSince = this.clock.now();
  }

  private changed(): void {
    this.wake.abort();
  }

  private async run(): Promise<void> {
    while (!this.closed) {
      const now = this.clock.now();
      const { level, nextChange } = this.wanted(now);
      await this.apply(level);
      if (this.closed || this.wake.signal.aborted) {
        this.wake = new AbortController();
        continue;
      }
      const signal = this.wake.signal;
      this.waitingUntil = nextChange ?? Infinity;
      this.releaseSettled();
      if (nextChange === undefined) await untilAborted(signal);
      else await sleepQuietly(this.clock, nextChange - now, signal);
      this.waitingUntil = undefined;
      if (signal.aborted) this.wake = new AbortController();
    }
    await this.apply(0);
    this.loopDone = true;
    this.releaseSettled();
  }

  private releaseSettled(): void {
    const waiters = this.settledWaiters;
    this.settledWaiters = [];
    for (const resolve of waiters) resolve();
  }

  /** A blink is a short change from the resting light: on, or off when the LED is steady on. */
  private wanted(now: number): { level: Level; nextChange?: number } {
    if (now < this.flashUntil) return { level: this.mode === 'on' ? 0 : 1, nextChange: this.flashUntil };
    return this.restingLevel(now);
  }

  private restingLevel(now: number): { level: Level; nextChange?: number } {
    if (this.mode === 'on') return { level: 1 };
    if (this.mode === 'off') return { level: 0 };
    const phase = Math.floor((now - this.modeSince) / this.blinkMs);
    return { level: phase % 2 === 0 ? 1 : 0, nextChange: this.modeSince + (phase + 1) * this.blinkMs };
  }

  private async apply(level: Level): Promise<void> {
    if (level === this.written) return;
    try {
      await this.pin.write(level);
      this.written = level;
      if (this.failing) this.logger?.info({ bcm: this.pin.bcm }, 'status LED works again');
      this.failing = false;
    } catch (err) {
      this.written = undefined;
      if (!this.failing) this.logger?.warn({ bcm: this.pin.bcm, err: errorMessage(err) }, 'status LED write failed');
      this.failing = true;
    }
  }
}

function untilAborted(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve();
    else signal.addEventListener('abort', () => resolve(), { once: true });
  });
}
