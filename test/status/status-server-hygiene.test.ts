// The status server against clients that misbehave, over real sockets: idle, half-sent and
// trickling connections are timed out (408 for a request that took too long), a few hundred of them cannot stop /healthz from
// answering, a DNS-rebinding Host is refused while bound to loopback, and a taken port
// is one configuration error naming STATUS_LISTEN.
import { createServer, type Server } from 'node:net';
import { connect, type Socket } from 'node:net';
import { request } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/errors.js';
import { silentLogger } from '../../src/log/logger.js';
import { RingHistory } from '../../src/status/reading-history.js';
import { StatusMetrics } from '../../src/status/status-metrics.js';
import { MAX_STATUS_CONNECTIONS, startStatusServer, STATUS_IDLE_TIMEOUT_MS, type StatusServer } from '../../src/status/status-server.js';
import { NOW, snapshot } from './snapshot-fixture.js';

let server: StatusServer | null = null;
const sockets: Socket[] = [];
let blocker: Server | null = null;

afterEach(async () => {
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  server = null;
  await new Promise<void>((resolve) => (blocker ? blocker.close(() => resolve()) : resolve()));
  blocker = null;
});

async function start(host = '127.0.0.1', port = 0): Promise<StatusServer> {
  const snap = () => snapshot();
  server = await startStatusServer({ host, port, snapshot: snap, history: new RingHistory({ clock: { wallNow: () => NOW } }), metrics: new StatusMetrics(snap), logger: silentLogger() });
  return server;
}

async function until(what: string, condition: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A client socket with everything the server sent so far. */
type ClientSocket = Socket & { received: string };

function openSocket(port: number, send?: string): Promise<ClientSocket> {
  return new Promise((resolve, reject) => {
    const socket = Object.assign(connect(port, '127.0.0.1', () => {
      if (send !== undefined) socket.write(send);
      resolve(socket);
    }), { received: '' });
    socket.on('error', () => undefined); // a reset by the server is what some tests expect
    socket.once('error', reject);
    // Read what the server sends, as a client does: the end of the stream (and so `closed`)
    // shows only once the data before it was read.
    socket.on('data', (d: Buffer) => (socket.received += d.toString()));
    sockets.push(socket);
  });
}

/** GET path with a Host header of our choosing (fetch would not let us set it); a bounded wait. */
function get(port: number, path: string, host?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, headers: host === undefined ? {} : { host }, agent: false, timeout: 10_000 }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path} got no answer within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

describe('status server hygiene', () => {
  it('keeps answering /healthz with 300 idle connections open, holding at most the connection cap', async () => {
    const { port } = await start();
    const idle: Socket[] = [];
    for (let i = 0; i < 300; i++) idle.push(await openSocket(port));
    // Half-sent requests (slowloris) count as idle too.
    for (let i = 0; i < 20; i++) idle.push(await openSocket(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n'));
    const health = await get(port, '/healthz');
    expect(health.status).toBe(200);
    expect(JSON.parse(health.body)).toMatchObject({ status: 'ok' });
    // The server closed the oldest idle ones to stay under its cap.
    await until('idle sockets closed down to the cap', () => idle.filter((s) => !s.destroyed && !s.readableEnded).length <= MAX_STATUS_CONNECTIONS, 10_000);
  });

  it('closes a connection that never finishes its request headers, and one that sits idle', async () => {
    const { port } = await start();
    const halfSent = await openSocket(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    const silent = await openSocket(port);
    const closed = (s: Socket) => new Promise<void>((resolve) => (s.closed ? resolve() : s.once('close', () => resolve())));
    // Within the shipped idle timeout plus the server's check interval and slack for a loaded machine.
    const deadline = STATUS_IDLE_TIMEOUT_MS * 4;
    await until('half-sent and silent sockets closed by the server', () => halfSent.closed && silent.closed, deadline);
    await Promise.all([closed(halfSent), closed(silent)]);
  });

  it('answers 408 and closes a connection whose headers trickle in past the headers timeout', async () => {
    const { port } = await start();
    const slow = await openSocket(port, 'GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
    // A byte every 500 ms keeps the socket from idling out: only the headers timeout can end it.
    const drip = setInterval(() => slow.writable && slow.write('a'), 500);
    try {
      await until('the trickling socket closed by the server', () => slow.closed, STATUS_IDLE_TIMEOUT_MS * 4);
    } finally {
      clearInterval(drip);
    }
    expect(slow.received).toMatch(/^HTTP\/1\.1 408 /);
  });

  it('answers 400 and closes a connection that sends what is not HTTP', async () => {
    const { port } = await start();
    const garbage = await openSocket(port, 'NOT HTTP AT ALL\r\n\r\n');
    await until('the garbage socket closed by the server', () => garbage.closed, STATUS_IDLE_TIMEOUT_MS * 4);
    expect(garbage.received).toMatch(/^HTTP\/1\.1 400 /);
  });

  it('bound to loopback, refuses a Host that is not a loopback name (DNS rebinding) with 421', async () => {
    const { port } = await start('127.0.0.1');
    const rebound = await get(port, '/healthz', `attacker.example:${port}`);
    expect(rebound.status).toBe(421);
    expect(rebound.body).not.toContain('geoloc');
    expect((await get(port, '/api/status', 'evil.localhost.attacker.example')).status).toBe(421);
    for (const host of [`127.0.0.1:${port}`, `localhost:${port}`, 'localhost', `[::1]:${port}`, `127.1.2.3:${port}`]) {
      expect((await get(port, '/healthz', host)).status, host).toBe(200);
    }
  });

  it('bound to a wildcard address, answers any Host (it is meant to be reached by name)', async () => {
    const { port } = await start('0.0.0.0');
    expect((await get(port, '/healthz', `raspberrypi.lan:${port}`)).status).toBe(200);
  });

  it('a taken port is one ConfigError naming STATUS_LISTEN, not a stack', async () => {
    blocker = createServer();
    await new Promise<void>((resolve) => blocker!.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as { port: number }).port;
    const err = await start('127.0.0.1', port).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(`STATUS_LISTEN: 127.0.0.1:${port} is already in use by another process (got "127.0.0.1:${port}", expected a free port, or STATUS_LISTEN= to turn the status server off)`);
  });
});
