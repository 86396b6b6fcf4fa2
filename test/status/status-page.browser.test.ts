// The live page in a real headless Chromium (Debian's, as .ci/run installs it): it loads
// with no console errors, shows the identity and the latest values, draws the
// simulator's last 24 h, refreshes in place, and leaves screenshots in test-artifacts/.
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Clock } from '../../src/clock/clock.js';
import type { Reading } from '../../src/event/reading.js';
import { silentLogger } from '../../src/log/logger.js';
import { SimulatedSensor } from '../../src/sensor/simulated-sensor.js';
import { RingHistory } from '../../src/status/reading-history.js';
import type { DaemonSnapshot } from '../../src/status/snapshot.js';
import { StatusMetrics } from '../../src/status/status-metrics.js';
import { startStatusServer, type StatusServer } from '../../src/status/status-server.js';
import { sensorSnapshot, snapshot } from './snapshot-fixture.js';

const CHROMIUM = '/usr/bin/chromium';
const ARTIFACTS = fileURLToPath(new URL('../../test-artifacts/', import.meta.url));
const INTERVAL_MS = 30_000;
const DAY = 24 * 3_600_000;
const haveChromium = existsSync(CHROMIUM);
if (!haveChromium) console.warn(`status page browser test SKIPPED: ${CHROMIUM} is missing (apt-get install chromium)`);

/** Runs two simulated sensors for 24 h of fake time; returns their readings, oldest first. */
async function simulateDay(end: number): Promise<Reading[]> {
  let now = end - DAY;
  const clock: Clock = { wallNow: () => now, now: () => now, sleep: async () => undefined };
  const sensors = [new SimulatedSensor({ name: 'living', clock, seed: 7 }), new SimulatedSensor({ name: 'attic', clock, seed: 42 })];
  const readings: Reading[] = [];
  for (; now <= end; now += INTERVAL_MS) {
    for (const [i, sensor] of sensors.entries()) {
      const raw = await sensor.read();
      // The attic runs cooler and damper, so the two lines are told apart.
      const offset = i === 0 ? { t: 0, h: 0 } : { t: -5, h: 12 };
      readings.push({ id: `${sensor.name}-${now}`, sensor: sensor.name, temperature: raw.temperature + offset.t, humidity: raw.humidity + offset.h, time: now });
    }
  }
  return readings;
}

