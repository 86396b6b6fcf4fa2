// The daemon tells systemd the truth, over a REAL notify datagram socket.
import { describe, expect, it } from 'vitest';
import { startEndpoint } from '../../src/endpoint/endpoint-server.js';
import { NotifyListener } from '../systemd/notify-listener.js';
import { DaemonProcess, seedEnv, tempDir } from '../helpers/daemon-process.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';

const cleanups = cleanupAfterEach();

async function setup(extra: Record<string, string>) {
  const endpoint = await startEndpoint({});
  cleanups.push(() => endpoint.close());
  const listener = await NotifyListener.open();
  cleanups.push(() => listener.close());
  const dir = tempDir('dht-sd-');
  cleanups.push(dir.remove);
  const daemon = new DaemonProcess(['run'], seedEnv(endpoint.url, dir.path, { NOTIFY_SOCKET: listener.path, ...extra }));
  cleanups.push(() => daemon.kill());
  return { endpoint, listener, daemon };
}

describe('sd_notify', () => {
  it('READY=1 only after the first trustworthy reading, then WATCHDOG=1 pings as separate datagrams, STOPPING=1 at the end', async () => {
    const { listener, daemon } = await setup({ SIM_SCRIPT: 'timeout*3', INTERVAL: '200ms', WATCHDOG_INTERVAL: '400ms' });
    const ready = await listener.waitFor('READY=1', 15_000);
    const queued = daemon.logs().filter((l) => l.msg === 'reading queued');
    expect(queued.length).toBeGreaterThanOrEqual(1);
    expect(daemon.logs().filter((l) => l.msg === 'reading rejected')).toHaveLength(3);
    await listener.waitFor((t) => t === 'WATCHDOG=1' && listener.count('WATCHDOG=1') >= 3, 10_000);
    expect(await daemon.stop()).toBe(0);
    await listener.waitFor('STOPPING=1', 5000);
    expect(listener.count('READY=1')).toBe(1);
    expect(ready.at).toBeGreaterThan(0);
    // every datagram is exactly one state: Podman 4.3 forwards nothing else
    for (const text of listener.texts()) expect(text).toMatch(/^[A-Z_]+=[^\n]*$/);
  });

  it('a sensor that never gives a reading: no READY=1, and the start fails within START_TIMEOUT with exit 1', async () => {
    const { listener, daemon } = await setup({ SIM_SCRIPT: 'hang', START_TIMEOUT: '1s' });
    expect(await daemon.exited(15_000)).toBe(1);
    const fatal = daemon.logs().find((l) => l.level === 'fatal');
    expect(String(fatal?.err)).toContain('first-reading');
    expect(listener.count('READY=1')).toBe(0);
  });
});
