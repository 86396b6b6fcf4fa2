// The status server of a running daemon: /healthz, /metrics, and `dht-telemetry health`.
import { request } from 'undici';
import { describe, expect, it } from 'vitest';
import { startEndpoint } from '../../src/endpoint/endpoint-server.js';
import { DaemonProcess, seedEnv, tempDir } from '../helpers/daemon-process.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';

const cleanups = cleanupAfterEach();

async function setup(extra: Record<string, string> = {}) {
  const endpoint = await startEndpoint({});
  cleanups.push(() => endpoint.close());
  const dir = tempDir('dht-status-');
  cleanups.push(dir.remove);
  const daemon = new DaemonProcess(['run'], seedEnv(endpoint.url, dir.path, { STATUS_LISTEN: '127.0.0.1:0', ...extra }));
  cleanups.push(() => daemon.kill());
  const url = String((await daemon.waitForLog((l) => l.msg === 'status server listening', 15_000)).url);
  return { endpoint, daemon, url };
}

async function get(url: string): Promise<{ status: number; text: string; type: string }> {
  const res = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 });
  return { status: res.statusCode, text: await res.body.text(), type: String(res.headers['content-type']) };
}

async function healthCli(url: string): Promise<{ code: number | null; out: string }> {
  const cli = new DaemonProcess(['health', '--url', `${url}/healthz`], {});
  const code = await cli.exited(10_000);
  return { code, out: cli.stdout };
}

describe('status server of a running daemon', () => {
  it('healthz is ok and metrics count what was delivered; `health` exits 0', async () => {
    const { endpoint, daemon, url } = await setup();
    await daemon.waitForLog((l) => l.msg === 'ready', 15_000);
    await endpoint.waitFor((r) => r.filter((e) => e.status === 202).length >= 5, 15_000);
    const health = await get(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(JSON.parse(health.text)).toMatchObject({ status: 'ok', ready: true, live: true });
    const metrics = await get(`${url}/metrics`);
    expect(metrics.type).toMatch(/^text\/plain/);
    const sent = Number(/^dht_events_sent_total (\d+)/m.exec(metrics.text)?.[1]);
    expect(sent).toBeGreaterThanOrEqual(5);
    expect(metrics.text).toMatch(/^dht_readings_total\{sensor="default"\} \d+/m);
    expect(metrics.text).toMatch(/^dht_temperature_celsius\{sensor="default"\} [\d.]+/m);
    expect(metrics.text).toMatch(/^dht_send_duration_seconds_bucket\{.*outcome="delivered".*\} \d+/m);
    expect(metrics.text).toMatch(/^process_resident_memory_bytes \d+/m);
    const page = await get(`${url}/`);
    expect(page.type).toMatch(/^text\/html/);
    expect(await healthCli(url)).toMatchObject({ code: 0, out: expect.stringMatching(/^200 ok/) as unknown });
    await daemon.stop();
  });

  it('a sensor that never answers: healthz 503 with the reason, `health` exits 1, metrics count the failures', async () => {
    const { daemon, url } = await setup({ SIM_SCRIPT: 'hang', START_TIMEOUT: '1h' });
    await daemon.waitForLog((l) => l.msg === 'reading rejected', 15_000);
    const health = await get(`${url}/healthz`);
    expect(health.status).toBe(503);
    const body = JSON.parse(health.text) as { status: string; reasons: string[] };
    expect(body.status).toBe('failing');
    expect(body.reasons.join(' ')).toMatch(/not ready/i);
    const cli = await healthCli(url);
    expect(cli.code).toBe(1);
    expect(cli.out).toMatch(/^503 failing/);
    const metrics = await get(`${url}/metrics`);
    expect(metrics.text).toMatch(/^dht_readings_rejected_total\{sensor="default",reason="timeout"\} [1-9]\d*/m);
    await daemon.stop();
  });

  it('`health` exits 1 when nothing listens', async () => {
    expect((await healthCli('http://127.0.0.1:9')).code).toBe(1);
  });
});
