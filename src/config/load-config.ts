// Turns raw strings (environment, overridden by CLI flags) into one typed Config,
// collecting every problem before failing, so a user fixes them all in one go.
import type * as NodeCrypto from 'node:crypto';
import { createRequire } from 'node:module';
import type { Config, EndpointConfig, Geolocation, SensorConfig } from './config.js';
import { CA_FILE_MAX_BYTES, FileTooLarge, NotAFile, PASSWORD_FILE_MAX_BYTES, readBoundedFile } from './bounded-file.js';
import { echoValue } from './echo.js';
import { OPTIONS, option, type DurationRange } from './options.js';
import { applyProtocolRules, hasControlCharacter } from './protocol-rules.js';
import * as p from './parsers.js';
import { ConfigError, ConfigErrors } from '../errors.js';
import { LOG_LEVELS } from '../log/logger.js';
import { parseSimScript, SIM_STEPS } from '../sensor/simulated-sensor.js';
import { MODEL_LIMITS, SENSOR_MODELS, type SensorModel } from '../sensor/sensor.js';

export type RawConfig = Readonly<Record<string, string | undefined>>;

export interface LoadOptions {
  /** `run` and `check` need an endpoint; `read` does not. */
  requireEndpoint: boolean;
  /** Reads a file of at most maxBytes (a password, a CA bundle); readBoundedFile by default. */
  readFile?: (path: string, maxBytes: number) => string;
}

const DEFAULTS: Record<string, string> = Object.fromEntries(OPTIONS.map((o) => [o.env, o.default]));
const SECRET = new Set(OPTIONS.filter((o) => o.secret).map((o) => o.env));

