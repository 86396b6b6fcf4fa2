// Which GPIO path node-dht-sensor 0.4.5 will take on this board, and whether its device opens:
// the `check` command's "gpio" line.
//
// node-dht-sensor decides from /proc/cpuinfo alone (src/abstract-gpio.cpp): a line matching
// `Model\s+:\s+Raspberry Pi (\d+)` with a number above 4 (Pi 5, Pi 500) means libgpiod on the
// chip NAMED gpiochip0 (when built with use_libgpiod, as the image is); anything else means
// bcm2835, which maps /dev/gpiomem (or /dev/mem when running as root). So:
// - a Compute Module 5 ("Raspberry Pi Compute Module 5") is taken for a Pi 1-4 and goes to
//   /dev/gpiomem, which does not reach the RP1's pins: it cannot read the sensor;
// - on a Pi 5, gpiochip0 must be the 40-pin header's chip, labelled pinctrl-rp1. Kernels before
//   the renumbering put the header on gpiochip4 and a SoC bank on gpiochip0: verified by label,
//   from /sys/class/gpio/gpiochip<base>/label and the gpiochipN beside it under device/.
import type { HostFiles } from './host-files.js';

export interface GpioReport {
  ok: boolean;
  detail: string;
}

export const HEADER_CHIP_LABEL_PI5 = 'pinctrl-rp1';
const CPUINFO_BYTES = 64 * 1024;
const LABEL_BYTES = 256;

export function sensorGpioReport(files: HostFiles, process: { root: boolean }): GpioReport {
  const cpuinfo = files.read('/proc/cpuinfo', CPUINFO_BYTES) ?? '';
  const model = /^Model\s+:\s+(.*)$/m.exec(cpuinfo)?.[1]?.trim();
  if (!model || !model.startsWith('Raspberry Pi')) {
    return { ok: false, detail: `not a Raspberry Pi (/proc/cpuinfo has ${model ? `Model "${model}"` : 'no Model line'}): node-dht-sensor needs a Pi's /dev/gpiomem or a Pi 5's /dev/gpiochip0; SENSOR_TYPE=sim runs without one` };
  }
  // node-dht-sensor's own test, to the letter.
  const number = /Model\s+:\s+Raspberry Pi (\d+)/.exec(cpuinfo)?.[1];
  if (number !== undefined && Number(number) > 4) return libgpiodReport(files, model);
  if (/Compute Module 5/.test(model)) {
    return { ok: false, detail: `${model}: node-dht-sensor 0.4.5 tests for "Raspberry Pi <n>" with n > 4, so it takes this board for a Pi 1-4 and uses bcm2835 through /dev/gpiomem, which does not reach the RP1's pins: the sensor cannot be read on it` };
  }
  const device = process.root ? '/dev/mem' : '/dev/gpiomem';
  const what = `bcm2835 through ${device} (${model}${process.root ? ', running as root' : ''})`;
  const failure = files.openReadWrite(device);
  if (failure === null) return { ok: true, detail: `${what}, opens read-write` };
  return { ok: false, detail: `${what}: cannot open it (${failure}); ${deviceHint(device)}` };
}

function libgpiodReport(files: HostFiles, model: string): GpioReport {
  const device = '/dev/gpiochip0';
  const labels = chipLabels(files);
  const label = labels.get('gpiochip0');
  const header = [...labels].find(([, l]) => l === HEADER_CHIP_LABEL_PI5)?.[0];
  const what = `libgpiod on ${device} (${label === undefined ? 'label unknown: no /sys/class/gpio' : label === HEADER_CHIP_LABEL_PI5 ? `${label}, the 40-pin header` : label}; ${model})`;
  if (label !== undefined && label !== HEADER_CHIP_LABEL_PI5) {
    const where = header ? `this kernel has it on ${header} (${HEADER_CHIP_LABEL_PI5})` : `no chip here is labelled ${HEADER_CHIP_LABEL_PI5}`;
    return { ok: false, detail: `${device} is ${label}, not the 40-pin header: node-dht-sensor 0.4.5 always opens gpiochip0, and ${where}; a current Raspberry Pi OS kernel puts the header on gpiochip0 (sudo apt full-upgrade, then check with gpiodetect)` };
  }
  const failure = files.openReadWrite(device);
  if (failure === null) return { ok: true, detail: `${what}, opens read-write` };
  return { ok: false, detail: `${what}: cannot open it (${failure}); ${deviceHint(device)}` };
}

/** /dev/gpiochipN name → its label, from /sys/class/gpio/gpiochip<base>/{label,device/gpiochipN}. */
function chipLabels(files: HostFiles): Map<string, string> {
  const labels = new Map<string, string>();
  for (const entry of files.list('/sys/class/gpio').filter((e) => /^gpiochip\d+$/.test(e))) {
    const label = files.read(`/sys/class/gpio/${entry}/label`, LABEL_BYTES)?.trim();
    if (!label) continue;
    for (const chardev of files.list(`/sys/class/gpio/${entry}/device`).filter((e) => /^gpiochip\d+$/.test(e))) labels.set(chardev, label);
  }
  return labels;
}

function deviceHint(device: string): string {
  return `pass it into the container (--device=${device}) and run in the group that owns it (getent group gpio; --group-add=<that gid>)`;
}
