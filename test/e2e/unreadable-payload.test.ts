// Issue 12, finding 5, against the built daemon: a stored payload that no longer parses (a
// flipped bit on an SD card) used to throw out of the forwarder and crash-loop the daemon
// after READY=1. Now it is moved to the dead letters as `unreadable` and the queue goes on.
// (Rows SQLite itself cannot read are the outbox's to handle; this is the payload inside a
// readable row.)
import Database from 'better-sqlite3';
import { join } from 'node:path';
import { expect, it } from 'vitest';
import { startEndpoint } from '../../src/endpoint/endpoint-server.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';
import { DaemonProcess, seedEnv, tempDir } from '../helpers/daemon-process.js';
import { storedIds } from '../helpers/outbox-file.js';

const cleanups = cleanupAfterEach();

it('a stored payload that does not parse is dead-lettered as unreadable, and the rest is delivered', async () => {
  const server = await startEndpoint({ users: [{ app: 'dejanb', device: 'pi', password: 'foobar' }] });
  cleanups.push(() => server.close());
  const dir = tempDir('dht-unreadable-');
  cleanups.push(dir.remove);
  const run = (extra: Record<string, string>): DaemonProcess => {
    const daemon = new DaemonProcess(['run'], seedEnv(server.url, dir.path, { SENSORS: 'living:sim:4,attic:sim:17', INTERVAL: '100ms', SEND_CONCURRENCY: '4', OUTBOX_SYNC_WINDOW: '100ms', ...extra }));
    cleanups.push(() => daemon.kill());
    return daemon;
  };

  // A backlog on disk: the endpoint is down while readings are taken.
  server.setFaults({ down: true });
  const first = run({});
  const deadline = Date.now() + 15_000;
  while (first.logs().filter((l) => l.msg === 'reading queued').length < 8 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
  expect(await first.stop()).toBe(0);
  const file = join(dir.path, 'outbox.db');
  const stored = storedIds(file);
  expect(stored.length).toBeGreaterThanOrEqual(8);

  // Two payloads damaged: one no longer JSON, one JSON of the wrong shape.
  const [flipped, wrongShape] = [stored[2] ?? '', stored[5] ?? ''];
  const db = new Database(file);
  db.prepare("UPDATE events SET payload = '}' || substr(payload, 2) WHERE id = ?").run(flipped);
  db.prepare("UPDATE events SET payload = '[1,2]' WHERE id = ?").run(wrongShape);
  db.close();

  // The next start drains the backlog (sampling slowly, so the backlog is what it sends).
  server.setFaults(null);
  const sentBefore = server.received.length;
  const second = run({ INTERVAL: '1h' });
  const intact = stored.filter((id) => id !== flipped && id !== wrongShape);
  await server.waitFor((received) => intact.every((id) => received.some((e) => e.status === 202 && e.headers['ce-id'] === id)), 20_000);
  expect(second.child.exitCode).toBeNull();
  expect(await second.stop()).toBe(0);

  const unreadable = second.logs().filter((l) => l.msg === 'stored event is unreadable, moved to the dead-letter table');
  expect(unreadable.map((l) => l.event_id).sort()).toEqual([flipped, wrongShape].sort());
  expect(unreadable.every((l) => l.level === 'error')).toBe(true);
  const check = new Database(file, { readonly: true });
  const dead = check.prepare('SELECT id, status, reason FROM dead_letters ORDER BY seq').all() as { id: string; status: number | null; reason: string }[];
  check.close();
  expect(dead.map((d) => [d.id, d.status, d.reason.startsWith('unreadable: ')]).sort()).toEqual([[flipped, null, true], [wrongShape, null, true]].sort());
  expect(server.received.slice(sentBefore).some((e) => e.headers['ce-id'] === flipped || e.headers['ce-id'] === wrongShape)).toBe(false);
  expect(second.stderr).not.toMatch(/SyntaxError|\n\s+at /);
}, 90_000);
