// Issue 14 findings 3, 5 and 6: the channel posted to is the subject; values no receiver
// can use stop the daemon at start with exit 78 and the rule; GEOLOCATION keeps extra keys.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { EX_CONFIG } from '../../src/cli/exit-codes.js';
import { loadConfig } from '../../src/config/load-config.js';
import { captureIo } from '../helpers/capture.js';
import { SEED_ENV } from '../helpers/seed.js';

const dir = mkdtempSync(join(tmpdir(), 'dht-rules-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const BASE = 'https://http.sandbox.drogue.cloud';

async function run(overrides: Record<string, string>) {
  const io = captureIo();
  const code = await main(['check', '--no-send'], { ...SEED_ENV, SENSOR_TYPE: 'sim', DATA_DIR: dir, STATUS_LISTEN: '', ...overrides }, io);
  return { code, stderr: io.stderr.text };
}

// The refusals themselves (exit 78, one line, the rule) are rows of test/config/bad-config.test.ts.
describe('values no receiver can use are refused at start', () => {
  it('never echoes the query string of ENDPOINT, which may hold a token', async () => {
    const { code, stderr } = await run({ ENDPOINT: `${BASE}/v1/foo?token=s3cret` });
    expect(code).toBe(EX_CONFIG);
    expect(stderr).toContain('has a query string');
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