/** Throws ConfigErrors listing every problem. */
export function loadConfig(raw: RawConfig, options: LoadOptions): Config {
  const problems: ConfigError[] = [];
  const value = (name: string): string => raw[name] ?? DEFAULTS[name] ?? '';
  const isSet = (name: string): boolean => (raw[name] ?? '') !== '';

  // Defaults come from the options table (value() falls back to them). A field that does
  // not parse records its problem and yields undefined: the config is never returned then.
  function field<T>(name: string, parse: (v: string) => T): T {
    try {
      return parse(value(name));
    } catch (err) {
      problems.push(describe(name, value(name), err));
      return undefined as T;
    }
  }
  const optional = <T>(name: string, parse: (v: string) => T): T | null => (isSet(name) ? field(name, parse) : null);
  const duration = (name: string): number => field(name, (v) => p.parseDurationIn(v, durationRange(name)));

  const sensors = field('SENSORS', (v) => (v.trim() ? parseSensorList(v) : null)) ?? [
    {
      name: 'default',
      model: field('SENSOR_TYPE', (v) => p.parseChoice(v, SENSOR_MODELS)),
      pin: field('SENSOR_PIN', p.parsePin),
      powerPin: optional('SENSOR_POWER_PIN', p.parsePin),
    },
  ];
  const intervalMs = field('INTERVAL', (v) => checkInterval(p.parseDurationIn(v, durationRange('INTERVAL')), sensors));
  const ledPin = optional('LED_PIN', p.parsePin);
  if (ledPin !== null) checkPinConflicts(sensors, ledPin, problems);

  const config: Config = {
    endpoint: loadEndpoint(options, { value, isSet, field, duration, problems, given: (n) => raw[n] !== undefined, readFile: options.readFile ?? readBoundedFile }),
    geolocation: optional<Geolocation>('GEOLOCATION', p.parseGeolocation),
    sensors,
    sampling: {
      intervalMs,
      medianWindow: field('MEDIAN_WINDOW', (v) => p.parseInteger(v, 1, 15)),
      maxTempRatePerMin: field('MAX_TEMP_RATE', (v) => p.parseNumber(v, 0.1, 1000)),
      maxHumRatePerMin: field('MAX_HUM_RATE', (v) => p.parseNumber(v, 0.1, 1000)),
      stuckAfterMs: duration('STUCK_AFTER'),
      warnAfterCycles: field('WARN_AFTER_CYCLES', (v) => p.parseInteger(v, 1, 1_000_000)),
      powerCycleAfter: field('POWER_CYCLE_AFTER', (v) => p.parseInteger(v, 1, 1000)),
      powerOffMs: duration('POWER_OFF'),
      powerSettleMs: duration('POWER_SETTLE'),
      simSeed: field('SIM_SEED', (v) => p.parseInteger(v, 0, 2 ** 31 - 1)),
      simScript: optional('SIM_SCRIPT', checkSimScript),
    },
    delivery: {
      dataDir: field('DATA_DIR', (v) => p.parseNonEmpty(v, 'a directory path')),
      outboxMaxBytes: field('OUTBOX_MAX_BYTES', (v) => p.parseBytes(v, 64 * 1024)),
      // A reading is synced the moment it is taken unless another sync happened in the last
      // 100 ms: a real sensor (a reading a second at most) is synced each time, many sensors or
      // a fast simulator share syncs, 10 a second at most. An SD card wears by its fsyncs.
      outboxSyncWindowMs: duration('OUTBOX_SYNC_WINDOW'),
      concurrency: field('SEND_CONCURRENCY', (v) => p.parseInteger(v, 1, 64)),
      retryBaseMs: duration('RETRY_BASE'),
      retryMaxMs: duration('RETRY_MAX'),
      drainJitterMs: duration('DRAIN_JITTER'),
      stopTimeoutMs: duration('STOP_TIMEOUT'),
    },
    statusListen: field('STATUS_LISTEN', p.parseListen),
    ledPin,
    logLevel: field('LOG_LEVEL', (v) => p.parseChoice(v, LOG_LEVELS)),
    notifySocket: isSet('NOTIFY_SOCKET') ? value('NOTIFY_SOCKET') : null,
    watchdogMs: loadWatchdog(raw, field, duration),
    startTimeoutMs: duration('START_TIMEOUT'),
    timeSyncWaitMs: duration('TIME_SYNC_WAIT'),
  };
  if (config.delivery.retryMaxMs < config.delivery.retryBaseMs) {
    problems.push(new ConfigError('RETRY_MAX', `shorter than RETRY_BASE (got "${value('RETRY_MAX')}", expected at least "${value('RETRY_BASE')}")`));
  }
  if (config.endpoint) applyProtocolRules(config.endpoint, { value, isSet }, problems);
  if (problems.length > 0) throw new ConfigErrors(problems);
  return config;
}

interface Ctx {
  value: (name: string) => string;
  isSet: (name: string) => boolean;
  field: <T>(name: string, parse: (v: string) => T) => T;
  duration: (name: string) => number;
  problems: ConfigError[];
  readFile: (path: string, maxBytes: number) => string;
  given: (name: string) => boolean;
}

