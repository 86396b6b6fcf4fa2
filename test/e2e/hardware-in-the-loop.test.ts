// The whole daemon, with the REAL onoff code driving a fake /sys/class/gpio in a
// private mount namespace (test/gpio/fake-sysfs.ts), a simulated DHT whose supply
// follows its power pin's value file, and the local endpoint on 127.0.0.1.
import { describe, expect, it } from 'vitest';
import { startEndpoint, type EndpointServer } from '../../src/endpoint/endpoint-server.js';
import { FakeSysfs, PI4_CHIPS, namespaceSupport, type NamespaceProcess } from '../gpio/fake-sysfs.js';
import { CLI, seedEnv, tempDir } from '../helpers/daemon-process.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';

const support = namespaceSupport();
if (!support.ok) console.warn(`hardware-in-the-loop tests skipped: ${support.reason}`);

const cleanups = cleanupAfterEach();

const POWER_BCM = 22; // sysfs 534 on a 6.6+ kernel (base 512)
const LED_BCM = 17; // sysfs 529

async function rig(options: { readOnly?: boolean; env?: Record<string, string> } = {}): Promise<{ sysfs: FakeSysfs; endpoint: EndpointServer; daemon: NamespaceProcess }> {
  const sysfs = await FakeSysfs.create({ chips: PI4_CHIPS, readOnly: options.readOnly ?? false });
  cleanups.push(() => sysfs.close());
  const endpoint = await startEndpoint({});
  cleanups.push(() => endpoint.close());
  const dir = tempDir('dht-hil-');
  cleanups.push(dir.remove);
  const env = seedEnv(endpoint.url, dir.path, { SENSOR_POWER_PIN: String(POWER_BCM), LED_PIN: String(LED_BCM), ...options.env });
  const daemon = sysfs.spawn([process.execPath, CLI, 'run'], { env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...env } });
  cleanups.push(() => daemon.stop());
  return { sysfs, endpoint, daemon };
}

type Log = { msg: string; [k: string]: unknown };

describe.skipIf(!support.ok)(`hardware in the loop${support.ok ? '' : ` (skipped: ${support.reason})`}`, () => {
  it('maps BCM numbers on a 6.6+ kernel (base 512): BCM 17 is sysfs 529', async () => {
    const { daemon, sysfs } = await rig();
    const led = await daemon.waitForJson<Log>((m) => m.msg === 'GPIO output claimed' && m.role === 'led', 15_000);
    expect(led).toMatchObject({ bcm: 17, sysfs: 529 });
    const power = await daemon.waitForJson<Log>((m) => m.msg === 'GPIO output claimed' && m.role === 'power:default', 15_000);
    expect(power).toMatchObject({ bcm: 22, sysfs: 534 });
    expect(sysfs.isExported(529) && sysfs.isExported(534)).toBe(true);
    expect(sysfs.value(534)).toBe(1);
  });

  it('a hung sensor is power-cycled through its power pin and readings resume; pins are unexported at exit', async () => {
    const { daemon, sysfs, endpoint } = await rig({ env: { SIM_SCRIPT: 'ok*3,hang', POWER_CYCLE_AFTER: '3', POWER_OFF: '300ms', POWER_SETTLE: '100ms' } });
    await endpoint.waitFor((r) => r.length >= 2, 15_000);
    const seenOff = sysfs.waitFor(() => sysfs.value(534) === 0, 'power pin low', 15_000);
    await daemon.waitForJson<Log>((m) => m.msg === 'power-cycling the sensor', 15_000);
    await seenOff;
    await sysfs.waitFor(() => sysfs.value(534) === 1, 'power pin high again', 5000);
    const before = endpoint.accepted().length;
    await endpoint.waitFor((r) => r.filter((e) => e.status === 202).length >= before + 3, 15_000);
    const exit = await daemon.stop();
    expect(exit.code).toBe(0);
    await sysfs.waitFor(() => !sysfs.isExported(534) && !sysfs.isExported(529), 'pins unexported', 5000);
  });

  it('the status LED toggles as events are delivered', async () => {
    const { sysfs, endpoint } = await rig({ env: { INTERVAL: '200ms' } });
    await endpoint.waitFor((r) => r.length >= 1, 15_000);
    const levels = new Set<number | undefined>();
    const deadline = Date.now() + 10_000;
    while (Date.now() < deadline && levels.size < 2) {
      levels.add(sysfs.value(529));
      await new Promise((r) => setTimeout(r, 10));
    }
    expect(levels).toEqual(new Set([0, 1]));
  });

  it('a read-only /sys/class/gpio is reported once, clearly, and sampling goes on', async () => {
    const { daemon, endpoint } = await rig({ readOnly: true });
    const line = await daemon.waitForJson<Log>((m) => m.msg === 'GPIO output unavailable, going on without it', 15_000);
    expect(String(line.err)).toContain('/sys/class/gpio is read-only');
    await endpoint.waitFor((r) => r.filter((e) => e.status === 202).length >= 3, 15_000);
    const exit = await daemon.stop();
    expect(exit.code).toBe(0);
    expect(exit.stdout.split('\n').filter((l) => l.includes('GPIO output unavailable'))).toHaveLength(1);
  });

  it('the power-cycle and led commands drive the real pins', async () => {
    const { daemon, sysfs, endpoint } = await rig({ env: { INTERVAL: '200ms', COMMAND_TIMEOUT: '2', POWER_OFF: '300ms', POWER_SETTLE: '100ms', STOP_TIMEOUT: '500ms' } });
    await endpoint.waitFor((r) => r.length >= 1, 15_000);
    endpoint.queueCommand('pi', 'power-cycle', '');
    await sysfs.waitFor(() => sysfs.value(534) === 0, 'power pin low after the command', 10_000);
    await sysfs.waitFor(() => sysfs.value(534) === 1, 'power pin high again', 5000);
    endpoint.queueCommand('pi', 'led', 'on');
    await daemon.waitForJson<Log>((m) => m.msg === 'command carried out' && m.command === 'led', 10_000);
    await sysfs.waitFor(() => sysfs.value(529) === 1, 'LED on', 5000);
  });
});
