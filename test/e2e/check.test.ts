// `dht-telemetry check`: a verdict per step, exit 0 only when every step passed.
import { describe, expect, it } from 'vitest';
import { startEndpoint } from '../../src/endpoint/endpoint-server.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';
import { DaemonProcess, seedEnv, tempDir } from '../helpers/daemon-process.js';

const cleanups = cleanupAfterEach();

async function check(extra: Record<string, string>, args: string[] = []) {
  const endpoint = await startEndpoint({ users: [{ app: 'dejanb', device: 'pi', password: 'foobar' }] });
  cleanups.push(() => endpoint.close());
  const dir = tempDir('dht-check-');
  cleanups.push(dir.remove);
  const cli = new DaemonProcess(['check', ...args], seedEnv(endpoint.url, dir.path, extra));
  cleanups.push(() => cli.kill());
  return { code: await cli.exited(15_000), out: cli.stdout, endpoint };
}

describe('dht-telemetry check', () => {
  it('passes every step and sends one event exactly as `run` would', async () => {
    const { code, out, endpoint } = await check({});
    expect(code).toBe(0);
    expect(out).toMatch(/^ok +send +event [0-9a-f-]{36} accepted \(HTTP 202\)$/m);
    expect(out).toContain('All checks passed.');
    const [event] = endpoint.accepted();
    expect(event?.headers['ce-source']).toBe('drogue://dejanb/pi');
    expect(event?.body).toMatchObject({ geoloc: { lat: 44.8166, lon: 20.4721 } });
  });

  it('fails with exit 1 and says why when the credentials are wrong', async () => {
    const { code, out } = await check({ DEVICE_PASSWORD: 'wrong' });
    expect(code).toBe(1);
    expect(out).toMatch(/^FAIL +send +HTTP 403: credentials refused/m);
    expect(out).not.toContain('wrong');
  });

  it('--no-send skips sending; a sensor that never answers fails it', async () => {
    const skipped = await check({}, ['--no-send']);
    expect(skipped.code).toBe(0);
    expect(skipped.out).toMatch(/send +skipped \(--no-send\)/);
    expect(skipped.endpoint.received).toHaveLength(0);
    const hung = await check({ SIM_SCRIPT: 'hang' }, ['--no-send']);
    expect(hung.code).toBe(1);
    expect(hung.out).toMatch(/^FAIL +sensor default +timeout/m);
  });

  it('says which GPIO path a real sensor would take: on a machine that is no Pi, a failing gpio line', async () => {
    const real = await check({ SENSOR_TYPE: 'DHT22', INTERVAL: '2s' }, ['--no-send']);
    expect(real.code).toBe(1);
    expect(real.out).toMatch(/^FAIL +gpio +not a Raspberry Pi \(\/proc\/cpuinfo has .*\): .*SENSOR_TYPE=sim/m);
    const simulated = await check({}, ['--no-send']);
    expect(simulated.out).not.toMatch(/gpio/);
  });
});
