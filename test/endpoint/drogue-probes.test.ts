// The local endpoint answers each probe as Drogue Cloud's HTTP endpoint does, with
// Drogue's status (issue 14 finding 7). Each row names the Drogue behaviour and where it
// lives in drogue-cloud: the routes in http-endpoint/src/lib.rs, the query struct
// PublishOptions in http-endpoint/src/telemetry.rs (serde_urlencoded: a repeated field is
// an error, an unknown one is ignored), the Basic parsing in endpoint-common/src/auth.rs
// (`AuthValue::from`, `Username::from`), the gateway check in authentication-service
// (`as`), and the payload rules in endpoint-common/src/sender/mod.rs (`is_json`). Actix
// extracts the query and the body before the handler authenticates: 400 and 413 come
// before 403, and 403 before 406. A device that works here works against Drogue.
import { afterEach, describe, expect, it } from 'vitest';
import { startEndpoint, type EndpointServer, type ReceivedEvent } from '../../src/endpoint/endpoint-server.js';
import { basic, send, within } from './endpoint-test-helpers.js';

const USERS = [
  { app: 'dejanb', device: 'pi', password: 'foobar' },
  { app: 'app', device: 'device id with space', password: 's3cret' },
  { app: 'app', device: 'colon', password: 'a:b:c' },
];
const PI = basic('pi@dejanb', 'foobar');
const JSON_BODY = JSON.stringify({ temp: 21.3, hum: 45.1 });
const B64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
const ENVELOPE = { specversion: '1.0', id: 'id-1', source: 'drogue://dejanb/pi', type: 'io.drogue.dht.reading.v1', datacontenttype: 'application/json', data: { temp: 21.3 } };

interface Probe {
  /** The Drogue behaviour, and where it is in drogue-cloud. */
  drogue: string;
  method?: 'GET' | 'POST' | 'PUT' | 'DELETE';
  path?: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
  status: number;
  /** What the endpoint must have recorded, beyond the status. */
  recorded?: (e: ReceivedEvent) => void;
  /** Queue a command for pi first, so a `ct` wait ends at once. */
  command?: boolean;
}

const json = { authorization: PI, 'content-type': 'application/json' };

