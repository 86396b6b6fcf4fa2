import { afterEach, describe, expect, it } from 'vitest';
import { Readable } from 'node:stream';
import { Client, request } from 'undici';
import { FakeClock } from '../../src/clock/fake-clock.js';
import {
  MAX_BODY_BYTES,
  NO_RESPONSE,
  startEndpoint,
  type EndpointOptions,
  type EndpointServer,
} from '../../src/endpoint/endpoint-server.js';
import { READING, basic, send, until, within } from './endpoint-test-helpers.js';

const USERS = [
  { app: 'dejanb', device: 'pi', password: 'foobar' },
  { app: 'app', device: 'device id with space', password: 's3cret' },
];
const AUTH = { authorization: basic('pi@dejanb', 'foobar'), 'content-type': 'application/json' };
const BODY = JSON.stringify(READING);

let servers: EndpointServer[] = [];
let clients: Client[] = [];

async function start(options: EndpointOptions = {}): Promise<EndpointServer> {
  const server = await startEndpoint({ users: USERS, ...options });
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(clients.map((c) => c.destroy()));
  await Promise.all(servers.map((s) => within(s.close(), 5000, 'close')));
  servers = [];
  clients = [];
});

describe('device protocol', () => {
  it('accepts a reading with 202, an empty body, and records who sent what', async () => {
    const ep = await start();
    const reply = await send(ep.url, { path: '/v1/status?data_schema=urn:drogue:iot:temperature', headers: AUTH, body: BODY });

    expect(reply.status).toBe(202);
    expect(reply.text).toBe('');
    expect(ep.received).toHaveLength(1);
    const e = ep.received[0]!;
    expect(e).toMatchObject({ method: 'POST', path: '/v1/status', channel: 'status', subject: null, app: 'dejanb', device: 'pi', status: 202 });
    expect(e.query).toEqual({ data_schema: 'urn:drogue:iot:temperature' });
    expect(e.body).toEqual(READING);
    expect(e.rawBody).toBe(BODY);
    expect(e.headers.authorization).toBe(AUTH.authorization);
    expect(ep.accepted()).toEqual([e]);
  });

  it('accepts a subject path after the channel, as Drogue does', async () => {
    const ep = await start();
    const reply = await send(ep.url, { path: '/v1/telemetry/living/room', headers: AUTH, body: BODY });
    expect(reply.status).toBe(202);
    expect(ep.received[0]).toMatchObject({ channel: 'telemetry', subject: 'living/room' });
  });

  it.each([
    ['a wrong password', { authorization: basic('pi@dejanb', 'wrong') }],
    ['no credentials', {}],
    ['an unknown device', { authorization: basic('other@dejanb', 'foobar') }],
    ['an unknown app', { authorization: basic('pi@elsewhere', 'foobar') }],
    ['a username without an app', { authorization: basic('pi', 'foobar') }],
    ['a bearer token', { authorization: 'Bearer abc' }],
    ['garbage', { authorization: 'Basic %%%' }],
  ])('answers 403 (never a 401 challenge) for %s', async (_, headers: Record<string, string>) => {
    const ep = await start();
    const reply = await send(ep.url, { headers: { ...headers, 'content-type': 'application/json' }, body: BODY });
    expect(reply.status).toBe(403);
    expect(reply.headers['www-authenticate']).toBeUndefined();
    expect(JSON.parse(reply.text)).toMatchObject({ error: 'AuthenticationError' });
    expect(ep.received.map((e) => e.status)).toEqual([403]);
    expect(ep.accepted()).toEqual([]);
  });

  it('takes the device id percent-encoded once in the username', async () => {
    const ep = await start();
    const username = `${encodeURIComponent('device id with space')}@app`;
    expect(username).toBe('device%20id%20with%20space@app');
    const reply = await send(ep.url, { headers: { authorization: basic(username, 's3cret') }, body: BODY });
    expect(reply.status).toBe(202);
    expect(ep.received[0]).toMatchObject({ app: 'app', device: 'device id with space' });
  });

  it('knows the other auth forms: ?application= and ?application=&device=', async () => {
    const ep = await start();
    const appOnly = await send(ep.url, { path: '/v1/status?application=dejanb', headers: { authorization: basic('pi', 'foobar') }, body: BODY });
    const both = await send(ep.url, {
      path: '/v1/status?application=dejanb&device=pi',
      headers: { authorization: basic('pi', 'foobar') },
      body: BODY,
    });
    const deviceOnly = await send(ep.url, { path: '/v1/status?device=pi', headers: { authorization: basic('pi@dejanb', 'foobar') }, body: BODY });
    expect([appOnly.status, both.status, deviceOnly.status]).toEqual([202, 202, 202]);
    expect(ep.received.map((e) => `${e.device}@${e.app}`)).toEqual(['pi@dejanb', 'pi@dejanb', 'pi@dejanb']);
  });

  it('is open without users: any or no credentials pass, and who it was is still recorded', async () => {
    const ep = await start({ users: [] });
    const anonymous = await send(ep.url, { body: BODY });
    const named = await send(ep.url, { headers: { authorization: basic('sensor%201@lab', 'anything') }, body: BODY });
    expect([anonymous.status, named.status]).toEqual([202, 202]);
    expect(ep.received.map((e) => [e.app, e.device])).toEqual([
      [null, null],
      ['lab', 'sensor 1'],
    ]);
  });

  it.each([
    ['not JSON', 'temp=21.3'],
    ['an empty body', ''],
    ['truncated JSON', '{"temp": 21.3'],
  ])('answers 406 for %s', async (_, body) => {
    const ep = await start();
    const reply = await send(ep.url, { headers: AUTH, body });
    expect(reply.status).toBe(406);
    expect(ep.received[0]).toMatchObject({ status: 406, rawBody: body, body: null });
  });

  it(`accepts a body of exactly ${MAX_BODY_BYTES} bytes and answers 413 to one byte more`, async () => {
    const ep = await start();
    const fits = JSON.stringify('x'.repeat(MAX_BODY_BYTES - 2));
    expect(Buffer.byteLength(fits)).toBe(MAX_BODY_BYTES);
    const tooBig = JSON.stringify('x'.repeat(MAX_BODY_BYTES - 1));

    expect((await send(ep.url, { headers: AUTH, body: fits })).status).toBe(202);
    const reply = await send(ep.url, { headers: AUTH, body: tooBig });
    expect(reply.status).toBe(413);
    expect(ep.received.map((e) => e.status)).toEqual([202, 413]);
    // The endpoint goes on serving after refusing a large body.
    expect((await send(ep.url, { headers: AUTH, body: BODY })).status).toBe(202);
  });

  it('answers 413 from a declared length without reading the body', async () => {
    const ep = await start();
    const client = new Client(ep.url);
    clients.push(client);
    const chunks = Readable.from((async function* () {
      yield Buffer.alloc(1024, 0x20);
      // Never sends the rest: the answer has to come from Content-Length alone.
      await new Promise((resolve) => setTimeout(resolve, 60_000).unref());
    })());
    const res = await within(
      client.request({ path: '/v1/status', method: 'POST', headers: { ...AUTH, 'content-length': String(1024 * 1024) }, body: chunks }),
      5000,
      'a 413 answer',
    );
    expect(res.statusCode).toBe(413);
    await res.body.text().catch(() => '');
  });

  it.each(['abc', '-1', '1.5', ''])('answers 400 to ct=%j', async (ct) => {
    const ep = await start();
    const reply = await send(ep.url, { path: `/v1/status?ct=${ct}`, headers: AUTH, body: BODY });
    expect(reply.status).toBe(400);
  });

  it.each(['/v1', '/v1/', '/v2/status', '/status'])('answers 404 to POST %s', async (path) => {
    const ep = await start();
    expect((await send(ep.url, { path, headers: AUTH, body: BODY })).status).toBe(404);
  });

  it.each(['GET', 'PUT', 'DELETE'] as const)('answers 405 to %s on a channel, naming POST', async (method) => {
    const ep = await start();
    const reply = await send(ep.url, { method, headers: AUTH, body: method === 'GET' ? undefined : BODY });
    expect(reply.status).toBe(405);
    expect(reply.headers.allow).toBe('POST');
  });
});

