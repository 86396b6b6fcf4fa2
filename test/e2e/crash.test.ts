// DESIGN §6 "a reading is durable within OUTBOX_SYNC_WINDOW of being taken", against the built
// daemon at the shipped defaults (OUTBOX_SYNC_WINDOW=100ms, SEND_CONCURRENCY=4, retry 1s..5m)
// with two sensors read in the same instant and the sender paused by an endpoint answering 503:
// SIGKILL at random points, several times, then every reading logged as queued more than one
// window before its kill is delivered.
import { describe, expect, it } from 'vitest';
import { startEndpoint, type ReceivedEvent } from '../../src/endpoint/endpoint-server.js';
import { DaemonProcess, seedEnv, tempDir } from '../helpers/daemon-process.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';

const cleanups = cleanupAfterEach();
const WINDOW_MS = 100; // the shipped OUTBOX_SYNC_WINDOW
/** Between the test's clock read and the kill landing in the child. */
const KILL_MARGIN_MS = 50;
const idOf = (e: ReceivedEvent): string => e.headers['ce-id'] ?? '';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The shipped delivery defaults, over seedEnv's fast test retries; two simulated sensors. */
const PRODUCTION = { SENSORS: 'left:sim:4,right:sim:17', INTERVAL: '1s', RETRY_BASE: '1s', RETRY_MAX: '5m', DRAIN_JITTER: '10s' };

describe('SIGKILL at the production defaults with two sensors and the sender paused', () => {
  it('loses no reading queued more than one sync window before a kill', async () => {
    const server = await startEndpoint({ users: [{ app: 'dejanb', device: 'pi', password: 'foobar' }] });
    cleanups.push(() => server.close());
    const dir = tempDir('dht-crash-');
    cleanups.push(dir.remove);
    server.setFaults({ status: 503 });

    const mustSurvive: string[] = [];
    let queuedByKilled = 0;
    for (let run = 0; run < 4; run++) {
      const daemon = new DaemonProcess(['run'], seedEnv(server.url, dir.path, PRODUCTION));
      cleanups.push(() => daemon.kill());
      // Both sensors have read at least twice, and the sender has met a 503 (it backs off).
      const deadline = Date.now() + 20_000;
      while (daemon.logs().filter((l) => l.msg === 'reading queued').length < 4 || !daemon.logs().some((l) => l.msg === 'send failed, will retry')) {
        if (Date.now() > deadline || daemon.child.exitCode !== null) throw new Error(`run ${run}: no readings and retries within 20 s:\n${daemon.stdout.slice(-2000)}`);
        await sleep(25);
      }
      await sleep(Math.floor(Math.random() * 1000)); // a random point in the reading cycle
      const killedAt = Date.now();
      daemon.kill();
      await daemon.exited(10_000);
      const queued = daemon.logs().filter((l) => l.msg === 'reading queued');
      queuedByKilled += queued.length;
      mustSurvive.push(...queued.filter((l) => Date.parse(String(l.time)) < killedAt - WINDOW_MS - KILL_MARGIN_MS).map((l) => String(l.event_id)));
    }
    expect(queuedByKilled).toBeGreaterThanOrEqual(16);
    expect(mustSurvive.length).toBeGreaterThanOrEqual(8);

    server.setFaults(null);
    const last = new DaemonProcess(['run'], seedEnv(server.url, dir.path, { ...PRODUCTION, DRAIN_JITTER: '0', INTERVAL: '1h' }));
    cleanups.push(() => last.kill());
    const delivered = (r: ReceivedEvent[]): Set<string> => new Set(r.filter((e) => e.status === 202).map(idOf));
    try {
      await server.waitFor((r) => mustSurvive.every((id) => delivered(r).has(id)), 30_000);
    } catch {
      // fall through to the assertion, which names what is missing
    }
    const got = delivered(server.received);
    expect(mustSurvive.filter((id) => !got.has(id))).toEqual([]);
    expect(await last.stop()).toBe(0);
  }, 120_000);
});