describe.skipIf(!haveChromium)(haveChromium ? `status page in headless ${CHROMIUM}` : `status page in a browser: SKIPPED, ${CHROMIUM} is missing`, () => {
  const end = Date.UTC(2026, 0, 15, 15, 42, 10);
  let server: StatusServer;
  let context: BrowserContext;
  let profile: string;
  let history: RingHistory;
  let readings: Reading[];
  let current: DaemonSnapshot;

  beforeAll(async () => {
    readings = await simulateDay(end);
    history = new RingHistory({ clock: { wallNow: () => end } });
    for (const r of readings) history.add(r);
    const last = (name: string): Reading => readings.filter((r) => r.sensor === name).at(-1)!;
    current = snapshot({
      now: end + 10_000,
      wallNow: end + 10_000,
      startedAt: end - DAY - 60_000,
      sensors: [
        sensorSnapshot('living', { model: 'DHT22', pin: 4, lastReading: last('living'), lastReadAt: end }),
        sensorSnapshot('attic', { model: 'DHT11', pin: 17, lastReading: last('attic'), lastReadAt: end }),
      ],
      delivery: { lastDeliveryAt: end + 7_000 },
      outbox: { depth: 1, bytes: 412 },
    });
    const snap = (): DaemonSnapshot => current;
    server = await startStatusServer({ host: '127.0.0.1', port: 0, snapshot: snap, history, metrics: new StatusMetrics(snap), logger: silentLogger() });
    profile = await mkdtemp(join(tmpdir(), 'dht-chromium-'));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
      viewport: { width: 1000, height: 900 },
      timeout: 60_000,
    });
    await mkdir(ARTIFACTS, { recursive: true });
  }, 90_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profile) await rm(profile, { recursive: true, force: true });
  });

  /** Text as a reader sees it (the page keeps numbers and units together with no-break spaces). */
  async function text(page: Page, selector: string): Promise<string> {
    return ((await page.textContent(selector)) ?? '').replace(/\s+/g, ' ');
  }

  async function open(viewport: { width: number; height: number }): Promise<{ page: Page; problems: string[] }> {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (msg) => {
      if (msg.type() === 'error' || msg.type() === 'warning') problems.push(`console.${msg.type()}: ${msg.text()}`);
    });
    page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
    page.on('requestfailed', (req) => problems.push(`request failed: ${req.url()} ${req.failure()?.errorText ?? ''}`));
    await page.setViewportSize(viewport);
    await page.goto(server.url + '/', { waitUntil: 'load', timeout: 30_000 });
    await page.waitForSelector('body[data-loaded="true"]', { timeout: 15_000 });
    return { page, problems };
  }

  it('shows identity, latest values, delivery state and a chart of every point, with no errors', async () => {
    const { page, problems } = await open({ width: 1000, height: 900 });
    expect(await page.textContent('#device')).toBe('pi @ dejanb');
    expect(await page.textContent('#endpoint')).toContain('https://http.sandbox.drogue.cloud/v1/status');
    expect(await text(page, '#location')).toMatch(/^Location 44\.8166, 20\.4721 · up 24 h 1 min · v0\.1\.0$/);
    expect(await page.textContent('#badge')).toBe('Healthy');

    for (const name of ['living', 'attic']) {
      const last = readings.filter((r) => r.sensor === name).at(-1)!;
      const card = page.locator(`article[data-sensor="${name}"]`);
      expect(await card.locator('.temp').textContent()).toBe(`${last.temperature.toFixed(1)}°C`);
      expect(await card.locator('.hum').textContent()).toBe(`${last.humidity.toFixed(1)}%`);
      expect((await card.locator('.age').textContent())?.replace(/\u00a0/g, ' ')).toBe('Read 10 s ago');
    }
    const delivery = await text(page, '#delivery');
    expect(delivery).toContain('Last delivery3 s ago');
    expect(delivery).toContain('1 event');
    expect(delivery).toContain('on disk');

    const expected = history.points().length;
    expect(expected).toBeGreaterThan(500);
    for (const chart of ['#chart-temp svg', '#chart-hum svg']) {
      expect(Number(await page.getAttribute(chart, 'data-points'))).toBe(expected);
      const paths = await page.locator(`${chart} path.line`).all();
      const vertices = await Promise.all(paths.map(async (p) => ((await p.getAttribute('d')) ?? '').match(/[ML]/g)?.length ?? 0));
      expect(vertices.reduce((a, b) => a + b, 0)).toBe(expected);
      expect(vertices).toHaveLength(2);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'status-page.png'), fullPage: true });
    await page.emulateMedia({ colorScheme: 'dark' });
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-dark.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });

  it('reads well on a phone and refreshes itself in place', async () => {
    const { page, problems } = await open({ width: 390, height: 844 });
    // Strings, not functions: this project compiles without the DOM lib.
    const overflow = await page.evaluate<number>('document.documentElement.scrollWidth - document.documentElement.clientWidth');
    expect(overflow).toBeLessThanOrEqual(0);
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-phone.png'), fullPage: true });

    await page.evaluate('window.notReloaded = true');
    current = { ...current, delivery: { ...current.delivery, consecutiveFailures: 2, lastError: '403 credentials refused', pausedUntil: end + 60_000 } };
    // A selector wait, not waitForFunction: the page's CSP forbids the eval that one needs.
    await page.waitForSelector('#badge[data-status="degraded"]', { timeout: 20_000 });
    expect(await page.textContent('#badge')).toBe('Degraded');
    expect(await page.evaluate<boolean>('window.notReloaded === true')).toBe(true);
    expect(await text(page, '#reasons')).toContain('endpoint refused the credentials (403 credentials refused)');
    expect(await text(page, '#delivery')).toContain('Failures in a row2');
    await page.screenshot({ path: join(ARTIFACTS, 'status-page-degraded.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
