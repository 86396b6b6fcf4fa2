import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main, EX_CONFIG } from '../../src/cli/cli.js';
import { captureIo } from '../helpers/capture.js';
import { SEED_ENV } from '../helpers/seed.js';

const dir = mkdtempSync(join(tmpdir(), 'dht-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const emptyPasswordFile = join(dir, 'empty');
writeFileSync(emptyPasswordFile, '');

const SEED = SEED_ENV;

// [what is wrong, environment overrides, the variable the message must name, a fragment of the message]
const BAD: Array<[string, Record<string, string | undefined>, string, string]> = [
  ['endpoint without scheme', { ENDPOINT: 'http.sandbox.drogue.cloud/v1/foo' }, 'ENDPOINT', 'no http:// or https:// scheme'],
  ['endpoint with a bad host', { ENDPOINT: 'https://exa_mple..com/' }, 'ENDPOINT', 'bad host name'],
  ['endpoint with a space in the host', { ENDPOINT: 'https://exa mple.com/' }, 'ENDPOINT', 'not a valid URL'],
  ['endpoint with ftp scheme', { ENDPOINT: 'ftp://example.com/' }, 'ENDPOINT', 'unsupported scheme ftp:'],
  ['endpoint with credentials in it', { ENDPOINT: 'https://u:secretpw@example.com/' }, 'ENDPOINT', 'credentials in the URL'],
  ['endpoint missing', { ENDPOINT: undefined }, 'ENDPOINT', 'not set'],
  ['non-JSON geolocation', { GEOLOCATION: 'lat=44,lon=20' }, 'GEOLOCATION', 'not JSON'],
  ['geolocation not an object', { GEOLOCATION: '[44.8, 20.4]' }, 'GEOLOCATION', 'not a JSON object'],
  ['lat 91', { GEOLOCATION: '{"lat": 91, "lon": 20}' }, 'GEOLOCATION', '"lat" is out of range'],
  ['lon "east"', { GEOLOCATION: '{"lat": 44, "lon": "east"}' }, 'GEOLOCATION', '"lon" is not a number'],
  ['lon missing', { GEOLOCATION: '{"lat": 44}' }, 'GEOLOCATION', '"lon" is missing'],
  ['pin 28', { SENSOR_PIN: '28' }, 'SENSOR_PIN', 'out of range'],
  ['pin "four"', { SENSOR_PIN: 'four' }, 'SENSOR_PIN', 'not a whole number'],
  ['pin 40 (would corrupt memory in the addon)', { SENSOR_PIN: '40' }, 'SENSOR_PIN', 'expected a whole number from 0 to 27'],
  ['interval below the DHT22 minimum', { INTERVAL: '1s' }, 'INTERVAL', 'below the DHT22 minimum'],
  ['interval below the DHT11 minimum', { SENSOR_TYPE: 'DHT11', INTERVAL: '500ms' }, 'INTERVAL', 'at least 1s for DHT11'],
  ['interval not a duration', { INTERVAL: 'often' }, 'INTERVAL', 'not a duration'],
  ['unknown sensor type', { SENSOR_TYPE: 'DHT33' }, 'SENSOR_TYPE', 'one of DHT11, DHT22, AM2302, sim'],
  ['DEVICE_ID missing', { DEVICE_ID: undefined }, 'DEVICE_ID', 'not set'],
  ['empty APP_ID', { APP_ID: '' }, 'APP_ID', 'empty'],
  ['unreadable password file', { DEVICE_PASSWORD: undefined, DEVICE_PASSWORD_FILE: join(dir, 'nope') }, 'DEVICE_PASSWORD_FILE', 'cannot read the file (ENOENT)'],
  ['empty password file', { DEVICE_PASSWORD: undefined, DEVICE_PASSWORD_FILE: emptyPasswordFile }, 'DEVICE_PASSWORD_FILE', 'file is empty'],
  ['password and password file both', { DEVICE_PASSWORD_FILE: emptyPasswordFile }, 'DEVICE_PASSWORD_FILE', 'set together with DEVICE_PASSWORD'],
  ['content mode', { CONTENT_MODE: 'batch' }, 'CONTENT_MODE', 'one of binary, structured'],
  ['log level', { LOG_LEVEL: 'loud' }, 'LOG_LEVEL', 'one of fatal, error, warn'],
  ['status listen', { STATUS_LISTEN: 'localhost' }, 'STATUS_LISTEN', 'not HOST:PORT'],
  ['status port', { STATUS_LISTEN: '127.0.0.1:70000' }, 'STATUS_LISTEN', 'port out of range'],
  ['outbox size', { OUTBOX_MAX_BYTES: 'lots' }, 'OUTBOX_MAX_BYTES', 'not a size'],
  ['outbox too small', { OUTBOX_MAX_BYTES: '1KiB' }, 'OUTBOX_MAX_BYTES', 'too small'],
  ['sync window too long', { OUTBOX_SYNC_WINDOW: '5s' }, 'OUTBOX_SYNC_WINDOW', 'from 0 to 1s'],
  ['sync window not a duration', { OUTBOX_SYNC_WINDOW: 'soon' }, 'OUTBOX_SYNC_WINDOW', 'not a duration'],
  ['command timeout', { COMMAND_TIMEOUT: '-1' }, 'COMMAND_TIMEOUT', 'out of range'],
  ['TLS flag', { TLS_INSECURE: 'maybe' }, 'TLS_INSECURE', 'true or false'],
  ['CA file missing', { CA_FILE: join(dir, 'no-ca.pem') }, 'CA_FILE', 'cannot read the file'],
  ['sensors list malformed', { SENSORS: 'living:DHT22' }, 'SENSORS', 'is not name:type:pin'],
  ['sensors list bad type', { SENSORS: 'living:DHT22:4,attic:DHT99:17' }, 'SENSORS', 'attic: type unknown value'],
  ['sensors list pin twice', { SENSORS: 'living:DHT22:4,attic:DHT11:4' }, 'SENSORS', 'a GPIO pin is used twice'],
  ['sensors list duplicate names', { SENSORS: 'a:DHT22:4,a:DHT11:5' }, 'SENSORS', 'duplicate sensor name'],
  ['LED on a sensor pin', { LED_PIN: '4' }, 'LED_PIN', 'already a sensor pin'],
  ['retry max below base', { RETRY_BASE: '10s', RETRY_MAX: '1s' }, 'RETRY_MAX', 'shorter than RETRY_BASE'],
  ['send concurrency zero', { SEND_CONCURRENCY: '0' }, 'SEND_CONCURRENCY', 'from 1 to 64'],
  ['simulator script', { SENSOR_TYPE: 'sim', SIM_SCRIPT: 'ok,explode' }, 'SIM_SCRIPT', '"explode" is not a simulator step'],
  // Every duration has a range that fits a Node timer (< 2^31 ms); zero where zero breaks things.
  ['interval beyond a timer (30d)', { INTERVAL: '30d' }, 'INTERVAL', 'too long (got "30d", expected a duration from 10ms to 1d'],
  ['retry base zero (a retry storm)', { RETRY_BASE: '0' }, 'RETRY_BASE', 'zero is not allowed (got "0", expected a duration from 10ms to 1h'],
  ['retry max beyond a timer', { RETRY_MAX: '25d' }, 'RETRY_MAX', 'expected a duration from 10ms to 1d'],
  ['request timeout zero (no timeout at all)', { REQUEST_TIMEOUT: '0' }, 'REQUEST_TIMEOUT', 'zero is not allowed (got "0", expected a duration from 100ms to 10m'],
  ['start timeout zero (exit 1, a restart loop)', { START_TIMEOUT: '0' }, 'START_TIMEOUT', 'expected a duration from 1s to 1d'],
  ['stop timeout zero', { STOP_TIMEOUT: '0' }, 'STOP_TIMEOUT', 'expected a duration from 100ms to 10m'],
  ['drain jitter beyond its range', { DRAIN_JITTER: '2h' }, 'DRAIN_JITTER', 'expected a duration from 0 to 1h'],
  ['stuck-after beyond its range', { STUCK_AFTER: '30d' }, 'STUCK_AFTER', 'expected a duration from 1s to 7d'],
  ['power off zero', { POWER_OFF: '0' }, 'POWER_OFF', 'expected a duration from 100ms to 1m'],
  ['watchdog interval beyond a timer', { WATCHDOG_INTERVAL: '30d' }, 'WATCHDOG_INTERVAL', 'expected a duration from 100ms to 1d'],
  ['time sync wait beyond its range', { TIME_SYNC_WAIT: '2d' }, 'TIME_SYNC_WAIT', 'expected a duration from 0 to 1d'],
];

async function runWith(overrides: Record<string, string | undefined>, argv: string[] = []) {
  const env: Record<string, string | undefined> = { ...SEED, DATA_DIR: dir, STATUS_LISTEN: '', ...overrides };
  for (const [k, v] of Object.entries(overrides)) if (v === undefined) delete env[k];
  const io = captureIo();
  const code = await main(argv, env, io);
  return { code, stderr: io.stderr.text, stdout: io.stdout.text };
}

describe('bad configuration stops the daemon with one clear line and exit 78', () => {
  it.each(BAD)('%s', async (_what, overrides, variable, fragment) => {
    const { code, stderr } = await runWith(overrides);
    expect(code).toBe(EX_CONFIG);
    const lines = stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(new RegExp(`^dht-telemetry: ${variable}: `));
    expect(lines[0]).toContain(fragment);
    expect(lines[0]).toMatch(/\(got .*expected .*\)$/);
    expect(stderr).not.toContain('    at ');
  });

  it('reports every problem at once, one line each', async () => {
    const { code, stderr } = await runWith({ SENSOR_PIN: '99', GEOLOCATION: 'x', LOG_LEVEL: 'loud' });
    expect(code).toBe(EX_CONFIG);
    expect(stderr.trim().split('\n').map((l) => l.split(':')[1]?.trim()).sort()).toEqual(['GEOLOCATION', 'LOG_LEVEL', 'SENSOR_PIN']);
  });

  it('never shows the password, even when it is the bad value', async () => {
    const { stderr } = await runWith({ DEVICE_PASSWORD_FILE: emptyPasswordFile, ENDPOINT: 'https://u:foobar@example.com/' });
    expect(stderr).not.toContain('foobar');
    expect(stderr).toContain('https://u:[redacted]@example.com/');
  });

  it('flags override the environment and are checked the same way', async () => {
    const { code, stderr } = await runWith({}, ['--sensor-pin', '31']);
    expect(code).toBe(EX_CONFIG);
    expect(stderr).toContain('SENSOR_PIN: out of range (got "31"');
  });

  it('an unknown flag is a usage error (64), not a crash', async () => {
    const { code, stderr } = await runWith({}, ['--sensor-pinn', '4']);
    expect(code).toBe(64);
    expect(stderr).toContain("Unknown option '--sensor-pinn'");
  });
});
