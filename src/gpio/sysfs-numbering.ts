// BCM number → sysfs GPIO number.
//
// sysfs numbers are global: line N of a chip is `base + N`. Raspberry Pi kernels
// up to 6.1 gave the main controller base 0, from 6.6 every chip gets a dynamic
// base of 512 and up (Pi 4: pinctrl-bcm2711 at 512, so BCM 17 is 529; Pi 5: the
// header is on the RP1, pinctrl-rp1 at 571, so BCM 17 is 588).
// See https://github.com/raspberrypi/linux/pull/5638 and the chip lists in
// https://github.com/WiringPi/WiringPi/issues/280.
//
// Chip rule: the header's BCM lines belong to the chip whose `label` is the Pi's
// pin controller. Pi 5 also has gpio-brcmstb chips (the SoC's own lines) and every
// Pi has expander chips (raspberrypi-exp-gpio): those are never the header, so the
// label decides, not the lowest base and not the directory name. Labels are tried
// in PI_CONTROLLER_LABELS order (pinctrl-rp1 first: on a Pi 5 the header is on
// the RP1, not on the SoC). Two chips with the same label: the lower base.
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { gpioUnavailable } from './gpio.js';

export const SYSFS_GPIO_ROOT = '/sys/class/gpio';

export const PI_CONTROLLER_LABELS = [
  'pinctrl-rp1', // Pi 5
  'pinctrl-bcm2711', // Pi 4, Pi 400, CM4
  'pinctrl-bcm2835', // Pi 1, 2, 3, Zero (bcm2835/6/7 share the driver)
] as const;

export interface GpioChip {
  /** Directory name, e.g. `gpiochip512`. */
  name: string;
  base: number;
  ngpio: number;
  label: string;
}

/** Reads every gpiochip* under `root`; chips whose files cannot be read are left out. */
export async function readGpioChips(root = SYSFS_GPIO_ROOT): Promise<GpioChip[]> {
  let entries: string[];
  try {
    entries = await readdir(root);
  } catch (err) {
    throw gpioUnavailable('missing', `${root}: ${(err as NodeJS.ErrnoException).code ?? 'unreadable'}`, err);
  }
  const chips: GpioChip[] = [];
  for (const name of entries.filter((e) => e.startsWith('gpiochip')).sort()) {
    try {
      const [base, ngpio, label] = await Promise.all(
        ['base', 'ngpio', 'label'].map((f) => readFile(path.join(root, name, f), 'utf8')),
      );
      const chip = { name, base: Number(base?.trim()), ngpio: Number(ngpio?.trim()), label: label?.trim() ?? '' };
      if (Number.isInteger(chip.base) && Number.isInteger(chip.ngpio)) chips.push(chip);
    } catch {
      // half-registered or foreign entry: not a chip we can use
    }
  }
  return chips;
}

/** The chip that carries the Pi's header lines, by the rule in the header comment. */
export function piHeaderChip(chips: readonly GpioChip[]): GpioChip {
  for (const label of PI_CONTROLLER_LABELS) {
    const found = chips.filter((c) => c.label === label).sort((a, b) => a.base - b.base)[0];
    if (found) return found;
  }
  const seen = chips.length ? chips.map((c) => `${c.name} "${c.label}"`).join(', ') : 'no gpiochip at all';
  throw gpioUnavailable('no-chip', `found ${seen}; expected a label among ${PI_CONTROLLER_LABELS.join(', ')}`);
}

/** The sysfs number of header line `bcm` on `chip`. */
export function sysfsNumber(chip: GpioChip, bcm: number): number {
  if (bcm >= chip.ngpio) {
    throw gpioUnavailable('no-chip', `BCM ${bcm} is beyond ${chip.label}'s ${chip.ngpio} lines`);
  }
  return chip.base + bcm;
}

/** Reads the chips under `root` and resolves `bcm` (BCM 17 → 529 on a 6.6+ Pi 4 kernel). */
export async function bcmToSysfs(bcm: number, root = SYSFS_GPIO_ROOT): Promise<number> {
  return sysfsNumber(piHeaderChip(await readGpioChips(root)), bcm);
}
