// DESIGN §6 against real processes on 127.0.0.1: nothing lost through outages,
// SIGKILL and refusals; Retry-After honoured; the outbox bounded.
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { startEndpoint, type EndpointServer, type ReceivedEvent } from '../../src/endpoint/endpoint-server.js';
import { UNSYNCED_LIMIT } from '../../src/outbox/sqlite-outbox.js';
import { DaemonProcess, seedEnv, tempDir } from '../helpers/daemon-process.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';
import { storedIds } from '../helpers/outbox-file.js';

const cleanups = cleanupAfterEach();

async function endpoint(): Promise<EndpointServer> {
  const server = await startEndpoint({ users: [{ app: 'dejanb', device: 'pi', password: 'foobar' }] });
  cleanups.push(() => server.close());
  return server;
}

function dataDir(): string {
  const dir = tempDir('dht-saf-');
  cleanups.push(dir.remove);
  return dir.path;
}

function start(url: string, dir: string, extra: Record<string, string> = {}): DaemonProcess {
  const daemon = new DaemonProcess(['run'], seedEnv(url, dir, extra));
  cleanups.push(() => daemon.kill());
  return daemon;
}

const idOf = (e: ReceivedEvent): string => e.headers['ce-id'] ?? '';
const timeOf = (e: ReceivedEvent): number => Date.parse(String((e.body as { time: string }).time));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every reading the daemon queued, by id, from its debug log. */
function queuedIds(...daemons: DaemonProcess[]): string[] {
  return daemons.flatMap((d) => d.logs().filter((l) => l.msg === 'reading queued').map((l) => String(l.event_id)));
}

/** Ids of the readings `daemon` logged as queued before `epochMs`. */
function queuedBefore(daemon: DaemonProcess, epochMs: number): string[] {
  return daemon.logs().filter((l) => l.msg === 'reading queued' && Date.parse(String(l.time)) < epochMs).map((l) => String(l.event_id));
}

