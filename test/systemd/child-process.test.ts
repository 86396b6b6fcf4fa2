// The notification path in a real separate process, with NOTIFY_SOCKET in its
// environment, as systemd or `podman run --sdnotify=container` would start it.
import { describe, it, expect, afterEach } from 'vitest';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { NotifyListener } from './notify-listener.js';

const WAIT_MS = 20_000;
const fixture = (name: string): string => fileURLToPath(new URL(`./fixtures/${name}`, import.meta.url));

interface Exit {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs `node script` and waits for it to exit by itself; kills it after WAIT_MS. */
function runNode(script: string, notifySocket: string): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], {
      env: { ...process.env, NOTIFY_SOCKET: notifySocket },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not exit within ${WAIT_MS} ms; stdout: ${stdout} stderr: ${stderr}`));
    }, WAIT_MS);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(err);
    });
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

let listener: NotifyListener | undefined;
afterEach(async () => {
  await listener?.close();
  listener = undefined;
});

describe('notification from a child process', () => {
  it('a node process using unix-dgram as socket-notifier.ts does delivers one datagram per state', async () => {
    listener = await NotifyListener.open();
    const exit = await runNode(fixture('notify-child-addon.mjs'), listener.path);
    expect(exit).toMatchObject({ code: 0, stderr: '' });
    await listener.waitFor('STOPPING=1', WAIT_MS);
    expect(listener.texts()).toEqual(['READY=1', 'WATCHDOG=1', 'STOPPING=1']);
  });

  // dist/ is always there: the global setup (test/helpers/global-build.ts) builds it.
  it(
    'the compiled daemon code (dist/) sends READY=1, then pings, then STOPPING=1, and exits by itself',
    async () => {
      listener = await NotifyListener.open();
      const exit = await runNode(fixture('notify-child-dist.mjs'), listener.path);
      expect(exit.stderr).toBe('');
      expect(exit.code).toBe(0);
      const report = JSON.parse(exit.stdout) as { notifier: string; pings: number };
      expect(report.notifier).toBe('SocketNotifier');
      expect(report.pings).toBeGreaterThanOrEqual(3);
      await listener.waitFor('STOPPING=1', WAIT_MS);

      const texts = listener.texts();
      expect(texts.slice(0, 2)).toEqual(['READY=1', 'STATUS=Ready (config, outbox)']);
      expect(texts.slice(2, -1)).toEqual(Array<string>(report.pings).fill('WATCHDOG=1'));
      expect(texts.at(-1)).toBe('STOPPING=1');
    },
  );
});
