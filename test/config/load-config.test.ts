import { SEED_ENV } from '../helpers/seed.js';
import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/load-config.js';

const SEED = SEED_ENV;

describe('loadConfig', () => {
  it('takes the seed podman run environment as is, quoted geolocation as numbers', () => {
    const config = loadConfig(SEED, { requireEndpoint: true });
    expect(config.endpoint?.url.href).toBe('https://http.sandbox.drogue.cloud/v1/foo');
    expect(config.endpoint?.channel).toBe('foo'); // the channel posted to (issue 14)
    expect(config.geolocation).toEqual({ lat: 44.8166, lon: 20.4721 });
    expect(config.sensors).toEqual([{ name: 'default', model: 'DHT22', pin: 4, powerPin: null }]);
    expect(config.sampling.intervalMs).toBe(30_000);
    expect(config.endpoint?.contentMode).toBe('binary');
    expect(config.endpoint?.dataSchema).toBe('urn:drogue:iot:temperature');
    expect(config.statusListen).toEqual({ host: '127.0.0.1', port: 9464 });
  });

  it('adds /v1/$CHANNEL to a base URL and keeps a full one', () => {
    const url = (ENDPOINT: string) => loadConfig({ ...SEED, ENDPOINT }, { requireEndpoint: true }).endpoint?.url.href;
    expect(url('http://localhost:8088')).toBe('http://localhost:8088/v1/status');
    expect(url('https://h.example/prefix/')).toBe('https://h.example/prefix/v1/status');
    expect(url('https://h.example/v1/foo')).toBe('https://h.example/v1/foo');
    expect(loadConfig({ ...SEED, ENDPOINT: 'http://localhost:8088', CHANNEL: 'telemetry' }, { requireEndpoint: true }).endpoint?.url.href).toBe('http://localhost:8088/v1/telemetry');
  });

  it('reads durations in seconds or with a unit', () => {
    const at = (INTERVAL: string) => loadConfig({ ...SEED, INTERVAL }, { requireEndpoint: true }).sampling.intervalMs;
    expect(at('30')).toBe(30_000);
    expect(at('5m')).toBe(300_000);
    expect(at('2.5s')).toBe(2500);
    expect(loadConfig({ ...SEED, SENSOR_TYPE: 'sim', INTERVAL: '50ms' }, { requireEndpoint: true }).sampling.intervalMs).toBe(50);
  });

  it('parses several sensors with optional power pins', () => {
    const config = loadConfig({ ...SEED, SENSORS: 'living:DHT22:4,attic:dht11:17:27' }, { requireEndpoint: true });
    expect(config.sensors).toEqual([
      { name: 'living', model: 'DHT22', pin: 4, powerPin: null },
      { name: 'attic', model: 'DHT11', pin: 17, powerPin: 27 },
    ]);
  });

  it('reads the password from a file without its trailing newline, and needs no endpoint for read', () => {
    const config = loadConfig({ ...SEED, DEVICE_PASSWORD: undefined, DEVICE_PASSWORD_FILE: '/run/secrets/pw' }, { requireEndpoint: true, readFile: () => 's3cret\n' });
    expect(config.endpoint?.password).toBe('s3cret');
    expect(loadConfig({ SENSOR_TYPE: 'sim' }, { requireEndpoint: false }).endpoint).toBeNull();
  });

  it('takes the systemd watchdog from WATCHDOG_USEC, else WATCHDOG_INTERVAL', () => {
    expect(loadConfig({ ...SEED, WATCHDOG_USEC: '30000000' }, { requireEndpoint: true }).watchdogMs).toBe(30_000);
    expect(loadConfig({ ...SEED, WATCHDOG_INTERVAL: '1m' }, { requireEndpoint: true }).watchdogMs).toBe(60_000);
    expect(loadConfig(SEED, { requireEndpoint: true }).watchdogMs).toBeNull();
  });

  it('turns the status server off with an empty STATUS_LISTEN', () => {
    expect(loadConfig({ ...SEED, STATUS_LISTEN: '' }, { requireEndpoint: true }).statusListen).toBeNull();
  });
});
