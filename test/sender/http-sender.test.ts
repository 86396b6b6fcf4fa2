import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { systemClock } from '../../src/clock/clock.js';
import type { EndpointConfig } from '../../src/config/config.js';
import { HttpSender, basicAuthorization, requestUrl } from '../../src/sender/http-sender.js';
import { endpointConfig } from '../helpers/endpoint-config.js';

const ENDPOINT: EndpointConfig = endpointConfig();
const MESSAGE = { headers: { 'content-type': 'application/json', 'ce-id': 'x' }, body: '{"temp":21}' };

let agent: MockAgent;
const agents: MockAgent[] = [];
afterEach(async () => {
  await Promise.all(agents.splice(0).map((a) => a.close()));
});

function senderWith(reply: (pool: ReturnType<MockAgent['get']>) => void, endpoint: EndpointConfig = ENDPOINT) {
  agent = new MockAgent();
  agents.push(agent);
  agent.disableNetConnect();
  reply(agent.get('https://http.sandbox.drogue.cloud'));
  return new HttpSender({ endpoint, clock: systemClock, dispatcher: agent });
}

describe('HttpSender', () => {
  it('posts to the endpoint with data_schema, preemptive Basic auth and the ce-* headers', async () => {
    let seen: { path: string; headers: Record<string, string> } | undefined;
    const sender = senderWith((pool) =>
      pool.intercept({ path: (p) => p.startsWith('/v1/foo'), method: 'POST' }).reply(202, (opts) => {
        seen = { path: opts.path, headers: opts.headers as Record<string, string> };
        return '';
      }),
    );
    expect(await sender.send(MESSAGE)).toEqual({ outcome: 'delivered', status: 202, command: null });
    expect(seen?.path).toBe('/v1/foo?data_schema=urn%3Adrogue%3Aiot%3Atemperature');
    expect(seen?.headers.authorization).toBe(`Basic ${Buffer.from('pi@dejanb:foobar').toString('base64')}`);
    expect(seen?.headers['ce-id']).toBe('x');
  });

  it('percent-encodes the device id once in the user name', () => {
    const header = basicAuthorization({ appId: 'app', deviceId: 'my device', password: 'p' }) ?? '';
    expect(Buffer.from(header.replace('Basic ', ''), 'base64').toString()).toBe('my%20device@app:p');
    expect(basicAuthorization({ appId: 'a', deviceId: 'd', password: null })).toBeNull();
  });

  it('asks for commands with ct and returns a 200 command with its payload', async () => {
    const endpoint = { ...ENDPOINT, commandTimeoutS: 5 };
    expect(requestUrl(endpoint).searchParams.get('ct')).toBe('5');
    const sender = senderWith((pool) => pool.intercept({ path: (p) => p.includes('ct=5'), method: 'POST' }).reply(200, '30', { headers: { command: 'set-interval' } }), endpoint);
    const result = await sender.send(MESSAGE);
    expect(result.outcome).toBe('delivered');
    if (result.outcome === 'delivered') expect({ name: result.command?.name, payload: result.command?.payload.toString() }).toEqual({ name: 'set-interval', payload: '30' });
  });

  it('turns 429 with Retry-After into a retry with the wait', async () => {
    const sender = senderWith((pool) => pool.intercept({ path: () => true, method: 'POST' }).reply(429, 'slow down', { headers: { 'retry-after': '12' } }));
    expect(await sender.send(MESSAGE)).toMatchObject({ outcome: 'retry', status: 429, retryAfterMs: 12_000 });
  });

  it('turns 406 into a rejection and 403 into unauthorized', async () => {
    const s1 = senderWith((pool) => pool.intercept({ path: () => true, method: 'POST' }).reply(406, 'bad json'));
    expect(await s1.send(MESSAGE)).toMatchObject({ outcome: 'rejected', status: 406 });
    const s2 = senderWith((pool) => pool.intercept({ path: () => true, method: 'POST' }).reply(403, ''));
    expect(await s2.send(MESSAGE)).toMatchObject({ outcome: 'unauthorized', status: 403 });
  });

  it('turns a connection error into a retry, never a throw', async () => {
    const sender = senderWith((pool) => pool.intercept({ path: () => true, method: 'POST' }).replyWithError(Object.assign(new Error('refused'), { code: 'ECONNREFUSED' })));
    expect(await sender.send(MESSAGE)).toMatchObject({ outcome: 'retry', status: null });
  });

  it('gives up a POST the endpoint holds when the signal aborts (stopping), and sends nothing twice', async () => {
    const held: ServerResponse[] = [];
    const server = createServer((_req, res) => void held.push(res));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const sender = new HttpSender({ endpoint: endpointConfig({ url: new URL(`http://127.0.0.1:${port}/v1/foo`), requestTimeoutMs: 30_000 }), clock: systemClock });
    const stop = new AbortController();
    try {
      const started = Date.now();
      const pending = sender.send(MESSAGE, stop.signal);
      while (held.length === 0 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 10));
      expect(held).toHaveLength(1);
      stop.abort(new Error('stop timeout'));
      expect(await pending).toMatchObject({ outcome: 'retry', status: null });
      expect(Date.now() - started).toBeLessThan(5000);
      expect(await sender.send(MESSAGE, stop.signal)).toMatchObject({ outcome: 'retry' }); // already aborted: not sent
      expect(held).toHaveLength(1);
    } finally {
      await sender.close();
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
  });
});

