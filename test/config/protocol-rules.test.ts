// Issue 14 findings 3, 5 and 6: the channel posted to is the subject; values no receiver
// can use stop the daemon at start with exit 78 and the rule; GEOLOCATION keeps extra keys.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EX_CONFIG, main } from '../../src/cli/cli.js';
import { loadConfig } from '../../src/config/load-config.js';
import { captureIo } from '../helpers/capture.js';
import { SEED_ENV } from '../helpers/seed.js';

const dir = mkdtempSync(join(tmpdir(), 'dht-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = 'https://http.sandbox.drogue.cloud';

// [finding, overrides, the variable named, a fragment of the rule]
const REFUSED: Array<[string, Record<string, string>, string, string]> = [
  ['DATA_SCHEMA "my schema" is not a URI', { DATA_SCHEMA: 'my schema' }, 'DATA_SCHEMA', 'not a URI: it contains whitespace'],
  ['DATA_SCHEMA without a scheme', { DATA_SCHEMA: 'temperature' }, 'DATA_SCHEMA', 'no scheme'],
  ['DATA_SCHEMA with a stray %', { DATA_SCHEMA: 'urn:x:50%' }, 'DATA_SCHEMA', 'not followed by two hex digits'],
  ['DATA_SCHEMA with a double quote', { DATA_SCHEMA: 'urn:x:"q"' }, 'DATA_SCHEMA', 'a character URIs do not allow'],
  ['CHANNEL=. (every event dead-lettered)', { ENDPOINT: BASE, CHANNEL: '.' }, 'CHANNEL', 'URL normalisation removes'],
  ['CHANNEL=.. (every event dead-lettered)', { ENDPOINT: BASE, CHANNEL: '..' }, 'CHANNEL', 'URL normalisation removes'],
  ['CHANNEL=" status " (the path and the subject disagree)', { ENDPOINT: BASE, CHANNEL: ' status ' }, 'CHANNEL', 'whitespace at either end'],
  ['CHANNEL with a slash', { ENDPOINT: BASE, CHANNEL: 'a/b' }, 'CHANNEL', 'contains "/"'],
  ['CHANNEL with a control character', { ENDPOINT: BASE, CHANNEL: 'a\tb' }, 'CHANNEL', 'control character'],
  ['ENDPOINT ending in /v1 (would post to /v1/v1/status)', { ENDPOINT: `${BASE}/v1` }, 'ENDPOINT', 'ends in /v1 without a channel'],
  ['ENDPOINT ending in /v1/', { ENDPOINT: `${BASE}/v1/` }, 'ENDPOINT', 'ends in /v1 without a channel'],
  ['ENDPOINT ending in /v1/. (normalised to /v1/)', { ENDPOINT: `${BASE}/v1/.` }, 'ENDPOINT', 'ends in /v1 without a channel'],
  ['ENDPOINT with a query string (silently dropped before)', { ENDPOINT: `${BASE}/v1/foo?token=abc` }, 'ENDPOINT', 'has a query string'],
  ['ENDPOINT with more after the channel', { ENDPOINT: `${BASE}/v1/foo/bar` }, 'ENDPOINT', 'more than one path segment after /v1'],
  ['CHANNEL disagreeing with the channel ENDPOINT names', { CHANNEL: 'bar' }, 'CHANNEL', 'differs from the channel "foo" that ENDPOINT names'],
  ['whitespace-only APP_ID', { APP_ID: '   ' }, 'APP_ID', 'blank'],
  ['whitespace-only DEVICE_ID', { DEVICE_ID: ' \t' }, 'DEVICE_ID', 'blank'],
  ['APP_ID with a colon (HTTP Basic cannot carry it)', { APP_ID: 'a:b' }, 'APP_ID', 'contains ":"'],
  ['GEOLOCATION extra key neither number nor string', { GEOLOCATION: '{"lat": 1, "lon": 2, "alt": {"m": 3}}' }, 'GEOLOCATION', '"alt" is not a number or a string'],
];

async function run(overrides: Record<string, string>) {
  const io = captureIo();
  const code = await main(['check', '--no-send'], { ...SEED_ENV, SENSOR_TYPE: 'sim', DATA_DIR: dir, STATUS_LISTEN: '', ...overrides }, io);
  return { code, stderr: io.stderr.text };
}

describe('values no receiver can use are refused at start: exit 78 and the rule', () => {
  it.each(REFUSED)('%s', async (_what, overrides, variable, fragment) => {
    const { code, stderr } = await run(overrides);
    expect(code).toBe(EX_CONFIG);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^dht-telemetry: ${variable}: `));
    expect(lines[0]).toContain(fragment);
    expect(lines[0]).toMatch(/\(got .*expected .*\)$/);
  });

  it('never echoes the query string of ENDPOINT, which may hold a token', async () => {
    const { stderr } = await run({ ENDPOINT: `${BASE}/v1/foo?token=s3cret` });
    expect(stderr).not.toContain('s3cret');
  });
});

const load = (overrides: Record<string, string>) => loadConfig({ ...SEED_ENV, ...overrides }, { requireEndpoint: true });

describe('the channel posted to is the subject (finding 3)', () => {
  it("the seed's ENDPOINT=.../v1/foo posts to /v1/foo with channel foo, not the default status", () => {
    const endpoint = load({}).endpoint;
    expect(endpoint?.url.pathname).toBe('/v1/foo');
    expect(endpoint?.channel).toBe('foo');
  });

  it('a base ENDPOINT gets /v1/$CHANNEL, encoded as one segment, and the channel is CHANNEL as given', () => {
    const endpoint = load({ ENDPOINT: `${BASE}/prefix/`, CHANNEL: 'küche "a" 5%' }).endpoint;
    expect(endpoint?.url.pathname).toBe(`/prefix/v1/${encodeURIComponent('küche "a" 5%')}`);
    expect(endpoint?.channel).toBe('küche "a" 5%');
  });

  it('a channel in ENDPOINT is percent-decoded, whether typed raw or encoded', () => {
    expect(load({ ENDPOINT: `${BASE}/v1/温度` }).endpoint?.channel).toBe('温度');
    expect(load({ ENDPOINT: `${BASE}/v1/%E6%B8%A9%E5%BA%A6` }).endpoint?.channel).toBe('温度');
    expect(load({ ENDPOINT: `${BASE}/v1/a%20b` }).endpoint?.channel).toBe('a b');
  });

  it('CHANNEL equal to the channel ENDPOINT names is fine', () => {
    expect(load({ CHANNEL: 'foo' }).endpoint?.channel).toBe('foo');
  });
});

describe('DATA_SCHEMA: a URI, an IRI mapped to one', () => {
  it('non-ASCII is percent-encoded as UTF-8 (RFC 3987 3.1), so urn:温度 is sent as a URI', () => {
    expect(load({ DATA_SCHEMA: 'urn:温度' }).endpoint?.dataSchema).toBe('urn:%E6%B8%A9%E5%BA%A6');
    expect(load({ DATA_SCHEMA: 'https://example.com/s.json#v1' }).endpoint?.dataSchema).toBe('https://example.com/s.json#v1');
  });
});

describe('GEOLOCATION keeps extra keys beside the normalised lat/lon (finding 6)', () => {
  it('numbers and strings pass through as given; lat/lon become numbers', () => {
    expect(load({ GEOLOCATION: '{"lat": "44.8166", "lon": "20.4721", "alt": "117", "floor": 2}' }).geolocation).toEqual({ lat: 44.8166, lon: 20.4721, alt: '117', floor: 2 });
  });
});

describe('sensor names may be any text without , or : (any name delivers)', () => {
  it('non-ASCII, space, double quote and percent are kept', () => {
    const config = load({ SENSORS: 'wohn zimmer "1" 9%:sim:4, dachgeschoß :sim:17' });
    expect(config.sensors.map((s) => s.name)).toEqual(['wohn zimmer "1" 9%', 'dachgeschoß']);
  });
});