describe('store and forward', () => {
  it('endpoint down for a stretch: every reading arrives after it comes back, in order, none twice', async () => {
    const server = await endpoint();
    const dir = dataDir();
    server.setFaults({ down: true });
    const daemon = start(server.url, dir, { INTERVAL: '50ms', SEND_CONCURRENCY: '1', RETRY_MAX: '300ms' });
    await daemon.waitForLog((l) => l.msg === 'send failed, will retry', 10_000);
    await sleep(1500);
    server.setFaults(null);
    await server.waitFor((r) => r.filter((e) => e.status === 202).length >= 40, 20_000);
    await daemon.stop();

    const accepted = server.accepted();
    const ids = accepted.map(idOf);
    expect(new Set(ids).size).toBe(ids.length);
    // What SIGTERM caught before its send stays on disk for the next start: the newest readings
    // (how many depends on how far the sender lagged on a loaded machine, not on correctness).
    const kept = storedIds(join(dir, 'outbox.db'));
    const queued = queuedIds(daemon);
    expect(new Set([...ids, ...kept])).toEqual(new Set(queued));
    expect(kept).toEqual(queued.slice(queued.length - kept.length));
    const times = accepted.map(timeOf);
    expect(times).toEqual([...times].sort((a, b) => a - b));
    expect(server.received.filter((e) => e.status !== 202).length).toBeGreaterThan(0);
  });

  it('SIGKILL during sends with OUTBOX_SYNC_WINDOW=0: zero lost, duplicates bounded by what was in flight and not synced', async () => {
    const server = await endpoint();
    const dir = dataDir();
    server.setFaults({ delayMs: 40 });
    const runs: DaemonProcess[] = [];
    for (let i = 0; i < 4; i++) {
      const daemon = start(server.url, dir, { INTERVAL: '20ms', SEND_CONCURRENCY: '2', OUTBOX_SYNC_WINDOW: '0' });
      runs.push(daemon);
      // Kill once this run has queued enough to count (a loaded machine reads more slowly).
      await daemon.waitForLog(() => queuedIds(daemon).length >= 8 + i, 20_000);
      daemon.kill();
      await daemon.exited(5000);
    }
    server.setFaults(null);
    const last = start(server.url, dir, { INTERVAL: '1h', SEND_CONCURRENCY: '2' });
    runs.push(last);
    const queued = new Set(queuedIds(...runs));
    expect(queued.size).toBeGreaterThan(20);
    await server.waitFor((r) => {
      const accepted = new Set(r.filter((e) => e.status === 202).map(idOf));
      return [...queued].every((id) => accepted.has(id));
    }, 20_000);
    await last.stop();

    const delivered = server.accepted().map(idOf);
    const unique = new Set(delivered);
    for (const id of queued) expect(unique.has(id)).toBe(true);
    // per killed run at most the in-flight events (SEND_CONCURRENCY=2) and the deletes not yet
    // synced (a window of 0 syncs them as a group, one group at a time) come twice
    expect(delivered.length - unique.size).toBeLessThanOrEqual(4 * (2 + UNSYNCED_LIMIT));
  }, 90_000);

  it('SIGKILL with the default 100 ms sync window: only readings of the last window are lost, duplicates bounded', async () => {
    const server = await endpoint();
    const dir = dataDir();
    server.setFaults({ delayMs: 40 });
    const runs: DaemonProcess[] = [];
    const killedAt: number[] = [];
    for (let i = 0; i < 3; i++) {
      const daemon = start(server.url, dir, { INTERVAL: '20ms', SEND_CONCURRENCY: '2' });
      runs.push(daemon);
      // Killed once 11 readings are older than the window and the margin below: on a loaded
      // machine a count of all queued readings says nothing about how many are that old.
      await daemon.waitForLog(() => queuedBefore(daemon, Date.now() - 100 - 50).length >= 11, 20_000);
      killedAt.push(Date.now());
      daemon.kill();
      await daemon.exited(5000);
    }
    server.setFaults(null);
    const last = start(server.url, dir, { INTERVAL: '1h', SEND_CONCURRENCY: '2' });
    await last.waitForLog((l) => l.msg === 'reading queued', 10_000);
    // A reading queued by a killed run more than a window (and a margin for the kill to land) before the kill is stored.
    const stored = runs.flatMap((d, i) => queuedBefore(d, (killedAt[i] ?? 0) - 100 - 50));
    expect(stored.length).toBeGreaterThan(30);
    await server.waitFor((r) => stored.every((id) => r.some((e) => e.status === 202 && idOf(e) === id)), 20_000);
    await last.stop();

    const delivered = server.accepted().map(idOf);
    const lost = queuedIds(...runs).filter((id) => !delivered.includes(id));
    expect(lost.length).toBeLessThanOrEqual(3 * 6); // 100 ms of 20 ms readings per kill, at most
    // in flight (2) and the deletes not synced yet (fewer than UNSYNCED_LIMIT) per kill, at most
    expect(delivered.length - new Set(delivered).size).toBeLessThanOrEqual(3 * (2 + UNSYNCED_LIMIT));
  }, 90_000);

  it('429 with Retry-After: no request before the time it names', async () => {
    const server = await endpoint();
    const dir = dataDir();
    server.setFaults({ status: 429, retryAfter: '2', times: 1 });
    // One reading, so one event: no other request can be on its way when the 429 comes back
    // (with several, up to SEND_CONCURRENCY were, and the server cannot tell them apart).
    // RETRY_MAX above the 2 s asked for: Retry-After never stretches a wait past RETRY_MAX.
    const daemon = start(server.url, dir, { INTERVAL: '1h', RETRY_BASE: '10ms', RETRY_MAX: '5s' });
    await server.waitFor((r) => r.some((e) => e.status === 202), 15_000);
    await daemon.stop();
    const [refused, ...rest] = server.received;
    expect(refused?.status).toBe(429);
    expect(rest.length).toBeGreaterThan(0);
    for (const e of rest) expect(e.receivedAt - (refused?.receivedAt ?? 0)).toBeGreaterThanOrEqual(2000);
  });

  it('503 then recovery: retried with backoff, the event keeps its id and its measurement time', async () => {
    const server = await endpoint();
    const dir = dataDir();
    server.setFaults({ status: 503, times: 3 });
    const daemon = start(server.url, dir, { INTERVAL: '1h' });
    await server.waitFor((r) => r.some((e) => e.status === 202), 15_000);
    await daemon.stop();
    const ids = new Set(server.received.map(idOf));
    expect(ids.size).toBe(1);
    expect(new Set(server.received.map((e) => (e.body as { time: string }).time)).size).toBe(1);
    expect(server.received.map((e) => e.status)).toEqual([503, 503, 503, 202]);
  });

  it('a full outbox drops the oldest and the count says how many', async () => {
    const server = await endpoint();
    const dir = dataDir();
    server.setFaults({ down: true });
    const daemon = start(server.url, dir, { INTERVAL: '10ms', OUTBOX_MAX_BYTES: '64KiB', RETRY_BASE: '1s', RETRY_MAX: '1s' });
    const line = await daemon.waitForLog((l) => l.msg === 'outbox full, dropped the oldest events', 20_000);
    expect(Number(line.dropped)).toBeGreaterThan(0);
    await daemon.stop();
    const stopped = daemon.logs().find((l) => l.msg === 'stopped');
    const dropped = daemon.logs().filter((l) => l.msg === 'outbox full, dropped the oldest events').reduce((n, l) => n + Number(l.dropped), 0);
    const queued = queuedIds(daemon).length;
    expect(Number(stopped?.queued) + dropped).toBe(queued);
    const db = new Database(join(dir, 'outbox.db'), { readonly: true });
    const { bytes } = db.prepare('SELECT COALESCE(SUM(LENGTH(CAST(payload AS BLOB))), 0) AS bytes FROM events').get() as { bytes: number };
    db.close();
    expect(bytes).toBeLessThanOrEqual(64 * 1024);
  });

  it('406 events end in the dead-letter table, inspectable with `dht-telemetry outbox`, and do not block the queue', async () => {
    const server = await endpoint();
    const dir = dataDir();
    server.setFaults({ status: 406, times: 3 });
    const daemon = start(server.url, dir, { INTERVAL: '100ms', SEND_CONCURRENCY: '1' });
    await server.waitFor((r) => r.filter((e) => e.status === 202).length >= 3, 15_000);
    await daemon.stop();
    const inspect = new DaemonProcess(['outbox', '--limit', '10'], { DATA_DIR: dir });
    expect(await inspect.exited(10_000)).toBe(0);
    type Letter = { id: string; status: number; reason: string; message: { headers: Record<string, string>; body: string } };
    const letters = inspect.stdout.trim().split('\n').map((l) => JSON.parse(l) as Letter);
    expect(letters).toHaveLength(3);
    for (const l of letters) expect(l).toMatchObject({ status: 406, reason: expect.stringContaining('JSON') as unknown });
    const refused = server.received.filter((e) => e.status === 406);
    expect(new Set(letters.map((l) => l.id))).toEqual(new Set(refused.map(idOf)));
    // Each letter shows the message as it was sent: its ce-* headers and its body.
    for (const l of letters) {
      const sent = refused.find((e) => idOf(e) === l.id);
      const ceHeaders = Object.fromEntries(Object.entries(sent?.headers ?? {}).filter(([name]) => name.startsWith('ce-')));
      expect(l.message.headers).toMatchObject(ceHeaders);
      expect(JSON.parse(l.message.body)).toEqual(sent?.body);
    }
  });

  it('slow answers past the timeout and connections reset mid-response are retried until delivered, without a crash', async () => {
    const server = await endpoint();
    const dir = dataDir();
    server.setFaults({ delayMs: 1500, times: 2 });
    const daemon = start(server.url, dir, { INTERVAL: '1h', REQUEST_TIMEOUT: '300ms' });
    await daemon.waitForLog((l) => l.msg === 'send failed, will retry' && l.reason === 'response timeout', 10_000);
    server.setFaults({ reset: true, times: 2 });
    await server.waitFor((r) => r.some((e) => e.status === 202), 15_000);
    expect(await daemon.stop()).toBe(0);
    expect(daemon.logs().some((l) => l.msg === 'send failed, will retry' && l.reason === 'connection reset')).toBe(true);
    expect(new Set(server.received.map(idOf)).size).toBe(1);
  });

  it('a DNS failure keeps the readings queued and the daemon running', async () => {
    const dir = dataDir();
    const daemon = start('http://no-such-host.invalid', dir, { INTERVAL: '100ms' });
    const line = await daemon.waitForLog((l) => l.msg === 'send failed, will retry', 10_000);
    expect(line.reason).toBe('DNS lookup failed');
    await daemon.waitForLog(() => queuedIds(daemon).length >= 3, 10_000);
    expect(await daemon.stop()).toBe(0);
    expect(Number(daemon.logs().find((l) => l.msg === 'stopped')?.queued)).toBeGreaterThan(2);
  });
});
