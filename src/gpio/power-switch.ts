// A sensor powered from a GPIO pin, so software can reset a hung DHT: off for
// `offMs` (its capacitor must drain), on again, then `settleMs` before the first
// read (a DHT22 needs about 1 s after power-up).
//
// Invariant: cycle() always ends with the power on, even when aborted mid-way;
// a stopping daemon must never leave the sensor unpowered.
import { sleepQuietly, type Clock } from '../clock/clock.js';
import type { Level, OutputPin } from './gpio.js';

export interface PowerSwitchOptions {
  offMs: number;
  settleMs: number;
  clock: Clock;
  /** true (default): the pin drives the supply high = on (a direct feed or a high-side switch). */
  activeHigh?: boolean;
}

/** The level that powers the sensor: export the pin with it so the sensor is on from the start. */
export function powerOnLevel(activeHigh = true): Level {
  return activeHigh ? 1 : 0;
}

export class PowerSwitch {
  private readonly on: Level;
  private readonly off: Level;
  private isPowered = true;
  private running: Promise<void> | undefined;

  /** `pin` must have been exported at powerOnLevel(activeHigh): the sensor starts powered. */
  constructor(
    private readonly pin: OutputPin,
    private readonly opts: PowerSwitchOptions,
  ) {
    this.on = powerOnLevel(opts.activeHigh ?? true);
    this.off = this.on === 1 ? 0 : 1;
  }

  get powered(): boolean {
    return this.isPowered;
  }

  /**
   * Off, wait offMs, on, wait settleMs. An abort shortens the waits (power still
   * comes back on) and does not throw; a failed pin write rejects with E_GPIO.
   * A call during a cycle joins it.
   */
  cycle(signal?: AbortSignal): Promise<void> {
    this.running ??= this.run(signal).finally(() => {
      this.running = undefined;
    });
    return this.running;
  }

  private async run(signal?: AbortSignal): Promise<void> {
    await this.pin.write(this.off);
    this.isPowered = false;
    await sleepQuietly(this.opts.clock, this.opts.offMs, signal);
    await this.pin.write(this.on);
    this.isPowered = true;
    await sleepQuietly(this.opts.clock, this.opts.settleMs, signal);
  }
}
