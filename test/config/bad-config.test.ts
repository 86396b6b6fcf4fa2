import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/cli.js';
import { EX_CONFIG } from '../../src/cli/exit-codes.js';
import { captureIo } from '../helpers/capture.js';
import { SEED_ENV } from '../helpers/seed.js';

const dir = mkdtempSync(join(tmpdir(), 'dht-config-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const emptyPasswordFile = join(dir, 'empty');
writeFileSync(emptyPasswordFile, '');
const notACertificate = join(dir, 'not-a-cert.pem');
writeFileSync(notACertificate, 'this is a README, not a certificate\n');
const brokenCertificate = join(dir, 'broken.pem');
writeFileSync(brokenCertificate, '-----BEGIN CERTIFICATE-----\nbm90IGEgY2VydGlmaWNhdGU=\n-----END CERTIFICATE-----\n');
const hugeCaFile = join(dir, 'huge.pem');
writeFileSync(hugeCaFile, 'x'.repeat(1024 * 1024 + 1));

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
  ['CA file empty', { CA_FILE: emptyPasswordFile }, 'CA_FILE', 'file is empty'],
  ['CA file without a certificate', { CA_FILE: notACertificate }, 'CA_FILE', 'no certificate in the file'],
  ['CA file with a certificate that does not parse', { CA_FILE: brokenCertificate }, 'CA_FILE', 'a certificate in the file does not parse'],
  ['CA file of 1 MiB + 1 byte', { CA_FILE: hugeCaFile }, 'CA_FILE', 'file is larger than 1048576 bytes'],
  ['CA file /dev/zero (must not eat memory)', { CA_FILE: '/dev/zero' }, 'CA_FILE', 'file is larger than 1048576 bytes'],
  ['password file /dev/zero (must not eat memory)', { DEVICE_PASSWORD: undefined, DEVICE_PASSWORD_FILE: '/dev/zero' }, 'DEVICE_PASSWORD_FILE', 'file is larger than 4096 bytes'],
  ['password file a directory', { DEVICE_PASSWORD: undefined, DEVICE_PASSWORD_FILE: dir }, 'DEVICE_PASSWORD_FILE', 'not a regular file'],
  ['sensors list malformed', { SENSORS: 'living:DHT22' }, 'SENSORS', 'is not name:type:pin'],
  ['sensors list bad type', { SENSORS: 'living:DHT22:4,attic:DHT99:17' }, 'SENSORS', 'attic: type unknown value'],
  ['sensors list pin twice', { SENSORS: 'living:DHT22:4,attic:DHT11:4' }, 'SENSORS', 'a GPIO pin is used twice'],
  ['sensors list duplicate names', { SENSORS: 'a:DHT22:4,a:DHT11:5' }, 'SENSORS', 'duplicate sensor name'],
  ['LED on a sensor pin', { LED_PIN: '4' }, 'LED_PIN', 'already a sensor pin'],
  ['retry max below base', { RETRY_BASE: '10s', RETRY_MAX: '1s' }, 'RETRY_MAX', 'shorter than RETRY_BASE'],
  ['send concurrency zero', { SEND_CONCURRENCY: '0' }, 'SEND_CONCURRENCY', 'from 1 to 64'],
  ['simulator script', { SENSOR_TYPE: 'sim', SIM_SCRIPT: 'ok,explode' }, 'SIM_SCRIPT', '"explode" is not a simulator step'],
  // Issue 14: values no receiver can use (src/config/protocol-rules.ts).
  ['DATA_SCHEMA "my schema" is not a URI', { DATA_SCHEMA: 'my schema' }, 'DATA_SCHEMA', 'not a URI: it contains whitespace'],
  ['DATA_SCHEMA without a scheme', { DATA_SCHEMA: 'temperature' }, 'DATA_SCHEMA', 'no scheme'],
  ['DATA_SCHEMA with a stray %', { DATA_SCHEMA: 'urn:x:50%' }, 'DATA_SCHEMA', 'not followed by two hex digits'],
  ['DATA_SCHEMA with a double quote', { DATA_SCHEMA: 'urn:x:"q"' }, 'DATA_SCHEMA', 'a character URIs do not allow'],
  ['CHANNEL=. (every event dead-lettered)', { ENDPOINT: 'https://http.sandbox.drogue.cloud', CHANNEL: '.' }, 'CHANNEL', 'URL normalisation removes'],
  ['CHANNEL=.. (every event dead-lettered)', { ENDPOINT: 'https://http.sandbox.drogue.cloud', CHANNEL: '..' }, 'CHANNEL', 'URL normalisation removes'],
  ['CHANNEL=" status " (the path and the subject disagree)', { ENDPOINT: 'https://http.sandbox.drogue.cloud', CHANNEL: ' status ' }, 'CHANNEL', 'whitespace at either end'],
  ['CHANNEL with a slash', { ENDPOINT: 'https://http.sandbox.drogue.cloud', CHANNEL: 'a/b' }, 'CHANNEL', 'contains "/"'],
  ['CHANNEL with a control character', { ENDPOINT: 'https://http.sandbox.drogue.cloud', CHANNEL: 'a\tb' }, 'CHANNEL', 'control character'],
  ['ENDPOINT ending in /v1 (would post to /v1/v1/status)', { ENDPOINT: 'https://http.sandbox.drogue.cloud/v1' }, 'ENDPOINT', 'ends in /v1 without a channel'],
  ['ENDPOINT ending in /v1/', { ENDPOINT: 'https://http.sandbox.drogue.cloud/v1/' }, 'ENDPOINT', 'ends in /v1 without a channel'],
  ['ENDPOINT ending in /v1/. (normalised to /v1/)', { ENDPOINT: 'https://http.sandbox.drogue.cloud/v1/.' }, 'ENDPOINT', 'ends in /v1 without a channel'],
  ['ENDPOINT with a query string (silently dropped before)', { ENDPOINT: 'https://http.sandbox.drogue.cloud/v1/foo?token=abc' }, 'ENDPOINT', 'has a query string'],
  ['ENDPOINT with more after the channel', { ENDPOINT: 'https://http.sandbox.drogue.cloud/v1/foo/bar' }, 'ENDPOINT', 'more than one path segment after /v1'],
  ['CHANNEL disagreeing with the channel ENDPOINT names', { CHANNEL: 'bar' }, 'CHANNEL', 'differs from the channel "foo" that ENDPOINT names'],
  ['whitespace-only APP_ID', { APP_ID: '   ' }, 'APP_ID', 'blank'],
  ['whitespace-only DEVICE_ID', { DEVICE_ID: ' \t' }, 'DEVICE_ID', 'blank'],
  ['APP_ID with a colon (HTTP Basic cannot carry it)', { APP_ID: 'a:b' }, 'APP_ID', 'contains ":"'],
  ['GEOLOCATION extra key neither number nor string', { GEOLOCATION: '{"lat": 1, "lon": 2, "alt": {"m": 3}}' }, 'GEOLOCATION', '"alt" is not a number or a string'],
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
    expect(stderr).toContain('"https://[redacted]@example.com/"');
  });

  // [the ENDPOINT, the secret parts that must not appear, what the line shows instead]
  const USERINFO: Array<[string, string, string[], string]> = [
    ['a password with a slash', 'https://device:pa/ss0rd@example.com/', ['pa/ss0rd', 'ss0rd', 'device'], '"https://[redacted]@example.com/"'],
    ['a password with an @', 'https://device:p@ssw0rd@example.com/', ['p@ssw0rd', 'ssw0rd', 'device'], '"https://[redacted]@example.com/"'],
    ['a token as the username', 'https://ghp_T0kenT0kenT0ken@example.com/', ['ghp_T0ken', 'T0ken'], '"https://[redacted]@example.com/"'],
    ['user:pw@host without a scheme', 'device:hunter2@example.com/v1/status', ['hunter2', 'device'], '"[redacted]@example.com/v1/status"'],
    ['a password with a slash and no scheme', 'device:hun/ter2@example.com', ['hun/ter2', 'ter2'], '"[redacted]@example.com"'],
  ];
  it.each(USERINFO)('never echoes ENDPOINT userinfo: %s', async (_what, endpoint, secrets, shown) => {
    const { code, stderr } = await runWith({ ENDPOINT: endpoint });
    expect(code).toBe(EX_CONFIG);
    expect(stderr.trim().split('\n')).toHaveLength(1);
    expect(stderr).toMatch(/^dht-telemetry: ENDPOINT: /);
    for (const secret of secrets) expect(stderr).not.toContain(secret);
    expect(stderr).toContain(shown);
  });

  it('echoes at most 80 characters of a value, with control characters escaped', async () => {
    const long = await runWith({ SENSOR_TYPE: 'D'.repeat(10_000) });
    expect(long.code).toBe(EX_CONFIG);
    const line = long.stderr.trim();
    expect(line.split('\n')).toHaveLength(1);
    expect(line).toContain(`(got "${'D'.repeat(80)}... (10000 characters)", expected one of`);
    expect(line).not.toContain('D'.repeat(81));

    const forged = await runWith({ GEOLOCATION: 'x\n{"level":50,"msg":"forged"}\r\u001b[2J' });
    expect(forged.code).toBe(EX_CONFIG);
    expect(forged.stderr.trim().split('\n')).toHaveLength(1);
    expect(forged.stderr).toContain('(got "x\\n{"level":50,"msg":"forged"}\\r\\u001b[2J", expected');

    const sensors = await runWith({ SENSORS: `living:DHT22\n${'x'.repeat(5000)}` });
    expect(sensors.stderr.trim().split('\n')).toHaveLength(1);
    expect(sensors.stderr).not.toContain('x'.repeat(81));
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
