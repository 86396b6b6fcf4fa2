// The built daemon as a real process against the local Drogue-style endpoint on 127.0.0.1.
import { describe, expect, it } from 'vitest';
import { startEndpoint, type EndpointServer } from '../../src/endpoint/endpoint-server.js';
import { DaemonProcess, seedEnv, tempDir } from '../helpers/daemon-process.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';

const USERS = [{ app: 'dejanb', device: 'pi', password: 'foobar' }];
const cleanups = cleanupAfterEach();

async function setup(extra: Record<string, string> = {}, users = USERS) {
  const endpoint = await startEndpoint({ users });
  cleanups.push(() => endpoint.close());
  const dir = tempDir('dht-e2e-');
  cleanups.push(dir.remove);
  const daemon = new DaemonProcess(['run'], seedEnv(endpoint.url, dir.path, extra));
  cleanups.push(() => daemon.kill());
  return { endpoint, daemon, dir };
}

function body(e: EndpointServer['received'][number]): Record<string, unknown> {
  return e.body as Record<string, unknown>;
}

describe('daemon end to end', () => {
  it('delivers simulated readings as CloudEvents with the seed configuration, then stops cleanly on SIGTERM', async () => {
    const { endpoint, daemon } = await setup();
    await endpoint.waitFor((r) => r.filter((e) => e.status === 202).length >= 5, 15_000);
    expect(await daemon.stop('SIGTERM')).toBe(0);

    const accepted = endpoint.accepted();
    expect(accepted.length).toBeGreaterThanOrEqual(5);
    for (const e of accepted) {
      expect(e.path).toBe('/v1/foo');
      expect(e.query.data_schema).toBe('urn:drogue:iot:temperature');
      expect(e.app).toBe('dejanb');
      expect(e.device).toBe('pi');
      expect(e.headers.authorization).toBe(`Basic ${Buffer.from('pi@dejanb:foobar').toString('base64')}`);
      expect(e.headers['ce-specversion']).toBe('1.0');
      expect(e.headers['ce-type']).toBe('io.drogue.dht.reading.v1');
      expect(e.headers['ce-source']).toBe('drogue://dejanb/pi');
      expect(e.headers['ce-subject']).toBe('foo'); // the channel posted to (issue 14)
      expect(e.headers['ce-dataschema']).toBe('urn:drogue:iot:temperature');
      expect(e.headers['content-type']).toBe('application/json');
      const data = body(e);
      expect(typeof data.temp).toBe('number');
      expect(typeof data.hum).toBe('number');
      expect(data.geoloc).toEqual({ lat: 44.8166, lon: 20.4721 });
      // the measurement time travels in the payload and in ce-time, identical
      expect(data.time).toBe(e.headers['ce-time']);
      expect(Date.parse(String(data.time))).toBeLessThanOrEqual(e.receivedAt);
    }
    const ids = accepted.map((e) => e.headers['ce-id']);
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
  });

  it('never writes the password or the Basic header to its output', async () => {
    const { endpoint, daemon } = await setup({ LOG_LEVEL: 'trace' });
    await endpoint.waitFor((r) => r.length >= 3, 15_000);
    await daemon.stop();
    const basic = Buffer.from('pi@dejanb:foobar').toString('base64');
    const output = daemon.stdout + daemon.stderr;
    expect(output.length).toBeGreaterThan(100);
    expect(output).not.toContain('foobar');
    expect(output).not.toContain(basic);
  });

  it('sends structured CloudEvents when CONTENT_MODE=structured', async () => {
    const { endpoint, daemon } = await setup({ CONTENT_MODE: 'structured' });
    await endpoint.waitFor((r) => r.length >= 1, 15_000);
    await daemon.stop();
    const e = endpoint.accepted()[0];
    expect(e?.headers['content-type']).toMatch(/^application\/cloudevents\+json/);
    expect(body(e!)).toMatchObject({ specversion: '1.0', source: 'drogue://dejanb/pi', data: { geoloc: { lat: 44.8166, lon: 20.4721 } } });
  });

  it('wrong credentials (403): no retry storm, the events stay queued, the log says why', async () => {
    const { endpoint, daemon } = await setup({ DEVICE_PASSWORD: 'wrong', RETRY_MAX: '3s' });
    await endpoint.waitFor((r) => r.some((e) => e.status === 403), 15_000);
    const line = await daemon.waitForLog((l) => l.msg.includes('refused the credentials'), 5000);
    expect(line.level).toBe('error');
    await new Promise((r) => setTimeout(r, 1500));
    await daemon.stop();
    // one request, then a long pause (RETRY_MAX) — not one request per reading
    expect(endpoint.received.length).toBeLessThanOrEqual(2);
    expect(daemon.logs().some((l) => l.msg === 'stopped' && Number(l.queued) > 5)).toBe(true);
  });

  it('invalid JSON for the endpoint (406): the event is dead-lettered, not retried, and the queue moves on', async () => {
    const { endpoint, daemon } = await setup({ INTERVAL: '300ms' });
    endpoint.setFaults({ status: 406, times: 2 });
    await endpoint.waitFor((r) => r.filter((e) => e.status === 202).length >= 3, 15_000);
    await daemon.stop();
    const refused = endpoint.received.filter((e) => e.status === 406).map((e) => e.headers['ce-id']);
    expect(refused).toHaveLength(2);
    const accepted = endpoint.accepted().map((e) => e.headers['ce-id']);
    for (const id of refused) expect(accepted).not.toContain(id);
    expect(daemon.logs().filter((l) => l.msg.includes('dead-letter'))).toHaveLength(2);
  });

  it('a flaky simulated sensor (spikes, implausible values, checksum bursts, timeouts) delivers no implausible value', async () => {
    const script = 'ok*4,spike,ok*2,implausible,checksum*3,ok,spike,timeout*2,ok*3,spike,ok*3';
    const { endpoint, daemon } = await setup({ SIM_SCRIPT: script, INTERVAL: '50ms', MEDIAN_WINDOW: '1' });
    await endpoint.waitFor((r) => r.filter((e) => e.status === 202).length >= 20, 15_000);
    await daemon.stop();
    const temps = endpoint.accepted().map((e) => Number(body(e).temp));
    const hums = endpoint.accepted().map((e) => Number(body(e).hum));
    // the simulator drifts by at most 0.1 °C / 0.3 %RH a read; a spike is +25 °C / +40 %RH
    for (let i = 1; i < temps.length; i++) {
      expect(Math.abs((temps[i] ?? 0) - (temps[i - 1] ?? 0))).toBeLessThan(1);
      expect(Math.abs((hums[i] ?? 0) - (hums[i - 1] ?? 0))).toBeLessThan(3);
    }
    for (const t of temps) expect(t).toBeLessThan(40);
    const rejected = daemon.logs().filter((l) => l.msg === 'reading rejected').map((l) => l.reason);
    expect(rejected.filter((r) => r === 'spike')).toHaveLength(3);
    expect(rejected.filter((r) => r === 'out_of_range')).toHaveLength(1);
    expect(rejected.filter((r) => r === 'checksum')).toHaveLength(3);
    expect(rejected.filter((r) => r === 'timeout')).toHaveLength(2);
  });
});
