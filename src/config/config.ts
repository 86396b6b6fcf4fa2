// The one typed configuration object. Built once by loadConfig(); nothing
// downstream reads process.env.
import type { LogLevel } from '../log/logger.js';
import type { SensorModel } from '../sensor/sensor.js';

export type ContentMode = 'binary' | 'structured';

/** lat/lon normalised to numbers; any other keys of GEOLOCATION (numbers or strings) kept as given. */
export interface Geolocation {
  lat: number;
  lon: number;
  [extra: string]: number | string;
}

export interface SensorConfig {
  name: string;
  model: SensorModel;
  /** BCM pin of the data line. */
  pin: number;
  /** BCM pin that powers the sensor, so a hung part can be power-cycled. */
  powerPin: number | null;
}

export interface EndpointConfig {
  /** The full `.../v1/{channel}` URL, without query. */
  url: URL;
  /** The channel posted to (the `{channel}` of url, decoded): the events' subject. */
  channel: string;
  appId: string;
  deviceId: string;
  /** Never logged; see log/logger.ts redaction. */
  password: string | null;
  dataSchema: string;
  contentMode: ContentMode;
  caFile: string | null;
  tlsInsecure: boolean;
  requestTimeoutMs: number;
  /** Seconds each POST waits for a cloud command (Drogue `ct`); 0 = off. */
  commandTimeoutS: number;
}

export interface SamplingConfig {
  intervalMs: number;
  /** Rolling median over this many trustworthy reads (1 = off). */
  medianWindow: number;
  /** Largest believable change, °C per minute; a bigger jump waits for confirmation. */
  maxTempRatePerMin: number;
  /** Largest believable change, %RH per minute. */
  maxHumRatePerMin: number;
  /** The same raw pair for this long flags the sensor as stuck. */
  stuckAfterMs: number;
  /** Consecutive cycles without a trustworthy value before a warning. */
  warnAfterCycles: number;
  /** Consecutive failed reads before the power pin cycles the sensor. */
  powerCycleAfter: number;
  powerOffMs: number;
  powerSettleMs: number;
  /** Deterministic simulator values (tests, demos). */
  simSeed: number;
  /** Failure script for the simulator, e.g. "timeout*3,ok*5,spike,hang". */
  simScript: string | null;
}

export interface DeliveryConfig {
  dataDir: string;
  outboxMaxBytes: number;
  /** Appends closer together than this share one flush and fsync of the outbox (0: each its own). */
  outboxSyncWindowMs: number;
  concurrency: number;
  retryBaseMs: number;
  retryMaxMs: number;
  /** Longest random delay before draining a backlog, so a fleet does not stampede. */
  drainJitterMs: number;
  /** Longest wait for in-flight sends at shutdown. */
  stopTimeoutMs: number;
}

export interface Listen {
  host: string;
  port: number;
}

export interface Config {
  /** Null only for commands that send nothing (`read`). */
  endpoint: EndpointConfig | null;
  geolocation: Geolocation | null;
  sensors: SensorConfig[];
  sampling: SamplingConfig;
  delivery: DeliveryConfig;
  statusListen: Listen | null;
  ledPin: number | null;
  logLevel: LogLevel;
  notifySocket: string | null;
  /** Full systemd watchdog interval; pings go at half of it. */
  watchdogMs: number | null;
  startTimeoutMs: number;
  /** Where the host's time-sync flag is visible, the longest wait for it before sending; 0 = none. */
  timeSyncWaitMs: number;
}

/** What the daemon runs with: loadConfig({ requireEndpoint: true }) guarantees the endpoint. */
export type DaemonConfig = Config & { endpoint: EndpointConfig };
