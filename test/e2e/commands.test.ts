// Cloud-to-device commands end to end: the daemon asks with ct, the local endpoint
// answers a queued command in the 200 response, the daemon acts on it.
import { describe, expect, it } from 'vitest';
import { startEndpoint } from '../../src/endpoint/endpoint-server.js';
import { DaemonProcess, seedEnv, tempDir, type LogLine } from '../helpers/daemon-process.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';

const cleanups = cleanupAfterEach();

async function setup(extra: Record<string, string>) {
  const endpoint = await startEndpoint({});
  cleanups.push(() => endpoint.close());
  const dir = tempDir('dht-cmd-');
  cleanups.push(dir.remove);
  const daemon = new DaemonProcess(['run'], seedEnv(endpoint.url, dir.path, { COMMAND_TIMEOUT: '1', ...extra }));
  cleanups.push(() => daemon.kill());
  return { endpoint, daemon };
}

const commandLog = (name: string) => (l: LogLine) => l.command === name && (l.msg === 'command carried out' || l.msg === 'command not carried out');

describe('cloud-to-device commands over Drogue ct', () => {
  it('set-interval changes the sampling interval, bounded by the sensor minimum', async () => {
    const { endpoint, daemon } = await setup({ INTERVAL: '100ms' });
    await endpoint.waitFor((r) => r.length >= 1, 15_000);
    expect(endpoint.received[0]?.query.ct).toBe('1');
    endpoint.queueCommand('pi', 'set-interval', '2');
    const line = await daemon.waitForLog(commandLog('set-interval'), 10_000);
    expect(line).toMatchObject({ result: 'ok', detail: 'interval now 2s' });
    const at = Date.now();
    await new Promise((r) => setTimeout(r, 2500));
    await daemon.stop();
    const after = daemon.logs().filter((l) => l.msg === 'reading queued' && Date.parse(String(l.time)) > at);
    expect(after.length).toBeLessThanOrEqual(3);
  });

  it('read-now takes a reading at once', async () => {
    // commands ride on the answer to a POST: with a 1 h interval, the first POST waits (ct) for one
    const { endpoint, daemon } = await setup({ INTERVAL: '1h', COMMAND_TIMEOUT: '10', STOP_TIMEOUT: '500ms' });
    const deadline = Date.now() + 10_000;
    while (!endpoint.waitingDevices().includes('pi') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    endpoint.queueCommand('pi', 'read-now', '');
    await daemon.waitForLog(commandLog('read-now'), 10_000);
    await daemon.waitForLog((l) => l.msg === 'reading queued' && daemon.logs().filter((x) => x.msg === 'reading queued').length >= 2, 10_000);
    await daemon.stop();
  });

  it('unknown and malformed commands are logged and counted, and the daemon keeps going', async () => {
    const { endpoint, daemon } = await setup({ INTERVAL: '200ms' });
    await endpoint.waitFor((r) => r.length >= 1, 15_000);
    endpoint.queueCommand('pi', 'self-destruct', 'now');
    endpoint.queueCommand('pi', 'set-interval', 'soon');
    endpoint.queueCommand('pi', 'power-cycle', '');
    expect(await daemon.waitForLog(commandLog('self-destruct'), 10_000)).toMatchObject({ result: 'unknown', level: 'warn' });
    expect(await daemon.waitForLog(commandLog('set-interval'), 10_000)).toMatchObject({ result: 'invalid' });
    expect(await daemon.waitForLog(commandLog('power-cycle'), 10_000)).toMatchObject({ result: 'unsupported' });
    const count = endpoint.accepted().length;
    await endpoint.waitFor((r) => r.filter((e) => e.status < 300).length >= count + 2, 10_000);
    expect(await daemon.stop()).toBe(0);
  });
});
