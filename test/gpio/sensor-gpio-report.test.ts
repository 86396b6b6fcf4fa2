// `check`'s GPIO line: which path node-dht-sensor 0.4.5 will take on this board, and whether its
// device opens. Each case is a fake host tree (proc/cpuinfo, dev/, sys/class/gpio) in a temp dir,
// read through the same HostFiles code that reads the real / on a Pi.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { rootedHostFiles, type HostFiles } from '../../src/gpio/host-files.js';
import { sensorGpioReport } from '../../src/gpio/sensor-gpio-report.js';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
});

interface FakeHost {
  model?: string;
  /** Device nodes present under /dev (regular files stand in for them). */
  dev?: string[];
  /** sysfs chips: directory name under /sys/class/gpio, label, and the /dev/gpiochipN it is. */
  chips?: { sysfs: string; label: string; chardev: string }[];
}

function fakeHost(host: FakeHost): HostFiles {
  const root = mkdtempSync(path.join(tmpdir(), 'gpio-host-'));
  dirs.push(root);
  mkdirSync(path.join(root, 'proc'));
  const cpuinfo = 'processor\t: 0\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd\n\n' + (host.model ? `Revision\t: d04170\nModel\t\t: ${host.model}\n` : '');
  writeFileSync(path.join(root, 'proc', 'cpuinfo'), cpuinfo);
  mkdirSync(path.join(root, 'dev'));
  for (const node of host.dev ?? []) writeFileSync(path.join(root, 'dev', node), '');
  for (const chip of host.chips ?? []) {
    const dir = path.join(root, 'sys', 'class', 'gpio', chip.sysfs);
    mkdirSync(path.join(dir, 'device', chip.chardev), { recursive: true });
    writeFileSync(path.join(dir, 'label'), `${chip.label}\n`);
  }
  return rootedHostFiles(root);
}

const PI5_CHIPS_NEW = [
  { sysfs: 'gpiochip512', label: 'gpio-brcmstb@107d508500', chardev: 'gpiochip10' },
  { sysfs: 'gpiochip571', label: 'pinctrl-rp1', chardev: 'gpiochip0' },
];
const PI5_CHIPS_OLD = [
  { sysfs: 'gpiochip0', label: 'gpio-brcmstb@107d508500', chardev: 'gpiochip0' },
  { sysfs: 'gpiochip53', label: 'pinctrl-rp1', chardev: 'gpiochip4' },
];

describe('sensorGpioReport', () => {
  it('Pi 4: bcm2835 through /dev/gpiomem, which opens', () => {
    const files = fakeHost({ model: 'Raspberry Pi 4 Model B Rev 1.4', dev: ['gpiomem', 'gpiochip0'] });
    const report = sensorGpioReport(files, { root: false });
    expect(report.ok).toBe(true);
    expect(report.detail).toMatch(/^bcm2835 through \/dev\/gpiomem \(Raspberry Pi 4 Model B Rev 1\.4\), opens read-write$/);
  });

  it('Pi 4 without /dev/gpiomem passed in: fails, naming the device and how to pass it', () => {
    const files = fakeHost({ model: 'Raspberry Pi 3 Model B Plus Rev 1.3', dev: ['gpiochip0'] });
    const report = sensorGpioReport(files, { root: false });
    expect(report.ok).toBe(false);
    expect(report.detail).toContain('/dev/gpiomem');
    expect(report.detail).toContain('--device=/dev/gpiomem');
  });

  it('as root, bcm2835 opens /dev/mem instead of /dev/gpiomem', () => {
    const files = fakeHost({ model: 'Raspberry Pi 4 Model B Rev 1.4', dev: ['mem'] });
    expect(sensorGpioReport(files, { root: true })).toEqual({ ok: true, detail: 'bcm2835 through /dev/mem (Raspberry Pi 4 Model B Rev 1.4, running as root), opens read-write' });
  });

  it('Pi 5 on a current kernel: libgpiod on /dev/gpiochip0, labelled pinctrl-rp1, the 40-pin header', () => {
    const files = fakeHost({ model: 'Raspberry Pi 5 Model B Rev 1.0', dev: ['gpiochip0', 'gpiochip10'], chips: PI5_CHIPS_NEW });
    const report = sensorGpioReport(files, { root: false });
    expect(report).toEqual({ ok: true, detail: 'libgpiod on /dev/gpiochip0 (pinctrl-rp1, the 40-pin header; Raspberry Pi 5 Model B Rev 1.0), opens read-write' });
  });

  it('Pi 5 on an older kernel that puts the header on gpiochip4: fails, naming both chips', () => {
    const files = fakeHost({ model: 'Raspberry Pi 5 Model B Rev 1.0', dev: ['gpiochip0', 'gpiochip4'], chips: PI5_CHIPS_OLD });
    const report = sensorGpioReport(files, { root: false });
    expect(report.ok).toBe(false);
    expect(report.detail).toContain('/dev/gpiochip0 is gpio-brcmstb@107d508500, not the 40-pin header');
    expect(report.detail).toContain('gpiochip4 (pinctrl-rp1)');
  });

  it('Pi 5 whose /dev/gpiochip0 cannot be opened: fails with the reason', () => {
    const files = fakeHost({ model: 'Raspberry Pi 5 Model B Rev 1.0', dev: [], chips: PI5_CHIPS_NEW });
    const report = sensorGpioReport(files, { root: false });
    expect(report.ok).toBe(false);
    expect(report.detail).toMatch(/^libgpiod on \/dev\/gpiochip0 .*: cannot open it \(ENOENT/);
  });

  it('a device that exists but refuses us: fails with the permission error and the gpio group hint', () => {
    const real = fakeHost({ model: 'Raspberry Pi 4 Model B Rev 1.4', dev: ['gpiomem'] });
    const refusing: HostFiles = { ...real, openReadWrite: () => 'EACCES: permission denied' };
    const report = sensorGpioReport(refusing, { root: false });
    expect(report.ok).toBe(false);
    expect(report.detail).toContain('EACCES');
    expect(report.detail).toContain('getent group gpio');
  });

  it('Pi 500 counts as a Pi 5, as node-dht-sensor reads it', () => {
    const files = fakeHost({ model: 'Raspberry Pi 500 Rev 1.0', dev: ['gpiochip0'], chips: PI5_CHIPS_NEW });
    expect(sensorGpioReport(files, { root: false }).detail).toMatch(/^libgpiod on \/dev\/gpiochip0/);
  });

  it('Compute Module 5: fails, since node-dht-sensor 0.4.5 takes it for a Pi 1-4', () => {
    const files = fakeHost({ model: 'Raspberry Pi Compute Module 5 Rev 1.0', dev: ['gpiochip0'], chips: PI5_CHIPS_NEW });
    const report = sensorGpioReport(files, { root: false });
    expect(report.ok).toBe(false);
    expect(report.detail).toContain('Compute Module 5');
    expect(report.detail).toContain('/dev/gpiomem');
  });

  it('not a Raspberry Pi: fails, pointing at SENSOR_TYPE=sim', () => {
    const report = sensorGpioReport(fakeHost({ dev: [] }), { root: false });
    expect(report.ok).toBe(false);
    expect(report.detail).toContain('not a Raspberry Pi');
    expect(report.detail).toContain('SENSOR_TYPE=sim');
  });
});