const PROBES: Probe[] = [
  // Routes: lib.rs
  { drogue: 'GET / is the index route and answers 200 (lib.rs `index`)', method: 'GET', path: '/', status: 200 },
  { drogue: 'POST / has no route on resource "/": 405', path: '/', headers: json, body: JSON_BODY, status: 405 },
  { drogue: 'GET /v1/{channel}: the resource only routes POST, 405', method: 'GET', path: '/v1/status', headers: json, status: 405 },
  { drogue: 'PUT /v1/{channel}: 405', method: 'PUT', path: '/v1/status', headers: json, body: JSON_BODY, status: 405 },
  { drogue: 'POST /v1 matches no resource: 404', path: '/v1', headers: json, body: JSON_BODY, status: 404 },
  { drogue: 'POST /v1/ (empty channel) matches no resource: 404', path: '/v1/', headers: json, body: JSON_BODY, status: 404 },
  { drogue: 'POST /v2/status: 404', path: '/v2/status', headers: json, body: JSON_BODY, status: 404 },
  { drogue: 'POST /v1/{channel} publishes: 202', path: '/v1/status', headers: json, body: JSON_BODY, status: 202, recorded: (e) => expect(e).toMatchObject({ channel: 'status', subject: null }) },
  { drogue: 'a trailing slash matches /v1/{channel}/{suffix:.*} with an empty suffix: 202', path: '/v1/status/', headers: json, body: JSON_BODY, status: 202, recorded: (e) => expect(e).toMatchObject({ channel: 'status', subject: '' }) },
  { drogue: '/v1/{channel}/{suffix:.*} publishes with the suffix as topic: 202', path: '/v1/telemetry/living/room', headers: json, body: JSON_BODY, status: 202, recorded: (e) => expect(e).toMatchObject({ channel: 'telemetry', subject: 'living/room' }) },
  { drogue: 'the channel segment is percent-decoded by actix Path: 202', path: '/v1/%E6%B8%A9%E5%BA%A6', headers: json, body: JSON_BODY, status: 202, recorded: (e) => expect(e.channel).toBe('温度') },
  // Query: PublishOptions through serde_urlencoded
  { drogue: 'ct=0 waits for nothing: 202', path: '/v1/status?ct=0', headers: json, body: JSON_BODY, status: 202 },
  { drogue: 'ct not a u64 fails the Query extractor: 400', path: '/v1/status?ct=abc', headers: json, body: JSON_BODY, status: 400 },
  { drogue: 'ct negative is not a u64: 400', path: '/v1/status?ct=-1', headers: json, body: JSON_BODY, status: 400 },
  { drogue: 'ct empty is not a u64: 400', path: '/v1/status?ct=', headers: json, body: JSON_BODY, status: 400 },
  { drogue: 'ct past u64::MAX: 400', path: '/v1/status?ct=18446744073709551616', headers: json, body: JSON_BODY, status: 400 },
  { drogue: 'ct given twice is a duplicate field: 400', path: '/v1/status?ct=1&ct=2', headers: json, body: JSON_BODY, status: 400 },
  { drogue: 'ct and its alias commandTimeout together are a duplicate field: 400', path: '/v1/status?ct=1&commandTimeout=1', headers: json, body: JSON_BODY, status: 400 },
  { drogue: 'data_schema given twice is a duplicate field: 400', path: '/v1/status?data_schema=a&data_schema=b', headers: json, body: JSON_BODY, status: 400 },
  { drogue: 'an unknown query parameter is ignored, even repeated: 202', path: '/v1/status?foo=1&foo=2', headers: json, body: JSON_BODY, status: 202 },
  { drogue: 'a ct beyond 32 bits is still a u64; a queued command answers at once: 200', path: '/v1/status?ct=99999999999', headers: json, body: JSON_BODY, status: 200, command: true },
  // Authentication: auth.rs
  { drogue: 'no Authorization header matches no credential form: 403', headers: { 'content-type': 'application/json' }, body: JSON_BODY, status: 403 },
  { drogue: 'Basic {device}@{app}:{password}: 202', headers: json, body: JSON_BODY, status: 202, recorded: (e) => expect(e).toMatchObject({ app: 'dejanb', device: 'pi' }) },
  { drogue: 'the scheme is matched case-sensitively ("Basic"): lower-case basic is Unknown, 403', headers: { ...json, authorization: `basic ${B64('pi@dejanb:foobar')}` }, body: JSON_BODY, status: 403 },
  { drogue: 'BASIC upper-case is Unknown: 403', headers: { ...json, authorization: `BASIC ${B64('pi@dejanb:foobar')}` }, body: JSON_BODY, status: 403 },
  { drogue: 'a double space after Basic leaves " xxx", which is not base64: 403', headers: { ...json, authorization: `Basic  ${B64('pi@dejanb:foobar')}` }, body: JSON_BODY, status: 403 },
  { drogue: 'a Bearer token is no HTTP credential form: 403', headers: { ...json, authorization: 'Bearer abc' }, body: JSON_BODY, status: 403 },
  { drogue: 'a wrong password fails authentication: 403 (never a 401 challenge)', headers: { ...json, authorization: basic('pi@dejanb', 'wrong') }, body: JSON_BODY, status: 403 },
  { drogue: 'invalid base64 is Unknown: 403', headers: { ...json, authorization: 'Basic %%%' }, body: JSON_BODY, status: 403 },
  { drogue: 'decoded credentials without a colon are Unknown: 403', headers: { ...json, authorization: `Basic ${B64('pi@dejanb')}` }, body: JSON_BODY, status: 403 },
  { drogue: 'the password is everything after the first colon: 202', headers: { ...json, authorization: basic('colon@app', 'a:b:c') }, body: JSON_BODY, status: 202 },
  { drogue: 'the device part is percent-decoded once: 202', headers: { ...json, authorization: basic('device%20id%20with%20space@app', 's3cret') }, body: JSON_BODY, status: 202, recorded: (e) => expect(e.device).toBe('device id with space') },
  { drogue: 'an unencoded device id decodes to itself: 202', headers: { ...json, authorization: basic('device id with space@app', 's3cret') }, body: JSON_BODY, status: 202 },
  { drogue: 'the application part is NOT percent-decoded: dejan%62 is no application, 403', headers: { ...json, authorization: basic('pi@dejan%62', 'foobar') }, body: JSON_BODY, status: 403 },
  { drogue: '?application=A with Basic {device}:{password}: 202', path: '/v1/status?application=dejanb', headers: { ...json, authorization: basic('pi', 'foobar') }, body: JSON_BODY, status: 202 },
  { drogue: '?application= is percent-decoded as a query value: 202', path: '/v1/status?application=dejan%62', headers: { ...json, authorization: basic('pi', 'foobar') }, body: JSON_BODY, status: 202 },
  { drogue: '?device=D with Basic {username}@{app}: 202', path: '/v1/status?device=pi', headers: json, body: JSON_BODY, status: 202 },
  { drogue: '?as= naming the device itself needs no gateway rights: 202', path: '/v1/status?as=pi', headers: json, body: JSON_BODY, status: 202 },
  { drogue: '?as= another device without gateway rights fails authentication: 403', path: '/v1/status?as=other', headers: json, body: JSON_BODY, status: 403 },
  // Payload: sender/mod.rs is_json()
  { drogue: 'a JSON body with a JSON content type is stored as JSON: 202', headers: json, body: JSON_BODY, status: 202, recorded: (e) => expect(e.data).toEqual(JSON.parse(JSON_BODY) as unknown) },
  { drogue: 'a JSON content type with a body that is not JSON is Rejected: 406', headers: json, body: 'temp=21.3', status: 406 },
  { drogue: 'an empty body with a JSON content type is Rejected: 406', headers: json, body: '', status: 406 },
  { drogue: 'is_json is a prefix match: application/json; charset=utf-8 with a non-JSON body is Rejected, 406', headers: { ...json, 'content-type': 'application/json; charset=utf-8' }, body: 'x', status: 406 },
  { drogue: 'text/json is JSON too: a non-JSON body is Rejected, 406', headers: { ...json, 'content-type': 'text/json' }, body: 'x', status: 406 },
  { drogue: 'a body that is not JSON with another content type is passed through as bytes: 202', headers: { ...json, 'content-type': 'text/plain' }, body: 'temp=21.3', status: 202, recorded: (e) => expect(e).toMatchObject({ data: 'temp=21.3', dataContentType: 'text/plain' }) },
  { drogue: 'no content type and not JSON is stored as application/octet-stream: 202', headers: { authorization: PI }, body: 'temp=21.3', status: 202, recorded: (e) => expect(e).toMatchObject({ data: 'temp=21.3', dataContentType: 'application/octet-stream' }) },
  { drogue: 'no content type and an empty body is stored as bytes: 202', headers: { authorization: PI }, body: '', status: 202 },
  { drogue: 'no content type and a JSON body is stored as JSON: 202', headers: { authorization: PI }, body: JSON_BODY, status: 202, recorded: (e) => expect(e).toMatchObject({ data: JSON.parse(JSON_BODY) as unknown, dataContentType: 'application/json' }) },
  { drogue: 'is_json is case-sensitive: Application/JSON with a non-JSON body is passed through, 202', headers: { ...json, 'content-type': 'Application/JSON' }, body: 'x', status: 202 },
  { drogue: 'a structured event (…+json) is stored whole, the envelope is the payload: 202', headers: { ...json, 'content-type': 'application/cloudevents+json' }, body: JSON.stringify(ENVELOPE), status: 202, recorded: (e) => expect(e.data).toEqual(ENVELOPE) },
  { drogue: 'the suffix match fails on a parameter: cloudevents+json; charset=utf-8 is passed through as bytes, 202', headers: { ...json, 'content-type': 'application/cloudevents+json; charset=utf-8' }, body: JSON.stringify(ENVELOPE), status: 202, recorded: (e) => expect(e).toMatchObject({ data: JSON.stringify(ENVELOPE), dataContentType: 'application/cloudevents+json; charset=utf-8' }) },
  { drogue: 'application/cloudevents+json with a body that is not JSON is Rejected: 406', headers: { ...json, 'content-type': 'application/cloudevents+json' }, body: '{', status: 406 },
  { drogue: 'serde_json rejects invalid UTF-8 inside a JSON string: 406', headers: json, body: Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]), status: 406 },
  { drogue: 'ce-* headers are not Drogue\'s business: even an invalid encoding is accepted, 202', headers: { ...json, 'ce-subject': '%C0%A0' }, body: JSON_BODY, status: 202, recorded: (e) => expect(e.ceInvalid).toEqual(['subject']) },
  { drogue: 'ce-* header values are decoded per HTTP binding 3.1.3.2 (quoted strings, then one round of %XX): 202', headers: { ...json, 'ce-subject': '%E6%b8%A9%20"a\\"b"', 'ce-source': 'drogue://dejanb/pi%25201' }, body: JSON_BODY, status: 202, recorded: (e) => expect(e.ce).toMatchObject({ subject: '温 a"b', source: 'drogue://dejanb/pi%201' }) },
  // Order of the checks: extractors (query, body) before the handler's authentication, then the payload
  { drogue: 'a bad query comes before authentication: 400', path: '/v1/status?ct=x', headers: { 'content-type': 'application/json' }, body: JSON_BODY, status: 400 },
  { drogue: 'a too-large body comes before authentication: 413', headers: { 'content-type': 'application/json' }, body: 'x'.repeat(64 * 1024 + 1), status: 413 },
  { drogue: 'authentication comes before the payload check: 403', headers: { 'content-type': 'application/json' }, body: 'x', status: 403 },
  { drogue: 'a body of exactly 64 KiB (max_payload_size 65536) is taken: 202', headers: { authorization: PI, 'content-type': 'text/plain' }, body: 'x'.repeat(64 * 1024), status: 202 },
];

let servers: EndpointServer[] = [];
afterEach(async () => {
  await Promise.all(servers.map((s) => within(s.close(), 5000, 'close')));
  servers = [];
});

describe(`the local endpoint answers ${PROBES.length} probes as Drogue does`, () => {
  it.each(PROBES.map((p) => [p.drogue, p] as const))('%s', async (_, probe) => {
    const ep = await startEndpoint({ users: USERS });
    servers.push(ep);
    if (probe.command) ep.queueCommand('pi', 'noop', '');
    const reply = await send(ep.url, { method: probe.method ?? 'POST', path: probe.path ?? '/v1/status', headers: probe.headers ?? {}, ...(probe.body !== undefined ? { body: probe.body } : {}) });
    expect(reply.status).toBe(probe.status);
    expect(reply.headers['www-authenticate']).toBeUndefined();
    if (probe.recorded) {
      const e = ep.received.at(-1);
      expect(e?.status).toBe(probe.status);
      probe.recorded(e!);
    }
  });
});