describe('content modes', () => {
  it('reads a binary-mode event: payload in the body, attributes from ce-* headers', async () => {
    const ep = await start();
    const reply = await send(ep.url, {
      headers: {
        ...AUTH,
        'ce-specversion': '1.0',
        'ce-id': 'b7c1e5f0-0000-4000-8000-000000000001',
        'ce-source': 'drogue://dejanb/pi',
        'ce-type': 'io.drogue.dht.reading.v1',
        'ce-subject': 'status',
      },
      body: BODY,
    });
    expect(reply.status).toBe(202);
    const e = ep.received[0]!;
    expect(e.mode).toBe('binary');
    expect(e.data).toEqual(READING);
    expect(e.ce).toMatchObject({
      specversion: '1.0',
      id: 'b7c1e5f0-0000-4000-8000-000000000001',
      source: 'drogue://dejanb/pi',
      type: 'io.drogue.dht.reading.v1',
      datacontenttype: 'application/json',
    });
  });

  it('stores a structured event whole, as Drogue does: the envelope is the payload, temp is not at its top level', async () => {
    const ep = await start();
    const event = {
      specversion: '1.0',
      id: 'id-1',
      source: 'drogue://dejanb/pi',
      type: 'io.drogue.dht.reading.v1',
      time: READING.time,
      datacontenttype: 'application/json',
      data: READING,
    };
    const reply = await send(ep.url, {
      headers: { authorization: AUTH.authorization, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify(event),
    });
    expect(reply.status).toBe(202);
    const e = ep.received[0]!;
    expect(e.mode).toBe('structured');
    expect(e.body).toEqual(event);
    expect(e.data).toEqual(event);
    expect(e.dataContentType).toBe('application/json');
    expect(e.ce).toMatchObject({ id: 'id-1', source: 'drogue://dejanb/pi', time: READING.time });
    expect(e.ce.data).toBeUndefined();
  });

  it('accepts a structured body that is no CloudEvent: Drogue does not look inside the payload', async () => {
    const ep = await start();
    const reply = await send(ep.url, {
      headers: { authorization: AUTH.authorization, 'content-type': 'application/cloudevents+json' },
      body: JSON.stringify({ specversion: '1.0', data: READING }),
    });
    expect(reply.status).toBe(202);
  });
});

describe('commands over ct', () => {
  it('answers 200 with the command header and raw payload when one is queued', async () => {
    const ep = await start();
    ep.queueCommand('pi', 'set-interval', '60');
    ep.queueCommand('pi', 'led', Buffer.from([0x6f, 0x6e]));

    const first = await send(ep.url, { path: '/v1/status?ct=30', headers: AUTH, body: BODY });
    const second = await send(ep.url, { path: '/v1/status?ct=30', headers: AUTH, body: BODY });
    expect([first.status, first.headers.command, first.text]).toEqual([200, 'set-interval', '60']);
    expect([second.status, second.headers.command, second.text]).toEqual([200, 'led', 'on']);
    expect(ep.received.map((e) => e.command)).toEqual(['set-interval', 'led']);
    expect(ep.accepted()).toHaveLength(2);
  });

  it('keeps a command for a device that does not wait (no ct) until it asks', async () => {
    const ep = await start();
    ep.queueCommand('pi', 'read-now', '');
    expect((await send(ep.url, { headers: AUTH, body: BODY })).status).toBe(202);
    const asking = await send(ep.url, { path: '/v1/status?ct=1', headers: AUTH, body: BODY });
    expect([asking.status, asking.headers.command]).toEqual([200, 'read-now']);
  });

  it('hands over a command that arrives while the device waits', async () => {
    const clock = new FakeClock();
    const ep = await start({ clock });
    const pending = send(ep.url, { path: '/v1/status?ct=30', headers: AUTH, body: BODY });
    await until(() => ep.waitingDevices().includes('pi'), 5000, 'the device to wait');
    ep.queueCommand('pi', 'power-cycle', 'now');
    const reply = await within(pending, 5000, 'the command answer');
    expect([reply.status, reply.headers.command, reply.text]).toEqual([200, 'power-cycle', 'now']);
  });

  it('answers 202 once ct seconds pass without a command', async () => {
    const clock = new FakeClock();
    const ep = await start({ clock });
    const pending = send(ep.url, { path: '/v1/status?ct=5', headers: AUTH, body: BODY });
    await until(() => ep.waitingDevices().includes('pi'), 5000, 'the device to wait');
    await clock.advance(4_999);
    expect(ep.received).toHaveLength(0);
    await clock.advance(1);
    const reply = await within(pending, 5000, 'the 202 after ct');
    expect(reply.status).toBe(202);
    expect(reply.headers.command).toBeUndefined();
    expect(ep.waitingDevices()).toEqual([]);
  });

  it('does not give one device the command of another', async () => {
    const clock = new FakeClock();
    const ep = await start({ clock });
    ep.queueCommand('other', 'led', 'on');
    const pending = send(ep.url, { path: '/v1/status?ct=1', headers: AUTH, body: BODY });
    await until(() => ep.waitingDevices().includes('pi'), 5000, 'the device to wait');
    await clock.advance(1000);
    expect((await within(pending, 5000, 'the answer')).status).toBe(202);
  });
});

describe('faults', () => {
  it('down: drops every request without an answer until cleared', async () => {
    const ep = await start();
    ep.setFaults({ down: true });
    await expect(send(ep.url, { headers: AUTH, body: BODY })).rejects.toThrow();
    await expect(send(ep.url, { headers: AUTH, body: BODY })).rejects.toThrow();
    expect(ep.received.map((e) => e.status)).toEqual([NO_RESPONSE, NO_RESPONSE]);

    ep.setFaults(null);
    expect((await send(ep.url, { headers: AUTH, body: BODY })).status).toBe(202);
    expect(ep.accepted()).toHaveLength(1);
  });

  it('status + retryAfter: answers 503 with Retry-After', async () => {
    const ep = await start();
    ep.setFaults({ status: 503, retryAfter: '7' });
    const reply = await send(ep.url, { headers: AUTH, body: BODY });
    expect(reply.status).toBe(503);
    expect(reply.headers['retry-after']).toBe('7');
    expect(ep.received[0]).toMatchObject({ status: 503, body: READING });
  });

  it('status 429 with an HTTP-date Retry-After', async () => {
    const ep = await start();
    const date = 'Wed, 21 Oct 2026 07:28:00 GMT';
    ep.setFaults({ status: 429, retryAfter: date });
    const reply = await send(ep.url, { headers: AUTH, body: BODY });
    expect([reply.status, reply.headers['retry-after']]).toEqual([429, date]);
  });

  it('delayMs: holds the answer until the time has passed', async () => {
    const clock = new FakeClock();
    const ep = await start({ clock });
    ep.setFaults({ delayMs: 10_000 });
    let answered = false;
    const pending = send(ep.url, { headers: AUTH, body: BODY }).then((r) => {
      answered = true;
      return r;
    });
    await until(() => clock.pendingSleeps === 1, 5000, 'the delay to start');
    await clock.advance(9_999);
    expect(answered).toBe(false);
    expect(ep.received).toHaveLength(0);
    await clock.advance(1);
    expect((await within(pending, 5000, 'the delayed answer')).status).toBe(202);
  });

  it('reset: reads the request, then destroys the socket mid-response', async () => {
    const ep = await start();
    ep.setFaults({ reset: true });
    await expect(
      (async () => {
        const res = await request(new URL('/v1/status', ep.url), { method: 'POST', headers: AUTH, body: BODY });
        return res.body.text();
      })(),
    ).rejects.toThrow();
    await ep.waitFor((r) => r.length === 1, 5000);
    expect(ep.received[0]).toMatchObject({ status: NO_RESPONSE, body: READING, device: 'pi' });
  });

  it('times: applies to the next N requests only, then clears', async () => {
    const ep = await start();
    ep.setFaults({ status: 503, times: 2 });
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) statuses.push((await send(ep.url, { headers: AUTH, body: BODY })).status);
    expect(statuses).toEqual([503, 503, 202, 202]);
    expect(ep.faults()).toBeNull();
  });

  it('times with down: the sender sees exactly N dropped connections', async () => {
    const ep = await start();
    ep.setFaults({ down: true, times: 1 });
    await expect(send(ep.url, { headers: AUTH, body: BODY })).rejects.toThrow();
    expect((await send(ep.url, { headers: AUTH, body: BODY })).status).toBe(202);
  });
});

