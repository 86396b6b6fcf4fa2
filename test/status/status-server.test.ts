import { request, Agent } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../src/log/logger.js';
import type { Health } from '../../src/status/health.js';
import { RingHistory } from '../../src/status/reading-history.js';
import type { DaemonSnapshot } from '../../src/status/snapshot.js';
import { StatusMetrics } from '../../src/status/status-metrics.js';
import { startStatusServer, type HistoryResponse, type StatusServer } from '../../src/status/status-server.js';
import { parsePromText } from './prom-text.js';
import { NOW, snapshot } from './snapshot-fixture.js';

let server: StatusServer | null = null;

afterEach(async () => {
  await server?.close();
  server = null;
});

async function start(snap: () => DaemonSnapshot = () => snapshot()): Promise<{ server: StatusServer; history: RingHistory }> {
  const history = new RingHistory({ clock: { wallNow: () => NOW } });
  server = await startStatusServer({ host: '127.0.0.1', port: 0, snapshot: snap, history, metrics: new StatusMetrics(snap), logger: silentLogger() });
  return { server, history };
}

describe('status server', () => {
  it('answers /healthz with the health JSON: 200 when ok', async () => {
    const { server } = await start();
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const body = (await res.json()) as Health;
    expect(body).toMatchObject({ status: 'ok', live: true, ready: true, reasons: [] });
    expect(body.sensors.map((s) => s.name)).toEqual(['living', 'attic']);
  });

  it('answers /healthz 503 when failing, 200 when degraded, while /api/status stays 200', async () => {
    let snap = snapshot({ outbox: { storage: 'memory' } });
    const { server } = await start(() => snap);
    const failing = await fetch(`${server.url}/healthz`);
    expect(failing.status).toBe(503);
    expect(((await failing.json()) as Health).reasons[0]).toMatch(/outbox fell back to memory/);
    const page = await fetch(`${server.url}/api/status`);
    expect(page.status).toBe(200);
    expect(((await page.json()) as Health).status).toBe('failing');
    snap = snapshot({ delivery: { consecutiveFailures: 1, lastError: '403 credentials refused' } });
    const degraded = await fetch(`${server.url}/healthz`);
    expect(degraded.status).toBe(200);
    expect(((await degraded.json()) as Health).status).toBe('degraded');
  });

  it('serves /metrics in the Prometheus text format', async () => {
    const { server } = await start();
    const res = await fetch(`${server.url}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4; charset=utf-8$/);
    const m = parsePromText(await res.text());
    expect(m.value('dht_events_sent_total')).toBe(236);
    expect(m.value('dht_outbox_depth')).toBe(2);
  });

  it('serves the page as self-contained HTML with a strict CSP', async () => {
    const { server } = await start();
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    expect(res.headers.get('content-security-policy')).toMatch(/default-src 'none'; script-src 'sha256-[^']+'/);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+stylesheet|https?:\/\/(?!www\.openstreetmap\.org|www\.w3\.org)/);
  });

  it('serves /api/history as points per sensor within the window', async () => {
    const { server, history } = await start();
    history.add({ id: 'old', sensor: 'living', time: NOW - 25 * 3_600_000, temperature: 1, humidity: 1 });
    for (let i = 0; i < 5; i++) history.add({ id: `l${i}`, sensor: 'living', time: NOW - (5 - i) * 30_000, temperature: 21 + i / 10, humidity: 45 });
    history.add({ id: 'a', sensor: 'attic', time: NOW - 10_000, temperature: 12, humidity: 70 });
    const res = await fetch(`${server.url}/api/history`);
    expect(res.status).toBe(200);
    const body = (await res.json()) as HistoryResponse;
    expect(body.now).toBe(NOW);
    expect(body.windowMs).toBe(24 * 3_600_000);
    expect(body.sensors.map((s) => s.name)).toEqual(['living', 'attic']);
    expect(body.sensors[0]!.points).toHaveLength(5);
    expect(body.sensors[0]!.points[0]).toEqual([NOW - 150_000, 21, 45]);
    expect(body.sensors[1]!.points).toEqual([[NOW - 10_000, 12, 70]]);
  });

  it('answers 404 for other paths, 405 for other methods, and HEAD without a body', async () => {
    const { server } = await start();
    const missing = await fetch(`${server.url}/nope`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/json; charset=utf-8');
    await missing.text();
    const post = await fetch(`${server.url}/healthz`, { method: 'POST', body: '{}' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
    await post.text();
    const head = await fetch(`${server.url}/healthz`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const query = await fetch(`${server.url}/healthz?verbose=1`);
    expect(query.status).toBe(200);
    await query.text();
  });

  it('answers 500 when the snapshot throws, and keeps serving', async () => {
    let broken = true;
    const { server } = await start(() => {
      if (broken) throw new Error('boom');
      return snapshot();
    });
    const res = await fetch(`${server.url}/healthz`);
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'internal error' });
    broken = false;
    expect((await fetch(`${server.url}/healthz`)).status).toBe(200);
  });

  it('close() ends keep-alive connections', async () => {
    const { server: s } = await start();
    const agent = new Agent({ keepAlive: true });
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${s.url}/healthz`, { agent }, (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      });
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(200);
    let timer: NodeJS.Timeout | undefined;
    const outcome = await Promise.race([
      s.close().then(() => 'closed'),
      new Promise<string>((resolve) => (timer = setTimeout(() => resolve('still open after 10 s'), 10_000))),
    ]);
    clearTimeout(timer);
    agent.destroy();
    expect(outcome).toBe('closed');
    server = null;
    await expect(fetch(`${s.url}/healthz`)).rejects.toThrow();
  });

  it('binds where told and reports a port in use', async () => {
    const { server: first } = await start();
    await expect(
      startStatusServer({ host: '127.0.0.1', port: first.port, snapshot: () => snapshot(), history: new RingHistory(), metrics: new StatusMetrics(() => snapshot()), logger: silentLogger() }),
    ).rejects.toMatchObject({ code: 'E_CONFIG', variable: 'STATUS_LISTEN' });
  });
});

describe('the live page, built from src/status/page/', () => {
  it('the build inlined the current sources: dist/ serves exactly what src/ inlines, CSP hashes included', async () => {
    const { inlineStatusPage, readStatusPageSources } = await import('../../src/status/page.js');
    const { readFileSync } = await import('node:fs');
    const fromSources = inlineStatusPage(readStatusPageSources(new URL('../../src/status/page/', import.meta.url)));
    expect(readFileSync(new URL('../../dist/status/status-page.html', import.meta.url), 'utf8')).toBe(fromSources.html);
    expect(readFileSync(new URL('../../dist/status/status-page.csp', import.meta.url), 'utf8')).toBe(fromSources.csp);
    expect(fromSources.html).not.toContain('src="status-page.js"');
    expect(fromSources.csp).toMatch(/script-src 'sha256-[A-Za-z0-9+/]+=*'; style-src 'sha256-/);
  });

  it('is served at / with its CSP', async () => {
    const { server } = await start();
    const res = await fetch(`${server.url}/`);
    expect(res.status).toBe(200);
    const html = await res.text();
    expect(html).toMatch(/^<!doctype html>/);
    expect(html).toContain('<script>');
    expect(res.headers.get('content-security-policy')).toContain("script-src 'sha256-");
  });
});
