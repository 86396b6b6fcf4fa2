// The real OnoffGpio. Outside a namespace: what a machine without GPIO gets. Inside
// one (fake-sysfs.ts): real onoff driving a fake kernel tree over /sys/class.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { OnoffGpio } from '../../src/gpio/onoff-gpio.js';
import { DIST_DIR, FakeSysfs, FIXTURES_DIR, namespaceSupport, PI4_CHIPS, PI5_CHIPS } from './fake-sysfs.js';

describe('OnoffGpio without usable GPIO', () => {
  let dir: string | undefined;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('says /sys/class/gpio is missing', async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), 'onoff-missing-'));
    const gpio = new OnoffGpio({ sysfsRoot: path.join(dir, 'gpio') });
    const err = await gpio.output(17, 0).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_GPIO_UNAVAILABLE' });
    expect((err as Error).message).toMatch(/^\/sys\/class\/gpio is missing/);
  });

  it('says onoff cannot be loaded when it is absent', async () => {
    const fake = await FakeSysfs.create({ chips: PI4_CHIPS, readOnly: true });
    try {
      const gpio = new OnoffGpio({
        sysfsRoot: fake.gpioDir,
        loadOnoff: () => Promise.reject(new Error("Cannot find package 'onoff'")),
      });
      const err = await gpio.output(17, 0).catch((e: unknown) => e);
      expect(err).toMatchObject({ code: 'E_GPIO_UNAVAILABLE' });
      expect((err as Error).message).toMatch(/onoff cannot be loaded.*Cannot find package 'onoff'/);
    } finally {
      await fake.close();
    }
  });
});

const ns = namespaceSupport();
if (!ns.ok) console.warn(`[gpio HIL] skipping the mount-namespace tests: ${ns.reason}`);
const inNamespace = ns.ok ? 'in a mount namespace' : `in a mount namespace (SKIPPED: ${ns.reason})`;

describe.skipIf(!ns.ok)(`OnoffGpio over a fake sysfs tree, ${inNamespace}`, () => {
  let sysfs: FakeSysfs | undefined;

  afterEach(async () => {
    await sysfs?.close();
    sysfs = undefined;
  });

  function fixture(name: string): string {
    if (!existsSync(path.join(DIST_DIR, 'gpio', 'onoff-gpio.js'))) {
      throw new Error('dist/ is missing: run `npm run build` first (`npm test` does)');
    }
    return path.join(FIXTURES_DIR, name);
  }

  it('exports BCM 17 as 529 through the kernel, drives it, and unexports it', async () => {
    sysfs = await FakeSysfs.create({ chips: PI4_CHIPS });
    const child = sysfs.spawn([process.execPath, fixture('onoff-export.mjs'), '17', '1']);
    expect(await child.nextJson()).toEqual({ step: 'exported', sysfs: 529, read: 1 });
    expect(sysfs.isExported(529)).toBe(true);
    expect(sysfs.value(529)).toBe(1);
    expect(sysfs.direction(529)).toBe('out');
    child.send('next');
    expect(await child.nextJson()).toEqual({ released: true });
    await child.waitForExit();
    await sysfs.waitFor(() => !sysfs!.isExported(529), 'gpio529 to be unexported');
    expect(sysfs.events).toEqual([
      { kind: 'export', gpio: 529 },
      { kind: 'unexport', gpio: 529 },
    ]);
  });

  it('keeps the Gpio contract (the one MemoryGpio keeps)', async () => {
    sysfs = await FakeSysfs.create({ chips: PI5_CHIPS });
    const child = sysfs.spawn([process.execPath, fixture('gpio-contract-child.mjs'), '17', '588']);
    expect(await child.nextJson()).toEqual({ contract: 'passed' });
    await child.waitForExit();
  });

  it('power-cycles: the power pin value file goes 1, 0, 1', async () => {
    sysfs = await FakeSysfs.create({ chips: PI4_CHIPS });
    const child = sysfs.spawn([process.execPath, fixture('onoff-power-cycle.mjs'), '22']);
    const seen: [string, unknown, 0 | 1 | undefined][] = [];
    for (let step = 0; step < 3; step++) {
      const msg = await child.nextJson<{ step: string; powered: boolean }>();
      seen.push([msg.step, msg.powered, sysfs.value(534)]);
      child.send('next');
    }
    expect(seen).toEqual([
      ['exported', true, 1],
      ['off', false, 0],
      ['on', true, 1],
    ]);
    expect(await child.nextJson()).toEqual({ released: true });
    await child.waitForExit();
  });

  it('toggles the LED value file on delivered(), and holds it on error()', async () => {
    sysfs = await FakeSysfs.create({ chips: PI4_CHIPS });
    const child = sysfs.spawn([process.execPath, fixture('onoff-status-led.mjs'), '27']);
    const seen: [string, 0 | 1 | undefined][] = [];
    for (let step = 0; step < 6; step++) {
      const msg = await child.nextJson<{ step: string }>();
      seen.push([msg.step, sysfs.value(539)]);
      child.send('next');
    }
    expect(seen).toEqual([
      ['idle', 0],
      ['blink', 1],
      ['after-blink', 0],
      ['error', 1],
      ['delivered-after-error', 1],
      ['after-second-blink', 0],
    ]);
    expect(await child.nextJson()).toEqual({ released: true });
    await child.waitForExit();
  });

  it('reports a read-only /sys/class/gpio clearly, as E_GPIO_UNAVAILABLE', async () => {
    sysfs = await FakeSysfs.create({ chips: PI4_CHIPS, readOnly: true });
    const child = sysfs.spawn([process.execPath, fixture('onoff-export.mjs'), '17', '0']);
    const { error } = await child.nextJson<{ error: { code: string; message: string } }>();
    expect(error.code).toBe('E_GPIO_UNAVAILABLE');
    expect(error.message).toMatch(
      /^\/sys\/class\/gpio is read-only: mount it writable in the container \(.+\) or run without power\/LED pins/,
    );
    expect(error.message).toContain('BCM 17 = sysfs 529');
    await child.waitForExit();
    expect(sysfs.isExported(529)).toBe(false);
  });
});
