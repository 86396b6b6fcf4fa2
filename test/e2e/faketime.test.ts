// The BUILT daemon with its wall clock stepped while it runs (issue 13): libfaketime
// (Debian's faketime package) fakes CLOCK_REALTIME from a file it re-reads on every call
// (FAKETIME_NO_CACHE=1), and leaves CLOCK_MONOTONIC alone (FAKETIME_DONT_FAKE_MONOTONIC=1),
// which is what NTP does to a Pi. Rewriting the file ("-3600", "+0") steps the clock.
// Every event the endpoint receives must carry a time inside the real run, time and
// data.time alike, and readings must keep being taken after every step.
import { existsSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cleanupAfterEach } from '../helpers/cleanups.js';
import { DaemonProcess, seedEnv, tempDir } from '../helpers/daemon-process.js';

const LIBFAKETIME = '/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1';
const haveFaketime = existsSync(LIBFAKETIME);
if (!haveFaketime) console.warn(`faketime test SKIPPED: ${LIBFAKETIME} is missing (apt-get install faketime)`);

const cleanups = cleanupAfterEach();
const YEAR_S = 365 * 24 * 3600;

interface Event {
  time: string;
  dataTime: string;
  at: number;
}

/** A Drogue-like endpoint on 127.0.0.1: 202 while up, the connection cut while down. */
async function endpoint(): Promise<{ url: string; events: Event[]; up: (on: boolean) => void }> {
  const events: Event[] = [];
  let isUp = true;
  const server: Server = createServer((req, res) => {
    if (!isUp) {
      req.socket.destroy();
      return;
    }
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      const data = JSON.parse(body) as { time: string };
      events.push({ time: String(req.headers['ce-time']), dataTime: data.time, at: Date.now() });
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  cleanups.push(() => new Promise((resolve) => server.close(resolve)));
  cleanups.push(() => server.closeAllConnections());
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, events, up: (on) => (isUp = on) };
}

/** The built daemon under libfaketime, its wall clock offset by `offset` ("-3600", "+0"). */
function fakedDaemon(url: string, offset: string, extra: Record<string, string> = {}): { daemon: DaemonProcess; step: (offset: string) => void } {
  const dir = tempDir('dht-faketime-');
  cleanups.push(dir.remove);
  const file = join(dir.path, 'faketime');
  writeFileSync(file, `${offset}\n`);
  const env = {
    ...seedEnv(url, join(dir.path, 'data'), { INTERVAL: '1', ...extra }),
    LD_PRELOAD: LIBFAKETIME,
    FAKETIME_TIMESTAMP_FILE: file,
    FAKETIME_NO_CACHE: '1',
    FAKETIME_DONT_FAKE_MONOTONIC: '1',
  };
  const daemon = new DaemonProcess([], env);
  cleanups.push(() => daemon.stop());
  return { daemon, step: (o) => writeFileSync(file, `${o}\n`) };
}

const queuedReadings = (d: DaemonProcess): number => d.logs().filter((l) => l.msg === 'reading queued').length;

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The `clock` object of the daemon's /healthz. */
async function clockOf(statusUrl: string): Promise<Record<string, unknown>> {
  const res = await fetch(`${statusUrl}/healthz`, { signal: AbortSignal.timeout(5000) });
  return ((await res.json()) as { clock: Record<string, unknown> }).clock;
}

function expectWithinRun(events: Event[], from: number, to: number): void {
  expect(events.length).toBeGreaterThan(0);
  for (const e of events) {
    expect(e.dataTime).toBe(e.time);
    const t = Date.parse(e.time);
    expect(t, e.time).toBeGreaterThanOrEqual(from - 1000);
    expect(t, e.time).toBeLessThanOrEqual(to + 1000);
  }
}

describe.skipIf(!haveFaketime)(haveFaketime ? 'the built daemon under libfaketime' : `clock steps: SKIPPED, ${LIBFAKETIME} is missing`, () => {
  it('starts three years back: readings are held, none sent; stepped to now with the endpoint up, all go out with true times', async () => {
    const runStart = Date.now();
    const ep = await endpoint();
    const { daemon, step } = fakedDaemon(ep.url, `-${3 * YEAR_S}`, { STATUS_LISTEN: '127.0.0.1:0' });
    const status = String((await daemon.waitForLog((l) => l.msg === 'status server listening', 30_000)).url);
    await until('5 readings queued below the floor', () => queuedReadings(daemon) >= 5, 30_000);
    expect(ep.events).toEqual([]);
    expect((await clockOf(status)).belowFloor).toBe(true);
    step('+0');
    const queued = queuedReadings(daemon);
    await until('the held readings and 3 more delivered', () => ep.events.length >= queued + 3, 30_000);
    expectWithinRun(ep.events, runStart, Date.now());
    const clock = await clockOf(status);
    expect(clock.belowFloor).toBe(false);
    expect(Date.parse(String(clock.steppedAt))).toBeGreaterThanOrEqual(runStart - 1000);
  }, 90_000);

  it('starts two hours back with the endpoint down; stepped to now, then the endpoint comes up: all go out with true times', async () => {
    const runStart = Date.now();
    const ep = await endpoint();
    ep.up(false);
    const { daemon, step } = fakedDaemon(ep.url, '-7200');
    await until('4 readings queued', () => queuedReadings(daemon) >= 4, 30_000);
    step('+0');
    const atStep = queuedReadings(daemon);
    await until('3 readings after the step', () => queuedReadings(daemon) >= atStep + 3, 30_000);
    ep.up(true);
    const queued = queuedReadings(daemon);
    await until('every queued reading delivered', () => new Set(ep.events.map((e) => e.time)).size >= queued, 30_000);
    expectWithinRun(ep.events, runStart, Date.now());
  }, 90_000);

  it('steps back one hour at INTERVAL=1: readings keep being taken; stepped back to now, all go out with true times', async () => {
    const runStart = Date.now();
    const ep = await endpoint();
    const { daemon, step } = fakedDaemon(ep.url, '+0');
    await until('3 readings delivered', () => ep.events.length >= 3, 30_000);
    step('-3600');
    const atStep = queuedReadings(daemon);
    await until('5 readings after the step back', () => queuedReadings(daemon) >= atStep + 5, 30_000);
    step('+0');
    const queued = queuedReadings(daemon);
    await until('every queued reading delivered', () => new Set(ep.events.map((e) => e.time)).size >= queued, 30_000);
    expectWithinRun(ep.events, runStart, Date.now());
  }, 90_000);
});
