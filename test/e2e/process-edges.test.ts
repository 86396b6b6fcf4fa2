// The built daemon as a process at its edges: every stop signal a supervisor or a
// terminal may send stops it cleanly, SIGUSR1 opens no inspector port, a real bug ends in
// one fatal line and a non-zero exit, and a taken status port is one line and exit 78.
import { connect, createServer, type Server } from 'node:net';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { startEndpoint, type EndpointServer } from '../../src/endpoint/endpoint-server.js';
import { EX_CONFIG, EX_SOFTWARE } from '../../src/cli/exit-codes.js';
import { cleanupAfterEach } from '../helpers/cleanups.js';
import { DaemonProcess, seedEnv, tempDir } from '../helpers/daemon-process.js';

const cleanups = cleanupAfterEach();
const THROW_LATER = fileURLToPath(new URL('./fixtures/throw-later.mjs', import.meta.url));

async function daemon(extra: Record<string, string> = {}): Promise<DaemonProcess & { endpoint: EndpointServer }> {
  const endpoint = await startEndpoint({});
  cleanups.push(() => endpoint.close());
  const dir = tempDir('dht-edges-');
  cleanups.push(dir.remove);
  const proc = new DaemonProcess(['run'], seedEnv(endpoint.url, dir.path, { LOG_LEVEL: 'info', ...extra }));
  cleanups.push(() => proc.kill());
  return Object.assign(proc, { endpoint });
}

/** Whether something accepts connections on 127.0.0.1:port (a bounded attempt). */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const timer = setTimeout(() => {
      socket.destroy();
      resolve(false);
    }, 2000);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => {
      clearTimeout(timer);
      resolve(false);
    });
  });
}

describe('the daemon process at its edges', () => {
  it.each(['SIGHUP', 'SIGUSR2', 'SIGTERM', 'SIGINT'] as const)('%s stops it cleanly: STOPPING, the outbox closed, exit 0', async (signal) => {
    const proc = await daemon();
    await proc.waitForLog((l) => l.msg === 'ready', 20_000);
    expect(await proc.stop(signal)).toBe(0);
    expect(proc.logs().find((l) => l.msg === 'stop requested')).toMatchObject({ signal });
    expect(proc.logs().at(-1)?.msg).toBe('stopped');
    expect(proc.stderr).toBe('');
  });

  it('SIGUSR1 opens no inspector (no port 9229, no "Debugger listening"); the daemon goes on and still stops cleanly', async () => {
    const proc = await daemon();
    await proc.waitForLog((l) => l.msg === 'ready', 20_000);
    proc.child.kill('SIGUSR1');
    await proc.waitForLog((l) => l.msg === 'signal ignored' && l.signal === 'SIGUSR1', 10_000);
    expect(proc.stderr).not.toContain('Debugger listening');
    expect(await listening(9229)).toBe(false);
    const before = proc.endpoint.received.length;
    await proc.endpoint.waitFor((r) => r.length > before, 20_000);
    expect(proc.child.exitCode).toBeNull();
    expect(await proc.stop('SIGTERM')).toBe(0);
    expect(proc.stderr).not.toContain('Debugger listening');
  });

  it.each([
    ['exception', 'uncaught_exception', 'boom from a timer'],
    ['rejection', 'unhandled_rejection', 'boom from a promise'],
  ])('an uncaught %s is one fatal line without a stack, and a non-zero exit', async (kind, reason, message) => {
    const proc = await daemon({ NODE_OPTIONS: `--import=${THROW_LATER}`, THROW_LATER: kind });
    expect(await proc.exited(20_000)).toBe(EX_SOFTWARE);
    const fatal = proc.logs().filter((l) => l.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(fatal[0]).toMatchObject({ reason, err: message });
    expect(fatal[0]).not.toHaveProperty('stack');
    expect(proc.stdout + proc.stderr).not.toMatch(/\n\s+at /);
  });

  it('at LOG_LEVEL=debug the fatal line carries the stack', async () => {
    const proc = await daemon({ NODE_OPTIONS: `--import=${THROW_LATER}`, THROW_LATER: 'exception', LOG_LEVEL: 'debug' });
    expect(await proc.exited(20_000)).toBe(EX_SOFTWARE);
    const fatal = proc.logs().filter((l) => l.level === 'fatal');
    expect(fatal).toHaveLength(1);
    expect(String(fatal[0]?.stack)).toMatch(/boom from a timer\n\s+at /);
  });

  it('a taken STATUS_LISTEN port: one line naming it, exit 78 (no restart loop), no stack', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    cleanups.push(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as { port: number }).port;
    const proc = await daemon({ STATUS_LISTEN: `127.0.0.1:${port}` });
    expect(await proc.exited(20_000)).toBe(EX_CONFIG);
    const errors = proc.logs().filter((l) => l.level === 'fatal' || l.level === 'error');
    expect(errors).toHaveLength(1);
    expect(errors[0]?.err).toBe(`STATUS_LISTEN: 127.0.0.1:${port} is already in use by another process (got "127.0.0.1:${port}", expected a free port, or STATUS_LISTEN= to turn the status server off)`);
    expect(proc.stdout + proc.stderr).not.toMatch(/\n\s+at /);
    expect(proc.logs().some((l) => l.msg === 'ready')).toBe(false);
  });
});
