// GPIO in memory, for tests: same contract as OnoffGpio (test/gpio/gpio-contract.mjs),
// plus a timestamped history of everything that happened to each pin.
import { systemClock, type Clock } from '../clock/clock.js';
import { TelemetryError } from '../errors.js';
import { assertBcm, gpioUnavailable, type Gpio, type GpioUnavailableReason, type Level, type OutputPin } from './gpio.js';

export interface GpioEvent {
  /** Clock time of the event, in ms. */
  at: number;
  bcm: number;
  sysfs: number;
  kind: 'export' | 'write' | 'release';
  /** The level after the event (export: the initial level). */
  value?: Level;
}

export interface MemoryGpioOptions {
  clock?: Clock;
  /** Chip base, as the kernel would have it (0 before 6.6, 512 from 6.6). Default 0. */
  base?: number;
  /** Lines on the chip. Default 54. */
  ngpio?: number;
  /** Make every output() fail the way OnoffGpio does on such a machine. */
  unavailable?: GpioUnavailableReason;
}

export class MemoryGpio implements Gpio {
  private readonly clock: Clock;
  private readonly base: number;
  private readonly ngpio: number;
  private readonly unavailable: GpioUnavailableReason | undefined;
  private readonly pins = new Map<number, MemoryPin>();
  private readonly faults = new Map<number, Error>();
  private readonly events: GpioEvent[] = [];

  constructor(options: MemoryGpioOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.base = options.base ?? 0;
    this.ngpio = options.ngpio ?? 54;
    this.unavailable = options.unavailable;
  }

  async output(bcm: number, initial: Level): Promise<OutputPin> {
    assertBcm(bcm);
    if (this.unavailable) throw gpioUnavailable(this.unavailable, 'MemoryGpio');
    if (bcm >= this.ngpio) throw gpioUnavailable('no-chip', `BCM ${bcm} is beyond the chip's ${this.ngpio} lines`);
    if (this.pins.has(bcm)) throw new TelemetryError('E_GPIO', `BCM ${bcm} is already claimed by this process`);
    const sysfs = this.base + bcm;
    const record = (kind: GpioEvent['kind'], value?: Level): void => {
      this.events.push({ at: this.clock.now(), bcm, sysfs, kind, value });
      if (kind === 'release') this.pins.delete(bcm);
    };
    const pin = new MemoryPin(bcm, sysfs, initial, { record, fault: () => this.faults.get(bcm) });
    this.pins.set(bcm, pin);
    record('export', initial);
    return pin;
  }

  /** Everything that happened, oldest first. */
  get history(): readonly GpioEvent[] {
    return this.events;
  }

  /** The levels `bcm` went through: its initial level, then every write. */
  levels(bcm: number): Level[] {
    return this.events.filter((e) => e.bcm === bcm && e.value !== undefined).map((e) => e.value as Level);
  }

  /** The current level of an exported pin, undefined when not exported. */
  value(bcm: number): Level | undefined {
    return this.pins.get(bcm)?.level;
  }

  /** Makes writes to `bcm` reject with `error` until called again without one. */
  setFault(bcm: number, error?: Error): void {
    if (error) this.faults.set(bcm, error);
    else this.faults.delete(bcm);
  }
}

interface PinHooks {
  record(kind: GpioEvent['kind'], value?: Level): void;
  fault(): Error | undefined;
}

class MemoryPin implements OutputPin {
  private released = false;

  constructor(
    readonly bcm: number,
    readonly sysfs: number,
    public level: Level,
    private readonly hooks: PinHooks,
  ) {}

  async write(value: Level): Promise<void> {
    this.assertHeld();
    const fault = this.hooks.fault();
    if (fault) {
      throw new TelemetryError('E_GPIO', `cannot write BCM ${this.bcm} (sysfs ${this.sysfs}): ${fault.message}`, {
        cause: fault,
      });
    }
    this.level = value;
    this.hooks.record('write', value);
  }

  async read(): Promise<Level> {
    this.assertHeld();
    return this.level;
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.hooks.record('release');
  }

  private assertHeld(): void {
    if (this.released) throw new TelemetryError('E_GPIO', `BCM ${this.bcm} was released`);
  }
}
