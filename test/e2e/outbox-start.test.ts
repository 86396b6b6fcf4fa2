// READY=1 needs the outbox open on disk, and one daemon per DATA_DIR: the built daemon as a
// process, over a REAL notify socket, at the shipped defaults.
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { startEndpoint } from '../../src/endpoint/endpoint-server.js';
import { NotifyListener } from '../systemd/notify-listener.js';
import { DaemonProcess, seedEnv, tempDir } from '../helpers/daemon-process.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';

const cleanups = cleanupAfterEach();

async function setup() {
  const endpoint = await startEndpoint({});
  cleanups.push(() => endpoint.close());
  const dir = tempDir('dht-outbox-start-');
  cleanups.push(dir.remove);
  return { endpoint, dir: dir.path };
}

async function start(endpointUrl: string, dataDir: string, extra: Record<string, string> = {}, wrap?: string[]) {
  const listener = await NotifyListener.open();
  cleanups.push(() => listener.close());
  const daemon = new DaemonProcess(['run'], seedEnv(endpointUrl, dataDir, { NOTIFY_SOCKET: listener.path, ...extra }), wrap ? { wrap } : {});
  cleanups.push(() => daemon.kill());
  return { listener, daemon };
}

describe('READY=1 needs the outbox on disk', () => {
  it('an unusable DATA_DIR: no READY=1, the disk is tried again, exit 1 after START_TIMEOUT with one line', async () => {
    const { endpoint, dir } = await setup();
    // Root ignores file modes, so block the path with a file: nothing can be created under it.
    writeFileSync(join(dir, 'blocker'), 'not a directory');
    const { listener, daemon } = await start(endpoint.url, join(dir, 'blocker', 'data'), { START_TIMEOUT: '3s' });
    expect(await daemon.exited(20_000)).toBe(1);
    expect(listener.count('READY=1')).toBe(0);
    const fatal = daemon.logs().filter((l) => l.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(String(fatal[0]?.err)).toContain('outbox on disk');
    expect(daemon.stderr).not.toMatch(/\n\s+at /); // no stack
  });

  it('an outbox file of a newer format: no READY=1, exit 1, and the file is left as it was', async () => {
    const { endpoint, dir } = await setup();
    const data = join(dir, 'data');
    mkdirSync(data);
    const db = new Database(join(data, 'outbox.db'));
    db.exec('CREATE TABLE future (x); PRAGMA user_version = 99;');
    db.close();
    const { listener, daemon } = await start(endpoint.url, data, { START_TIMEOUT: '3s' });
    expect(await daemon.exited(20_000)).toBe(1);
    expect(listener.count('READY=1')).toBe(0);
    expect(daemon.logs().some((l) => /newer than this version understands/.test(JSON.stringify(l)))).toBe(true);
    const again = new Database(join(data, 'outbox.db'), { readonly: true });
    expect(again.pragma('user_version', { simple: true })).toBe(99);
    again.close();
  });

  it('a DATA_DIR that becomes usable within START_TIMEOUT: READY=1 once the outbox is on disk', async () => {
    const { endpoint, dir } = await setup();
    const blocker = join(dir, 'blocker');
    writeFileSync(blocker, 'not a directory');
    const { listener, daemon } = await start(endpoint.url, join(blocker, 'data'), { START_TIMEOUT: '60s' });
    await daemon.waitForLog((l) => l.msg === 'reading queued', 20_000);
    expect(listener.count('READY=1')).toBe(0);
    rmSync(blocker);
    await listener.waitFor('READY=1', 20_000);
    expect(daemon.logs().some((l) => /outbox disk works again/.test(l.msg))).toBe(true);
    expect(await daemon.stop()).toBe(0);
  });
});

describe('one daemon per DATA_DIR', () => {
  it('a second daemon exits 1 with one line naming the holder, also from another PID namespace; a SIGKILLed holder leaves no stale lock', async () => {
    const { endpoint, dir } = await setup();
    const data = join(dir, 'data');
    const first = await start(endpoint.url, data);
    await first.listener.waitFor('READY=1', 20_000);

    const second = await start(endpoint.url, data);
    expect(await second.daemon.exited(20_000)).toBe(1);
    const fatal = second.daemon.logs().filter((l) => l.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(String(fatal[0]?.err)).toContain(`pid ${first.daemon.child.pid} on host`);
    expect(second.listener.count('READY=1')).toBe(0);

    // Two containers sharing a volume: the second one's PID namespace sees no such pid.
    const isolated = await start(endpoint.url, data, {}, ['unshare', '--pid', '--fork']);
    expect(await isolated.daemon.exited(20_000)).toBe(1);
    expect(String(isolated.daemon.logs().find((l) => l.level === 'fatal')?.err)).toContain('is in use by another dht-telemetry');

    first.daemon.kill();
    await first.daemon.exited(10_000);
    const next = await start(endpoint.url, data);
    await next.listener.waitFor('READY=1', 20_000);
    expect(await next.daemon.stop()).toBe(0);
  });
});