// A misbehaving endpoint of the test's own on 127.0.0.1 (issue 12, findings 1–4).
describe('HttpSender against a hostile endpoint', () => {
  type Handler = (req: IncomingMessage, res: ServerResponse) => void;
  const servers: Server[] = [];
  const senders: HttpSender[] = [];
  afterEach(async () => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    }
    await Promise.all(senders.splice(0).map((s) => s.close()));
  });

  async function hostile(handler: Handler, overrides: Partial<EndpointConfig> = {}): Promise<{ sender: HttpSender; requests: () => number }> {
    let requests = 0;
    const server = createServer((req, res) => {
      requests++;
      req.resume();
      req.on('end', () => handler(req, res));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const sender = new HttpSender({ endpoint: endpointConfig({ url: new URL(`http://127.0.0.1:${port}/v1/foo`), requestTimeoutMs: 1000, ...overrides }), clock: systemClock });
    senders.push(sender);
    return { sender, requests: () => requests };
  }

  /** Settles within `ms` or fails the test (the unfixed sender hangs on some of these). */
  async function within<T>(promise: Promise<T>, ms: number): Promise<T> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
    try {
      return await Promise.race([promise, late]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Writes up to `limit` bytes as fast as the socket takes them, then holds the answer open. */
  function endless(res: ServerResponse, limit: number, written: { bytes: number; closed: boolean }): void {
    const chunk = Buffer.alloc(16 * 1024, 'x');
    res.on('close', () => (written.closed = true));
    const pump = (): void => {
      while (!written.closed && written.bytes < limit) {
        written.bytes += chunk.length;
        if (!res.write(chunk)) {
          res.once('drain', pump);
          return;
        }
      }
    };
    pump();
  }

  it('aborts a command body past 64 KiB and retries with reason body_too_large', async () => {
    const written = { bytes: 0, closed: false };
    const { sender } = await hostile((_req, res) => {
      res.writeHead(200, { command: 'set-interval' });
      endless(res, 16 * 1024 * 1024, written);
    });
    const result = await within(sender.send(MESSAGE), 8000);
    expect(result).toMatchObject({ outcome: 'retry', reason: 'body_too_large', status: 200 });
    await vi.waitFor(() => expect(written.closed).toBe(true), { timeout: 5000 });
    expect(written.bytes).toBeLessThan(4 * 1024 * 1024);
  });

  it('keeps a command payload of exactly 64 KiB', async () => {
    const payload = Buffer.alloc(64 * 1024, 'a');
    const { sender } = await hostile((_req, res) => {
      res.writeHead(200, { command: 'big' });
      res.end(payload);
    });
    const result = await within(sender.send(MESSAGE), 8000);
    expect(result.outcome).toBe('delivered');
    if (result.outcome === 'delivered') expect(result.command?.payload.length).toBe(64 * 1024);
  });

  it('gives up a 2xx whose body drips one byte at a time at the overall deadline, with reason deadline', async () => {
    const { sender } = await hostile((_req, res) => {
      res.writeHead(202, { 'content-length': '1000' });
      const drip = setInterval(() => res.write('x'), 200);
      res.on('close', () => clearInterval(drip));
    });
    const result = await within(sender.send(MESSAGE), 8000);
    expect(result).toMatchObject({ outcome: 'retry', reason: 'deadline' });
  });

  it('gives up headers that never come at the overall deadline too', async () => {
    const { sender } = await hostile(() => undefined, { requestTimeoutMs: 500 });
    expect(await within(sender.send(MESSAGE), 8000)).toMatchObject({ outcome: 'retry', reason: 'response timeout', status: null });
  });

  it('never follows a redirect: one request, the event kept, the Location reported without its password', async () => {
    const { sender, requests } = await hostile((_req, res) => {
      res.writeHead(301, { location: 'https://admin:hunter2@elsewhere.example/v1/foo?key=k' });
      res.end('moved');
    });
    const result = await within(sender.send(MESSAGE), 8000);
    expect(result).toMatchObject({ outcome: 'endpoint_fault', status: 301, location: 'https://elsewhere.example/v1/foo' });
    expect(requests()).toBe(1);
  });

  it.each([404, 410, 405])('keeps the event on %i (the endpoint is wrong, not the event)', async (status) => {
    const { sender } = await hostile((_req, res) => {
      res.writeHead(status);
      res.end('<html>not here</html>');
    });
    expect(await within(sender.send(MESSAGE), 8000)).toMatchObject({ outcome: 'endpoint_fault', status });
  });

  it('rejects an event whose headers cannot be sent, without a request leaving the machine', async () => {
    const { sender, requests } = await hostile((_req, res) => res.end());
    const result = await within(sender.send({ headers: { 'ce-subject': 'line\nbreak' }, body: '{}' }), 8000);
    expect(result).toMatchObject({ outcome: 'rejected', status: null });
    expect(requests()).toBe(0);
  });

  it('clamps a Retry-After in year 9999 to a wait a timer can hold', async () => {
    const { sender } = await hostile((_req, res) => {
      res.writeHead(503, { 'retry-after': 'Fri, 31 Dec 9999 23:59:59 GMT' });
      res.end();
    });
    const result = await within(sender.send(MESSAGE), 8000);
    expect(result).toMatchObject({ outcome: 'retry', status: 503 });
    if (result.outcome === 'retry') expect(result.retryAfterMs).toBeLessThan(2 ** 31);
  });
});

describe('HttpSender deadline range', () => {
  it('a REQUEST_TIMEOUT + COMMAND_TIMEOUT past what a timer holds does not fire after 1 ms', async () => {
    const server = createServer((req, res) => {
      req.resume();
      setTimeout(() => res.writeHead(202).end(), 100);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const sender = new HttpSender({ endpoint: endpointConfig({ url: new URL(`http://127.0.0.1:${port}/v1/foo`), requestTimeoutMs: 2 ** 31, commandTimeoutS: 3600 }), clock: systemClock });
    try {
      expect(await sender.send(MESSAGE)).toMatchObject({ outcome: 'delivered', status: 202 });
    } finally {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
      await sender.close();
    }
  });
});
