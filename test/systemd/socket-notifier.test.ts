import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it, expect, afterEach } from 'vitest';
import { NullNotifier } from '../../src/systemd/notifier.js';
import { SocketNotifier, createNotifier } from '../../src/systemd/socket-notifier.js';
import { TelemetryError } from '../../src/errors.js';
import { loadUnixDgram } from '../../src/systemd/unix-dgram.js';
import { NotifyListener } from './notify-listener.js';
import { captureLogs } from './log-capture.js';

const WAIT_MS = 5_000;
let listeners: NotifyListener[] = [];

async function openListener(): Promise<NotifyListener> {
  const listener = await NotifyListener.open();
  listeners.push(listener);
  return listener;
}

afterEach(async () => {
  await Promise.all(listeners.map((l) => l.close()));
  listeners = [];
});

describe('createNotifier', () => {
  it('returns a no-op notifier when NOTIFY_SOCKET is unset or empty', async () => {
    const { logger } = captureLogs();
    expect(await createNotifier(undefined, logger)).toBeInstanceOf(NullNotifier);
    expect(await createNotifier('', logger)).toBeInstanceOf(NullNotifier);
  });

  it('refuses an abstract-namespace socket with a clear E_NOTIFY', async () => {
    const { logger } = captureLogs();
    const err = await createNotifier('@dht-telemetry/notify', logger).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TelemetryError);
    expect(err).toMatchObject({ code: 'E_NOTIFY' });
    expect((err as Error).message).toMatch(/abstract-namespace.*unix-dgram/);
  });

  it('refuses relative and over-long socket paths', async () => {
    const { logger } = captureLogs();
    await expect(createNotifier('run/notify', logger)).rejects.toMatchObject({ code: 'E_NOTIFY' });
    await expect(createNotifier(`/${'x'.repeat(120)}`, logger)).rejects.toThrow(/over the 107/);
  });

  it('fails with E_NOTIFY naming unix-dgram when NOTIFY_SOCKET is set but the addon is missing', async () => {
    const { logger } = captureLogs();
    const missing = Object.assign(new Error("Cannot find module 'unix-dgram'"), {
      code: 'MODULE_NOT_FOUND',
    });
    const err = await createNotifier('/run/notify.sock', logger, {
      loadAddon: () => Promise.reject(missing),
    }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'E_NOTIFY', cause: missing });
    expect((err as Error).message).toMatch(/NOTIFY_SOCKET is set .* unix-dgram could not be loaded/);
  });
});

describe('SocketNotifier (real unix datagram socket)', () => {
  it('sends READY=1 and WATCHDOG=1 as separate datagrams', async () => {
    const listener = await openListener();
    const { logger } = captureLogs();
    const notifier = await createNotifier(listener.path, logger);
    expect(notifier).toBeInstanceOf(SocketNotifier);

    await notifier.notify('READY=1');
    await notifier.notify('WATCHDOG=1');
    await listener.waitFor('WATCHDOG=1', WAIT_MS);

    expect(listener.texts()).toEqual(['READY=1', 'WATCHDOG=1']);
  });

  it('keeps a multi-line STATUS in one datagram of one line', async () => {
    const listener = await openListener();
    const { logger } = captureLogs();
    const notifier = await createNotifier(listener.path, logger);
    await notifier.notify('STATUS=ENDPOINT: bad\nAPP_ID: missing');
    const datagram = await listener.waitFor((t) => t.startsWith('STATUS='), WAIT_MS);
    expect(datagram.text).toBe('STATUS=ENDPOINT: bad; APP_ID: missing');
  });

  it('logs a send to a vanished socket once per errno and never throws', async () => {
    const listener = await openListener();
    const { logger, lines } = captureLogs();
    const notifier = await createNotifier(listener.path, logger);
    await listener.close(); // socket file gone

    await expect(notifier.notify('WATCHDOG=1')).resolves.toBeUndefined();
    await expect(notifier.notify('WATCHDOG=1')).resolves.toBeUndefined();

    const failures = lines.filter((l) => l.msg.startsWith('systemd notification failed'));
    expect(failures.map((l) => [l.level, l.errno])).toEqual([
      ['warn', 'ENOENT'],
      ['debug', 'ENOENT'],
    ]);
    expect(failures[0]).toMatchObject({ notify_socket: listener.path, state: 'WATCHDOG=1' });
  });

  it('reports a stale socket file (ECONNREFUSED), and says so when delivery works again', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'dht-notify-stale-'));
    try {
      const path = join(dir, 'notify.sock');
      const addon = await loadUnixDgram();
      const dead = addon.createSocket('unix_dgram');
      dead.bind(path);
      dead.close(); // the file stays, nobody reads it: what a crashed reader leaves behind

      const { logger, lines } = captureLogs();
      const notifier = await createNotifier(path, logger);
      await expect(notifier.notify('WATCHDOG=1')).resolves.toBeUndefined();
      expect(lines.filter((l) => l.level === 'warn').map((l) => l.errno)).toEqual(['ECONNREFUSED']);

      await rm(path);
      const listener = await NotifyListener.open({ path });
      listeners.push(listener);
      await notifier.notify('WATCHDOG=1');
      await listener.waitFor('WATCHDOG=1', WAIT_MS);
      expect(lines.some((l) => l.level === 'info' && l.msg === 'systemd notification delivered again')).toBe(true);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
