// The GPIO boundary: output pins addressed by BCM number (the number printed on
// pinout charts), whatever the kernel calls them. Implementations: OnoffGpio
// (sysfs through onoff) and MemoryGpio (in memory, for tests).
import { TelemetryError } from '../errors.js';

export type Level = 0 | 1;

export interface OutputPin {
  /** The BCM number the pin was asked for. */
  readonly bcm: number;
  /** The kernel's sysfs number for it (BCM + the chip's base). */
  readonly sysfs: number;
  write(value: Level): Promise<void>;
  read(): Promise<Level>;
  /** Gives the line back to the kernel (unexport). Safe to call twice. */
  release(): Promise<void>;
}

export interface Gpio {
  /**
   * Claims `bcm` as an output driven to `initial` from the start (no glitch).
   * Rejects with E_GPIO_UNAVAILABLE when this machine has no usable GPIO (the caller
   * logs it once and goes on without the pin), E_GPIO for anything else.
   */
  output(bcm: number, initial: Level): Promise<OutputPin>;
}

export type GpioUnavailableReason = 'read-only' | 'missing' | 'permission' | 'no-onoff' | 'no-chip';

const WITHOUT_PINS = 'or run without power/LED pins';

/** The one error every Gpio throws when GPIO cannot work here, with the fix in its message. */
export function gpioUnavailable(reason: GpioUnavailableReason, detail?: string, cause?: unknown): TelemetryError {
  const messages: Record<GpioUnavailableReason, string> = {
    'read-only':
      '/sys/class/gpio is read-only: mount it writable in the container ' +
      `(podman run -v /sys:/sys:rw, as root) ${WITHOUT_PINS}`,
    missing:
      '/sys/class/gpio is missing: the kernel has no GPIO sysfs (CONFIG_GPIO_SYSFS) ' +
      `or /sys is not mounted ${WITHOUT_PINS}`,
    permission:
      '/sys/class/gpio is not writable by this user: run as root or give the gpio group ' +
      `write access (udev rule) ${WITHOUT_PINS}`,
    'no-onoff': `the optional package onoff cannot be loaded: install it (with its native epoll addon) ${WITHOUT_PINS}`,
    'no-chip': `no Raspberry Pi GPIO controller among the kernel's GPIO chips: use a Raspberry Pi ${WITHOUT_PINS}`,
  };
  const message = detail ? `${messages[reason]} (${detail})` : messages[reason];
  return new TelemetryError('E_GPIO_UNAVAILABLE', message, cause === undefined ? undefined : { cause });
}

/** BCM numbers are small non-negative integers; anything else is a caller's bug. */
export function assertBcm(bcm: number): void {
  if (!Number.isInteger(bcm) || bcm < 0) {
    throw new TelemetryError('E_GPIO', `not a BCM GPIO number: ${String(bcm)}`);
  }
}
