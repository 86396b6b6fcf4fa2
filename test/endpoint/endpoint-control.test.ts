import { afterEach, describe, expect, it } from 'vitest';
import { startEndpoint, type EndpointServer, type ReceivedEvent } from '../../src/endpoint/endpoint-server.js';
import { endpointControl } from '../../src/endpoint/endpoint-control-client.js';
import { READING, basic, send, within } from './endpoint-test-helpers.js';

const USERS = [{ app: 'dejanb', device: 'pi', password: 'foobar' }];
const AUTH = { authorization: basic('pi@dejanb', 'foobar'), 'content-type': 'application/json' };
const BODY = JSON.stringify(READING);

let servers: EndpointServer[] = [];

async function start(control: boolean): Promise<EndpointServer> {
  const server = await startEndpoint({ users: USERS, control });
  servers.push(server);
  return server;
}

afterEach(async () => {
  await Promise.all(servers.map((s) => within(s.close(), 5000, 'close')));
  servers = [];
});

describe('control API over HTTP', () => {
  it('sets and clears faults; a down endpoint still answers its control API', async () => {
    const ep = await start(true);
    const set = await send(ep.url, { path: '/_control/faults', headers: { 'content-type': 'application/json' }, body: '{"down":true}' });
    expect([set.status, JSON.parse(set.text)]).toEqual([200, { down: true }]);
    await expect(send(ep.url, { headers: AUTH, body: BODY })).rejects.toThrow();

    const current = await send(ep.url, { method: 'GET', path: '/_control/faults' });
    expect(JSON.parse(current.text)).toEqual({ down: true });
    const cleared = await send(ep.url, { path: '/_control/faults', body: 'null' });
    expect([cleared.status, cleared.text]).toEqual([200, 'null']);
    expect((await send(ep.url, { headers: AUTH, body: BODY })).status).toBe(202);
  });

  it('injects 503 with Retry-After for a number of requests', async () => {
    const ep = await start(true);
    await send(ep.url, { path: '/_control/faults', body: JSON.stringify({ status: 503, retryAfter: '3', times: 1 }) });
    const first = await send(ep.url, { headers: AUTH, body: BODY });
    const second = await send(ep.url, { headers: AUTH, body: BODY });
    expect([first.status, first.headers['retry-after'], second.status]).toEqual([503, '3', 202]);
  });

  it.each([
    ['not JSON', 'down'],
    ['an unknown fault', '{"explode":true}'],
    ['a bad status', '{"status":99}'],
    ['a negative delay', '{"delayMs":-1}'],
    ['a non-string retryAfter', '{"retryAfter":5}'],
  ])('answers 400 to %s', async (_, body) => {
    const ep = await start(true);
    const reply = await send(ep.url, { path: '/_control/faults', body });
    expect(reply.status).toBe(400);
    expect(ep.faults()).toBeNull();
  });

  it('queues a command for a device', async () => {
    const ep = await start(true);
    const queued = await send(ep.url, { path: '/_control/commands', body: JSON.stringify({ device: 'pi', name: 'led', payload: 'blink' }) });
    expect(queued.status).toBe(204);
    const reply = await send(ep.url, { path: '/v1/status?ct=5', headers: AUTH, body: BODY });
    expect([reply.status, reply.headers.command, reply.text]).toEqual([200, 'led', 'blink']);
  });

  it('refuses a command without a device or name', async () => {
    const ep = await start(true);
    expect((await send(ep.url, { path: '/_control/commands', body: '{"name":"led"}' })).status).toBe(400);
    expect((await send(ep.url, { path: '/_control/commands', body: '{"device":"pi"}' })).status).toBe(400);
  });

  it('lists what it received, without counting its own control requests', async () => {
    const ep = await start(true);
    await send(ep.url, { headers: AUTH, body: BODY });
    await send(ep.url, { body: BODY });
    const reply = await send(ep.url, { method: 'GET', path: '/_control/received' });
    const list = JSON.parse(reply.text) as ReceivedEvent[];
    expect(list.map((e) => [e.status, e.device])).toEqual([
      [202, 'pi'],
      [403, null],
    ]);
    expect(list[0]?.body).toEqual(READING);
    expect(ep.received).toHaveLength(2);
  });

  it('answers 404/405 for unknown control paths and methods', async () => {
    const ep = await start(true);
    expect((await send(ep.url, { method: 'GET', path: '/_control/nothing' })).status).toBe(404);
    expect((await send(ep.url, { method: 'DELETE', path: '/_control/faults' })).status).toBe(405);
  });

  it('is off unless enabled: control paths are then ordinary 404s', async () => {
    const ep = await start(false);
    const reply = await send(ep.url, { path: '/_control/faults', body: '{"down":true}' });
    expect(reply.status).toBe(404);
    expect(ep.faults()).toBeNull();
    expect((await send(ep.url, { headers: AUTH, body: BODY })).status).toBe(202);
  });
});

describe('endpointControl client', () => {
  it('drives faults, commands and waits on an endpoint through its control API', async () => {
    const ep = await start(true);
    const control = endpointControl(ep.url);

    await control.setFaults({ status: 429, retryAfter: '1', times: 1 });
    expect(await control.faults()).toEqual({ status: 429, retryAfter: '1', times: 1 });
    expect((await send(ep.url, { headers: AUTH, body: BODY })).status).toBe(429);

    await control.queueCommand('pi', 'set-interval', Buffer.from('120'));
    const reply = await send(ep.url, { path: '/v1/status?ct=5', headers: AUTH, body: BODY });
    expect([reply.status, reply.headers.command, reply.text]).toEqual([200, 'set-interval', '120']);

    await control.waitFor((r) => r.some((e) => e.status === 200), 5000);
    expect((await control.received()).map((e) => e.status)).toEqual([429, 200]);
    await expect(control.waitFor((r) => r.length > 5, 60, 10)).rejects.toThrow(/not met within 60 ms \(received 2/);
    await expect(control.setFaults({ status: 1 })).rejects.toThrow(/answered 400/);
  });
});
