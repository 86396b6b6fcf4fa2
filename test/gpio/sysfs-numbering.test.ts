import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { bcmToSysfs, readGpioChips } from '../../src/gpio/sysfs-numbering.js';
import { PI4_CHIPS, PI4_LEGACY_CHIPS, PI5_CHIPS, type FakeChip } from './fake-sysfs.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'gpio-numbering-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** A /sys/class/gpio with these chips (plain files: numbering only reads). */
async function tree(chips: readonly FakeChip[]): Promise<string> {
  const root = path.join(dir, 'gpio');
  await mkdir(root);
  await writeFile(path.join(root, 'export'), '');
  for (const chip of chips) {
    const chipDir = path.join(root, `gpiochip${chip.base}`);
    await mkdir(chipDir);
    await writeFile(path.join(chipDir, 'base'), `${chip.base}\n`);
    await writeFile(path.join(chipDir, 'ngpio'), `${chip.ngpio}\n`);
    await writeFile(path.join(chipDir, 'label'), `${chip.label}\n`);
  }
  return root;
}

describe('BCM to sysfs numbering', () => {
  it('uses the BCM number itself on kernels before 6.6 (base 0)', async () => {
    const root = await tree(PI4_LEGACY_CHIPS);
    expect(await bcmToSysfs(17, root)).toBe(17);
    expect(await bcmToSysfs(4, root)).toBe(4);
  });

  it('maps BCM 17 to 529 on a 6.6+ Pi 4 kernel (base 512)', async () => {
    const root = await tree(PI4_CHIPS);
    expect(await bcmToSysfs(17, root)).toBe(529);
    expect(await bcmToSysfs(0, root)).toBe(512);
  });

  it('picks the RP1 among the Pi 5 chips, not the lowest base', async () => {
    const root = await tree(PI5_CHIPS);
    expect(await bcmToSysfs(17, root)).toBe(588);
  });

  it('goes by the label, not the directory name or the order of the chips', async () => {
    const root = await tree([
      { base: 0, ngpio: 8, label: 'raspberrypi-exp-gpio' },
      { base: 100, ngpio: 54, label: 'pinctrl-bcm2835' },
    ]);
    expect(await bcmToSysfs(17, root)).toBe(117);
  });

  it('reads base, ngpio and label of every chip, skipping broken entries', async () => {
    const root = await tree(PI4_CHIPS);
    await mkdir(path.join(root, 'gpiochip999'));
    expect(await readGpioChips(root)).toEqual([
      { name: 'gpiochip512', base: 512, ngpio: 58, label: 'pinctrl-bcm2711' },
      { name: 'gpiochip570', base: 570, ngpio: 8, label: 'raspberrypi-exp-gpio' },
    ]);
  });

  it('refuses a machine without a Pi controller, naming what it found', async () => {
    const root = await tree([{ base: 0, ngpio: 32, label: 'gpio-mockup-A' }]);
    const err = await bcmToSysfs(17, root).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_GPIO_UNAVAILABLE' });
    expect((err as Error).message).toContain('gpiochip0 "gpio-mockup-A"');
  });

  it('refuses a line beyond the chip', async () => {
    const root = await tree(PI4_CHIPS);
    await expect(bcmToSysfs(58, root)).rejects.toMatchObject({ code: 'E_GPIO_UNAVAILABLE' });
  });

  it('says /sys/class/gpio is missing when the directory is not there', async () => {
    const err = await bcmToSysfs(17, path.join(dir, 'nowhere')).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_GPIO_UNAVAILABLE' });
    expect((err as Error).message).toMatch(/^\/sys\/class\/gpio is missing/);
  });
});