function loadEndpoint(options: LoadOptions, ctx: Ctx): EndpointConfig | null {
  const { value, isSet, field, duration, problems } = ctx;
  if (!isSet('ENDPOINT')) {
    if (options.requireEndpoint) problems.push(new ConfigError('ENDPOINT', 'not set (got nothing, expected an http:// or https:// URL such as https://http.sandbox.drogue.cloud)'));
    return null;
  }
  const channel = field('CHANNEL', (v) => p.parseNonEmpty(v, 'a channel name such as status'));
  const base = field<URL | null>('ENDPOINT', p.parseHttpUrl);
  const required = (name: string): string => {
    const what = name === 'APP_ID' ? 'application' : 'device';
    if (!isSet(name)) problems.push(new ConfigError(name, `${ctx.given(name) ? 'empty' : 'not set'} (got "", expected the Drogue ${what} id, needed with ENDPOINT)`));
    return value(name);
  };
  const appId = required('APP_ID');
  const deviceId = required('DEVICE_ID');
  const commandTimeoutS = field('COMMAND_TIMEOUT', (v) => p.parseInteger(v, 0, 3600));
  return {
    // Given its `/v1/{channel}` by applyProtocolRules (protocol-rules.ts), the one place for that rule.
    url: base ?? new URL('http://invalid.invalid/'),
    channel,
    appId,
    deviceId,
    password: loadPassword(ctx),
    dataSchema: field('DATA_SCHEMA', (v) => p.parseNonEmpty(v, 'a URI such as urn:drogue:iot:temperature')),
    contentMode: field('CONTENT_MODE', (v) => p.parseChoice(v, ['binary', 'structured'] as const)),
    caFile: isSet('CA_FILE') ? field('CA_FILE', (f) => checkCaFile(ctx.readFile, f)) : null,
    tlsInsecure: field('TLS_INSECURE', p.parseBoolean),
    requestTimeoutMs: duration('REQUEST_TIMEOUT'),
    commandTimeoutS,
  };
}

function loadPassword(ctx: Ctx): string | null {
  const { isSet, value, problems } = ctx;
  if (isSet('DEVICE_PASSWORD') && isSet('DEVICE_PASSWORD_FILE')) {
    problems.push(new ConfigError('DEVICE_PASSWORD_FILE', 'set together with DEVICE_PASSWORD (got both, expected one of them)'));
    return null;
  }
  if (isSet('DEVICE_PASSWORD')) return value('DEVICE_PASSWORD');
  if (!isSet('DEVICE_PASSWORD_FILE')) return null;
  return ctx.field('DEVICE_PASSWORD_FILE', (f) => {
    const secret = readChecked(ctx.readFile, f, PASSWORD_FILE_MAX_BYTES, 'a file holding the device password').replace(/\r?\n$/, '');
    if (secret === '') throw new p.Invalid('file is empty', 'a file holding the device password');
    return secret;
  });
}

/** The file's text, read with a bound; throws Invalid saying why it cannot be used. */
function readChecked(readFile: Ctx['readFile'], path: string, maxBytes: number, what: string): string {
  try {
    return readFile(path, maxBytes);
  } catch (err) {
    if (err instanceof FileTooLarge) throw new p.Invalid(`file is larger than ${maxBytes} bytes`, what);
    if (err instanceof NotAFile) throw new p.Invalid('not a regular file', what);
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    throw new p.Invalid(`cannot read the file (${code})`, `a readable file: ${what}`);
  }
}

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g;

/** The CA_FILE path, once the file is known to hold at least one certificate the TLS layer can use. */
function checkCaFile(readFile: Ctx['readFile'], path: string): string {
  const what = 'a PEM file with at least one CA certificate';
  const pem = readChecked(readFile, path, CA_FILE_MAX_BYTES, what);
  if (pem.trim() === '') throw new p.Invalid('file is empty', what);
  const blocks = pem.match(PEM_CERTIFICATE) ?? [];
  if (blocks.length === 0) throw new p.Invalid('no certificate in the file', what);
  // Loaded here, only with a CA_FILE: node:crypto costs ~15 ms of CPU at every start otherwise.
  const { X509Certificate } = createRequire(import.meta.url)('node:crypto') as typeof NodeCrypto;
  for (const block of blocks) {
    try {
      new X509Certificate(block);
    } catch {
      throw new p.Invalid('a certificate in the file does not parse', what);
    }
  }
  return path;
}

/** WATCHDOG_USEC (what systemd passes) has the range of WATCHDOG_INTERVAL, in microseconds. */
function loadWatchdog(raw: RawConfig, field: Ctx['field'], duration: Ctx['duration']): number | null {
  const { min, max } = durationRange('WATCHDOG_INTERVAL');
  if (raw.WATCHDOG_USEC) return field('WATCHDOG_USEC', (v) => Math.round(p.parseInteger(v, min * 1000, max * 1000) / 1000));
  if (raw.WATCHDOG_INTERVAL) return duration('WATCHDOG_INTERVAL');
  return null;
}

