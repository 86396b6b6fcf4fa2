// GPIO outputs through sysfs with the onoff package.
//
// onoff is an optional dependency and is imported on first use, so the daemon
// runs where it is absent. onoff always talks to /sys/class/gpio and knows nothing
// of chip bases: we resolve BCM → sysfs numbers ourselves (sysfs-numbering.ts);
// `sysfsRoot` moves only that look-up (tests bind-mount a fake tree over
// /sys/class instead, see test/gpio/fake-sysfs.ts).
//
// onoff's constructor is synchronous: it writes `export`, then spins until the
// kernel (or udev) makes gpioN/value writable, then writes `direction`.
import { errorMessage, TelemetryError } from '../errors.js';
import { assertBcm, gpioUnavailable, type Gpio, type Level, type OutputPin } from './gpio.js';
import { bcmToSysfs, SYSFS_GPIO_ROOT } from './sysfs-numbering.js';

/** The part of onoff's Gpio class used here. */
export interface OnoffLine {
  write(value: Level): Promise<void>;
  read(): Promise<Level>;
  unexport(): void;
}

export interface OnoffModule {
  Gpio: new (gpio: number, direction: 'high' | 'low') => OnoffLine;
}

export interface OnoffGpioOptions {
  /** Where to read gpiochip* for numbering (default /sys/class/gpio). */
  sysfsRoot?: string;
  /** Loads onoff; replaceable so tests can play "not installed". */
  loadOnoff?: () => Promise<OnoffModule>;
}

export class OnoffGpio implements Gpio {
  private readonly sysfsRoot: string;
  private readonly loadOnoff: () => Promise<OnoffModule>;
  private onoff: Promise<OnoffModule> | undefined;
  private readonly held = new Set<number>();

  constructor(options: OnoffGpioOptions = {}) {
    this.sysfsRoot = options.sysfsRoot ?? SYSFS_GPIO_ROOT;
    this.loadOnoff = options.loadOnoff ?? importOnoff;
  }

  async output(bcm: number, initial: Level): Promise<OutputPin> {
    assertBcm(bcm);
    if (this.held.has(bcm)) throw new TelemetryError('E_GPIO', `BCM ${bcm} is already claimed by this process`);
    this.held.add(bcm);
    try {
      const sysfs = await bcmToSysfs(bcm, this.sysfsRoot);
      const line = await this.claim(bcm, sysfs, initial);
      return new OnoffPin(bcm, sysfs, line, () => this.held.delete(bcm));
    } catch (err) {
      this.held.delete(bcm);
      throw err;
    }
  }

  private async claim(bcm: number, sysfs: number, initial: Level): Promise<OnoffLine> {
    const { Gpio } = await this.module();
    let line: OnoffLine;
    try {
      line = new Gpio(sysfs, initial === 1 ? 'high' : 'low');
    } catch (err) {
      throw exportError(err, bcm, sysfs);
    }
    try {
      // The kernel already drove the level from direction=high/low, so this write is a
      // no-op on hardware; emulated trees (test/gpio/fake-sysfs.ts) only see `value`.
      await line.write(initial);
      return line;
    } catch (err) {
      unexportQuietly(line);
      throw new TelemetryError('E_GPIO', `cannot drive BCM ${bcm} (sysfs ${sysfs}): ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  private module(): Promise<OnoffModule> {
    this.onoff ??= this.loadOnoff().catch((err: unknown) => {
      this.onoff = undefined;
      throw gpioUnavailable('no-onoff', errorMessage(err), err);
    });
    return this.onoff;
  }
}

class OnoffPin implements OutputPin {
  private released = false;

  constructor(
    readonly bcm: number,
    readonly sysfs: number,
    private readonly line: OnoffLine,
    private readonly onRelease: () => void,
  ) {}

  async write(value: Level): Promise<void> {
    this.assertHeld();
    try {
      await this.line.write(value);
    } catch (err) {
      throw new TelemetryError('E_GPIO', `cannot write BCM ${this.bcm} (sysfs ${this.sysfs}): ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  async read(): Promise<Level> {
    this.assertHeld();
    try {
      return await this.line.read();
    } catch (err) {
      throw new TelemetryError('E_GPIO', `cannot read BCM ${this.bcm} (sysfs ${this.sysfs}): ${errorMessage(err)}`, {
        cause: err,
      });
    }
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    this.onRelease();
    unexportQuietly(this.line);
  }

  private assertHeld(): void {
    if (this.released) throw new TelemetryError('E_GPIO', `BCM ${this.bcm} was released`);
  }
}

async function importOnoff(): Promise<OnoffModule> {
  // A CommonJS module: named exports come through Node's static analysis, but keep
  // the default export as a fallback.
  const mod = (await import('onoff')) as Partial<OnoffModule> & { default?: Partial<OnoffModule> };
  const Gpio = mod.Gpio ?? mod.default?.Gpio;
  if (!Gpio) throw new Error('onoff has no Gpio export');
  return { Gpio };
}

function exportError(err: unknown, bcm: number, sysfs: number): TelemetryError {
  const { code, path } = err as NodeJS.ErrnoException;
  const where = `BCM ${bcm} = sysfs ${sysfs}`;
  const onExport = typeof path === 'string' && path.endsWith('/export');
  if (code === 'EROFS') return gpioUnavailable('read-only', where, err);
  if (onExport && (code === 'EACCES' || code === 'EPERM')) return gpioUnavailable('permission', where, err);
  if (onExport && code === 'ENOENT') return gpioUnavailable('missing', where, err);
  const why =
    code === 'EBUSY'
      ? 'in use by a kernel driver or another program'
      : code === 'EINVAL'
        ? 'the kernel refused the number'
        : errorMessage(err);
  return new TelemetryError('E_GPIO', `cannot export ${where}: ${why}`, { cause: err });
}

function unexportQuietly(line: OnoffLine): void {
  try {
    line.unexport();
  } catch {
    // already gone: nothing left to give back
  }
}
