// Every option, once: its environment variable, its CLI flag, its default (as the
// raw string a user would type), its range for durations, and its help line. This is
// the one table: --help prints it, the loader takes its defaults and ranges from it,
// and the README test holds the README's configuration table to it.

/** Milliseconds. Every duration fits a Node timer (< 2^31 ms, 24.8 days). */
export interface DurationRange {
  min: number;
  max: number;
}

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

export interface OptionSpec {
  env: string;
  flag: string;
  default: string;
  help: string;
  /** For a duration: the values accepted (ms); out of range is a config error (exit 78). */
  range?: DurationRange;
  secret?: boolean;
  /** A flag that takes no value (`--tls-insecure` means true). */
  boolean?: boolean;
  group: 'endpoint' | 'sensor' | 'reading policy' | 'delivery' | 'daemon';
}

const spec = (env: string, group: OptionSpec['group'], def: string, help: string, extra: Partial<OptionSpec> = {}): OptionSpec => ({
  env,
  flag: `--${env.toLowerCase().replaceAll('_', '-')}`,
  default: def,
  help,
  group,
  ...extra,
});

export const OPTIONS: readonly OptionSpec[] = [
  spec('ENDPOINT', 'endpoint', '', 'Drogue HTTP endpoint: a base URL (then /v1/$CHANNEL is added) or a full .../v1/{channel} URL'),
  spec('CHANNEL', 'endpoint', 'status', 'Channel used when ENDPOINT is a base URL; also the event subject'),
  spec('APP_ID', 'endpoint', '', 'Drogue application id'),
  spec('DEVICE_ID', 'endpoint', '', 'Drogue device id'),
  spec('DEVICE_PASSWORD', 'endpoint', '', 'Device password (HTTP Basic, user DEVICE_ID@APP_ID)', { secret: true }),
  spec('DEVICE_PASSWORD_FILE', 'endpoint', '', 'File holding the device password (Podman secrets)'),
  spec('DATA_SCHEMA', 'endpoint', 'urn:drogue:iot:temperature', 'dataschema of the events'),
  spec('CONTENT_MODE', 'endpoint', 'binary', 'CloudEvents HTTP content mode: binary (ce-* headers) or structured'),
  spec('CA_FILE', 'endpoint', '', 'PEM file of a private CA to trust for HTTPS'),
  spec('TLS_INSECURE', 'endpoint', 'false', 'Skip TLS certificate checks (development only; logged loudly)', { boolean: true }),
  spec('REQUEST_TIMEOUT', 'endpoint', '10s', 'Connect, headers and body timeout of one POST (plus COMMAND_TIMEOUT)', { range: { min: 100, max: 10 * MINUTE } }),
  spec('COMMAND_TIMEOUT', 'endpoint', '0', 'Seconds each POST waits for a cloud command (Drogue ct); 0 = off'),
  spec('GEOLOCATION', 'endpoint', '', 'Device location as JSON {"lat": ..., "lon": ...}; numbers or numeric strings'),
  spec('SENSOR_TYPE', 'sensor', 'DHT22', 'DHT11, DHT22, AM2302 or sim (the built-in simulator)'),
  spec('SENSOR_PIN', 'sensor', '4', 'BCM GPIO pin of the data line (0-27)'),
  spec('SENSOR_POWER_PIN', 'sensor', '', 'BCM GPIO pin that powers the sensor, for power-cycling a hung part'),
  spec('SENSORS', 'sensor', '', 'Several sensors: name:type:pin[:powerpin],... (overrides SENSOR_TYPE/PIN)'),
  spec('INTERVAL', 'sensor', '30s', 'Time between readings (never below the model minimum: DHT22 2s, DHT11 1s); also the range of the set-interval command', { range: { min: 10, max: DAY } }),
  spec('LED_PIN', 'sensor', '', 'BCM GPIO pin of a status LED (blinks on delivery, steady on error)'),
  spec('SIM_SEED', 'sensor', '1', 'Seed of the simulator values'),
  spec('SIM_SCRIPT', 'sensor', '', 'Simulator failure script, e.g. ok*5,timeout*2,checksum,spike,hang'),
  spec('MEDIAN_WINDOW', 'reading policy', '3', 'Rolling median over this many trustworthy reads (1 = off)'),
  spec('MAX_TEMP_RATE', 'reading policy', '10', 'Largest believable temperature change, °C per minute'),
  spec('MAX_HUM_RATE', 'reading policy', '30', 'Largest believable humidity change, %RH per minute'),
  spec('STUCK_AFTER', 'reading policy', '1h', 'The same raw values for this long flag the sensor as stuck', { range: { min: SECOND, max: 7 * DAY } }),
  spec('WARN_AFTER_CYCLES', 'reading policy', '5', 'Cycles in a row without a trustworthy value before a warning'),
  spec('POWER_CYCLE_AFTER', 'reading policy', '5', 'Failed reads in a row before power-cycling (needs a power pin)'),
  spec('POWER_OFF', 'reading policy', '5s', 'How long the sensor stays off in a power cycle', { range: { min: 100, max: MINUTE } }),
  spec('POWER_SETTLE', 'reading policy', '2s', 'Wait after power returns before the next read', { range: { min: 0, max: MINUTE } }),
  spec('DATA_DIR', 'delivery', '/var/lib/dht-telemetry', 'Directory of the outbox database'),
  spec('OUTBOX_MAX_BYTES', 'delivery', '64MiB', 'Outbox bound; the oldest events are dropped (and counted) past it'),
  spec('OUTBOX_SYNC_WINDOW', 'delivery', '100ms', 'Readings closer together than this share one disk sync (SD card wear); 0 = each on its own', { range: { min: 0, max: SECOND } }),
  spec('SEND_CONCURRENCY', 'delivery', '4', 'Most POSTs in flight at once while draining a backlog'),
  spec('RETRY_BASE', 'delivery', '1s', 'First retry delay (exponential backoff with full jitter)', { range: { min: 10, max: HOUR } }),
  spec('RETRY_MAX', 'delivery', '5m', 'Longest retry delay (also the pause after refused credentials)', { range: { min: 10, max: DAY } }),
  spec('DRAIN_JITTER', 'delivery', '10s', 'Longest random delay before draining a backlog (fleet-friendly)', { range: { min: 0, max: HOUR } }),
  spec('STOP_TIMEOUT', 'delivery', '10s', 'Longest wait for in-flight POSTs at shutdown', { range: { min: 100, max: 10 * MINUTE } }),
  spec('STATUS_LISTEN', 'daemon', '127.0.0.1:9464', 'Status server (/healthz, /metrics, /) address; empty = off'),
  spec('LOG_LEVEL', 'daemon', 'info', 'fatal, error, warn, info, debug, trace or silent'),
  spec('WATCHDOG_INTERVAL', 'daemon', '', 'systemd watchdog interval (WatchdogSec), when WATCHDOG_USEC is not passed in', { range: { min: 100, max: DAY } }),
  spec('START_TIMEOUT', 'daemon', '90s', 'Longest wait for a first trustworthy reading before giving up at start', { range: { min: SECOND, max: DAY } }),
  spec('TIME_SYNC_WAIT', 'daemon', '5m', 'Where the host\'s /run/systemd/timesync/synchronized is visible, how long readings wait for it before being sent anyway; 0 = do not wait', { range: { min: 0, max: DAY } }),
];

/** The option of an environment variable; every name the loader asks for is in the table. */
export function option(env: string): OptionSpec {
  const found = OPTIONS.find((o) => o.env === env);
  if (!found) throw new Error(`no option ${env} in the options table`);
  return found;
}

/** A duration's range as people write it: `10ms to 1d`. */
export function rangeText(range: DurationRange): string {
  return `${formatDuration(range.min)} to ${formatDuration(range.max)}`;
}

/** The largest whole unit: 86400000 → 1d, 1500 → 1500ms, 0 → 0. */
export function formatDuration(ms: number): string {
  if (ms === 0) return '0';
  for (const [unit, size] of [['d', DAY], ['h', HOUR], ['m', MINUTE], ['s', SECOND]] as const) {
    if (ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${ms}ms`;
}