function durationRange(name: string): DurationRange {
  const { range } = option(name);
  if (!range) throw new Error(`${name} has no range in the options table`);
  return range;
}

// Any text but the list's separators: the name travels percent-encoded in ce-sensor and as
// JSON in the payload (issue 14, "any name delivers"). No control characters, 64 at most.
const SENSOR_NAME = /^[^,:]{1,64}$/u;

/** `living:DHT22:4,attic:DHT11:17:27` — name:type:pin[:powerpin]. */
export function parseSensorList(raw: string): SensorConfig[] {
  const expected = 'name:type:pin[:powerpin],... such as living:DHT22:4,attic:DHT11:17';
  const sensors = raw.split(',').map((item) => {
    const parts = item.trim().split(':');
    const [name = '', type = '', pin = '', power] = parts.map((part) => part.trim());
    if (parts.length < 3 || parts.length > 4) throw new p.Invalid(`"${echoValue(item.trim())}" is not name:type:pin`, expected);
    if (!SENSOR_NAME.test(name) || hasControlCharacter(name)) throw new p.Invalid(`sensor name "${echoValue(name)}" is empty, too long or has a control character`, expected);
    const at = (what: string, fn: () => number | SensorModel): number | SensorModel => {
      try {
        return fn();
      } catch (err) {
        throw err instanceof p.Invalid ? new p.Invalid(`${echoValue(name)}: ${what} ${err.problem}`, `${err.expected}; ${expected}`) : err;
      }
    };
    return {
      name,
      model: at('type', () => p.parseChoice(type, SENSOR_MODELS)) as SensorModel,
      pin: at('pin', () => p.parsePin(pin)) as number,
      powerPin: power === undefined ? null : (at('power pin', () => p.parsePin(power)) as number),
    };
  });
  const names = new Set(sensors.map((s) => s.name));
  if (names.size !== sensors.length) throw new p.Invalid('duplicate sensor name', expected);
  const pins = sensors.flatMap((s) => (s.powerPin === null ? [s.pin] : [s.pin, s.powerPin]));
  if (new Set(pins).size !== pins.length) throw new p.Invalid('a GPIO pin is used twice', `${expected}, each pin once`);
  return sensors;
}

function checkSimScript(script: string): string {
  try {
    parseSimScript(script);
  } catch (err) {
    // The message quotes the bad step: bounded and escaped like any echoed value.
    throw new p.Invalid(echoValue((err as Error).message.replace(/ \(expected.*$/s, '')), `steps ${SIM_STEPS.join(', ')}, each with an optional *count`);
  }
  return script;
}

function checkInterval(ms: number, sensors: SensorConfig[]): number {
  for (const s of sensors) {
    // A sensor type that did not parse is reported on its own.
    const min = MODEL_LIMITS[s.model]?.minIntervalMs ?? 0;
    if (ms < min) throw new p.Invalid(`below the ${s.model} minimum`, `at least ${min / 1000}s for ${s.model}`);
  }
  return ms;
}

function checkPinConflicts(sensors: SensorConfig[], ledPin: number, problems: ConfigError[]): void {
  if (sensors.some((s) => s.pin === ledPin || s.powerPin === ledPin)) {
    problems.push(new ConfigError('LED_PIN', `pin ${ledPin} is already a sensor pin (got "${ledPin}", expected a free BCM pin)`));
  }
}

function describe(name: string, raw: string, err: unknown): ConfigError {
  const shown = echoValue(raw, SECRET.has(name));
  if (err instanceof p.Invalid) return new ConfigError(name, `${err.problem} (got "${shown}", expected ${err.expected})`);
  return new ConfigError(name, `invalid (got "${shown}")`);
}
