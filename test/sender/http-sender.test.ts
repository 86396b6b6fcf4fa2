import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MockAgent } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
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