describe('waitFor and close', () => {
  it('waitFor resolves when the condition holds', async () => {
    const ep = await start();
    const waiting = ep.waitFor((r) => r.filter((e) => e.status === 202).length === 2, 5000);
    await send(ep.url, { headers: AUTH, body: BODY });
    await send(ep.url, { headers: AUTH, body: BODY });
    await expect(waiting).resolves.toBeUndefined();
  });

  it('waitFor rejects after its bound with what it did receive', async () => {
    const ep = await start();
    await send(ep.url, { headers: AUTH, body: BODY });
    await send(ep.url, { body: BODY });
    await expect(ep.waitFor((r) => r.length >= 5, 50)).rejects.toThrow(
      'waitFor: condition not met within 50 ms (received 2 request(s): 1x202, 1x403)',
    );
  });

  it('close ends an idle keep-alive connection and does not hang', async () => {
    const ep = await startEndpoint({ users: USERS });
    const client = new Client(ep.url, { keepAliveTimeout: 60_000 });
    clients.push(client);
    const res = await client.request({ path: '/v1/status', method: 'POST', headers: AUTH, body: BODY });
    expect(res.statusCode).toBe(202);
    await res.body.text();
    await within(ep.close(), 5000, 'close with a keep-alive connection');
    await expect(send(ep.url, { headers: AUTH, body: BODY })).rejects.toThrow();
  });

  it('close ends a request waiting on ct and a waitFor', async () => {
    const ep = await startEndpoint({ users: USERS });
    const pending = send(ep.url, { path: '/v1/status?ct=3600', headers: AUTH, body: BODY });
    const waiting = ep.waitFor(() => false, 60_000).then(
      () => 'resolved',
      (err: Error) => err.message,
    );
    await until(() => ep.waitingDevices().includes('pi'), 5000, 'the device to wait');
    await within(ep.close(), 5000, 'close with a waiting device');
    await expect(within(pending, 5000, 'the waiting request')).rejects.toThrow();
    expect(await waiting).toMatch(/endpoint closed/);
  });

  it('reports its url and port, and calls onEvent for each answered request', async () => {
    const seen: number[] = [];
    const ep = await start({ onEvent: (e) => seen.push(e.status) });
    expect(ep.url).toBe(`http://127.0.0.1:${ep.port}`);
    expect(ep.port).toBeGreaterThan(0);
    await send(ep.url, { headers: AUTH, body: BODY });
    await send(ep.url, { path: '/nope', headers: AUTH, body: BODY });
    expect(seen).toEqual([202, 404]);
  });
});
