// README "Coming from drogue-dht-py": what the built daemon sends, with the reference
// device's variables, against the local Drogue-style endpoint, next to what the reference
// device (drogue-dht-py, main-legacy.py) sends. Each `it` is one row of that section.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEndpoint, type EndpointServer, type ReceivedEvent } from '../../src/endpoint/endpoint-server.js';
import { DaemonProcess, seedEnv, tempDir } from '../helpers/daemon-process.js';

const USERS = [
  { app: 'dejanb', device: 'pi', password: 'foobar' },
  { app: 'dejanb', device: 'pi 1', password: 'foobar' },
];

let endpoint: EndpointServer;
const cleanups: Array<() => unknown> = [];
let withGeo: ReceivedEvent;
let withoutGeo: ReceivedEvent;

async function firstEvent(device: string, extra: Record<string, string>): Promise<ReceivedEvent> {
  const dir = tempDir('dht-py-');
  cleanups.push(dir.remove);
  const env = seedEnv(endpoint.url, dir.path, extra);
  if (extra.GEOLOCATION === '') delete env.GEOLOCATION;
  const daemon = new DaemonProcess(['run'], env);
  cleanups.push(() => daemon.kill());
  await endpoint.waitFor((r) => r.some((e) => e.device === device && e.status === 202), 20_000);
  expect(await daemon.stop()).toBe(0);
  return endpoint.received.find((e) => e.device === device && e.status === 202)!;
}

beforeAll(async () => {
  endpoint = await startEndpoint({ users: USERS });
  [withGeo, withoutGeo] = await Promise.all([
    firstEvent('pi 1', { DEVICE_ID: 'pi 1', GEOLOCATION: '{"lat": "44.8166", "lon": "20.4721", "alt": "117", "floor": 2}' }),
    firstEvent('pi', { GEOLOCATION: '' }),
  ]);
}, 60_000);

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
  await endpoint.close();
});

const data = (e: ReceivedEvent): Record<string, unknown> => e.data as Record<string, unknown>;

describe('coming from drogue-dht-py: the differences, with the seed variables', () => {
  it('posts to the channel ENDPOINT names (/v1/foo), where drogue-dht-py posts to /v1/status whatever the path', () => {
    expect(withGeo.path).toBe('/v1/foo');
    expect(withGeo.ce.subject).toBe('foo');
  });

  it('sends temp and hum as JSON numbers, where drogue-dht-py sends 2-decimal strings ("21.30")', () => {
    expect(typeof data(withGeo).temp).toBe('number');
    expect(typeof data(withGeo).hum).toBe('number');
  });

  it('sends lat/lon as numbers and keeps extra GEOLOCATION keys as given, where drogue-dht-py passes it all through unchanged', () => {
    expect(data(withGeo).geoloc).toEqual({ lat: 44.8166, lon: 20.4721, alt: '117', floor: 2 });
  });

  it('leaves geoloc out without GEOLOCATION, where drogue-dht-py sends "geoloc": null', () => {
    expect(data(withoutGeo)).not.toHaveProperty('geoloc');
  });

  it('percent-encodes the device id once in the Basic user (pi%201@dejanb), where drogue-dht-py encodes it twice (pi%25201@dejanb) and Drogue finds no such device', () => {
    expect(withGeo.headers.authorization).toBe(`Basic ${Buffer.from('pi%201@dejanb:foobar').toString('base64')}`);
    expect(withGeo).toMatchObject({ app: 'dejanb', device: 'pi 1', status: 202 });
  });

  it('is a CloudEvent in binary mode (ce-* headers, which Drogue ignores) with the measurement time in the payload, where drogue-dht-py sends a bare JSON body', () => {
    expect(withGeo.mode).toBe('binary');
    expect(withGeo.ce).toMatchObject({ specversion: '1.0', type: 'io.drogue.dht.reading.v1', source: 'drogue://dejanb/pi%201' });
    expect(data(withGeo).time).toBe(withGeo.ce.time);
  });

  it('keeps what drogue-dht-py already did: data_schema in the query, Content-Type application/json, the {device}@{app} user', () => {
    expect(withoutGeo.query).toEqual({ data_schema: 'urn:drogue:iot:temperature' });
    expect(withoutGeo.headers['content-type']).toBe('application/json');
    expect(withoutGeo.headers.authorization).toBe(`Basic ${Buffer.from('pi@dejanb:foobar').toString('base64')}`);
  });
});
