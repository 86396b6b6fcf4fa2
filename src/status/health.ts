// The health verdict: one pure function of a DaemonSnapshot, read by /healthz
// (Podman's HealthCmd, `dht-telemetry health`), the live page and `check`.
//
// Rules, first match of the worst kind wins the status; every match adds a reason:
//   failing  (HTTP 503)
//     - starting: not ready yet (outbox not open or no first reading)
//     - stopping: shutdown began
//     - no trustworthy reading from ANY sensor for max(staleIntervals × interval, staleMinMs)
//       (a sensor that never read counts from the daemon's start)
//     - the outbox fell back to memory: a power loss would lose what is queued
//     - a loop is wedged: the watchdog withholds WATCHDOG=1 (systemd restarts the service)
//   degraded (HTTP 200: the daemon does its job, but someone should look)
//     - one sensor, not all, without a trustworthy reading for that long
//     - a sensor is stuck (the same raw pair for too long)
//     - a sensor failed `sensorFailedCycles` cycles in a row
//     - the endpoint refused the credentials (403/401): events stay queued
//     - the endpoint answered a status that condemns it or the configuration (3xx, 404, 410, ...)
//     - `deliveryFailures` sends in a row failed: the outbox holds the events
//     - the wall clock is below the release build time, or the host has not synced yet:
//       readings are queued, not sent (src/time/time-keeper.ts)
// Every age is taken on the monotonic clock (snapshot.now); wall time only shows dates.
//   ok       otherwise
// Delivery trouble never makes the daemon "failing": restarting it would not bring the
// network back, and the outbox keeps every reading until it does.
import type { ClockState } from '../time/time-keeper.js';
import type { CounterSample } from '../metrics/counters.js';
import type { OutboxStats } from '../outbox/outbox.js';
import type { DaemonSnapshot, SensorSnapshot } from './snapshot.js';

export type HealthStatus = 'ok' | 'degraded' | 'failing';

export interface HealthRules {
  /** A sensor is stale after this many of its intervals without a trustworthy reading... */
  staleIntervals: number;
  /** ...but never sooner than this. */
  staleMinMs: number;
  /** Failed cycles in a row before a sensor makes the daemon degraded. */
  sensorFailedCycles: number;
  /** Failed sends in a row before delivery makes the daemon degraded (one blip is routine). */
  deliveryFailures: number;
}

export const DEFAULT_HEALTH_RULES: HealthRules = {
  staleIntervals: 3,
  staleMinMs: 5 * 60_000,
  sensorFailedCycles: 3,
  deliveryFailures: 3,
};

export interface SensorHealth {
  name: string;
  model: string;
  pin: number;
  intervalS: number;
  /** Seconds since the last trustworthy reading; null when there was none yet. */
  lastReadingAgeS: number | null;
  lastReading: { temperature: number; humidity: number; time: string } | null;
  lastError: string | null;
  failedCycles: number;
  stuck: boolean;
  /** No trustworthy reading for longer than the stale threshold. */
  stale: boolean;
}

export interface DeliveryHealth {
  lastDeliveryAt: string | null;
  lastDeliveryAgeS: number | null;
  consecutiveFailures: number;
  lastError: string | null;
  /** Seconds until the next send may go out (backoff, Retry-After, refused credentials). */
  pausedForS: number;
  inFlight: number;
  credentialsRefused: boolean;
}

export interface Health {
  status: HealthStatus;
  /** The process runs and is not shutting down. */
  live: boolean;
  /** Started (outbox open, first reading taken) and not shutting down. */
  ready: boolean;
  /** HTTP status /healthz answers with. */
  httpStatus: 200 | 503;
  reasons: string[];
  now: string;
  uptimeS: number;
  /** The running package version: after an auto-update rollback, the old one again. */
  version: string;
  node: string;
  device: { appId: string; deviceId: string; channel: string; endpoint: string; geolocation: { lat: number; lon: number } | null };
  sensors: SensorHealth[];
  delivery: DeliveryHealth;
  outbox: OutboxStats;
  /** The wall clock: synced (the host's word), stepped at, below the floor; null when not kept. */
  clock: ClockState | null;
  /** The loops the watchdog finds wedged; null without a watchdog. */
  watchdog: { wedgedLoops: string[] } | null;
  /** `name{label="value",...}` → value, as on /metrics without the `dht_` prefix. */
  counters: Record<string, number>;
}

const RANK: Record<HealthStatus, number> = { ok: 0, degraded: 1, failing: 2 };

export function evaluateHealth(s: DaemonSnapshot, rules?: Partial<HealthRules>): Health {
  const r = { ...DEFAULT_HEALTH_RULES, ...rules };
  let status: HealthStatus = 'ok';
  const reasons: string[] = [];
  const flag = (level: Exclude<HealthStatus, 'ok'>, reason: string): void => {
    if (RANK[level] > RANK[status]) status = level;
    reasons.push(reason);
  };

  if (s.stopping) flag('failing', 'stopping: shutdown in progress');
  else if (!s.ready) flag('failing', `starting: not ready yet (${seconds(s.now - s.startedAt)} s since start)`);

  const sensors = s.sensors.map((sensor) => sensorHealth(s, sensor, r));
  const stale = sensors.filter((x) => x.stale);
  if (sensors.length > 0 && stale.length === sensors.length) {
    flag('failing', `no trustworthy reading from any sensor for over ${seconds(staleAfterMs(maxInterval(s.sensors), r))} s`);
  } else {
    for (const x of stale) flag('degraded', `sensor ${x.name}: no trustworthy reading for ${x.lastReadingAgeS ?? seconds(s.now - s.startedAt)} s${x.lastError ? ` (${x.lastError})` : ''}`);
  }
  for (const x of sensors) {
    if (x.stuck) flag('degraded', `sensor ${x.name}: stuck, it keeps returning the same values`);
    else if (!x.stale && x.failedCycles >= r.sensorFailedCycles) flag('degraded', `sensor ${x.name}: ${x.failedCycles} failed cycles in a row${x.lastError ? ` (${x.lastError})` : ''}`);
  }

  for (const loop of s.wedgedLoops ?? []) flag('failing', `loop ${loop} is wedged: WATCHDOG=1 withheld so systemd restarts the service`);
  if (s.outbox.storage === 'memory') flag('failing', `outbox fell back to memory: ${plural(s.outbox.depth, 'queued event')} would be lost on power loss`);

  const delivery = deliveryHealth(s);
  if (delivery.credentialsRefused) {
    flag('degraded', `endpoint refused the credentials (${delivery.lastError}): check APP_ID, DEVICE_ID and DEVICE_PASSWORD; ${plural(s.outbox.depth, 'event')} kept in the outbox`);
  } else if (s.delivery.endpointRefused) {
    flag('degraded', `endpoint answered ${delivery.lastError ?? 'with an unexpected status'}: check ENDPOINT; ${plural(s.outbox.depth, 'event')} kept in the outbox`);
  } else if (delivery.consecutiveFailures >= r.deliveryFailures) {
    flag('degraded', `deliveries failing: ${delivery.consecutiveFailures} in a row (${delivery.lastError ?? 'unknown error'}); ${plural(s.outbox.depth, 'event')} kept in the outbox`);
  }

  if (s.clock?.belowFloor) flag('degraded', `wall clock is below this release's build time (${s.clock.floor}): readings are queued, not sent, until it is set`);
  else if (s.clock?.waitingForSync) flag('degraded', 'waiting for the host clock to synchronize (TIME_SYNC_WAIT): readings are queued, not sent');

  // TS narrows `status` to 'ok' here: it cannot see the assignments inside `flag`.
  const finalStatus = status as HealthStatus;
  return {
    status: finalStatus,
    live: !s.stopping,
    ready: s.ready && !s.stopping,
    httpStatus: finalStatus === 'failing' ? 503 : 200,
    reasons,
    now: new Date(s.wallNow).toISOString(),
    uptimeS: seconds(s.now - s.startedAt),
    version: s.build.version,
    node: s.build.node,
    device: {
      appId: s.device.appId,
      deviceId: s.device.deviceId,
      channel: s.device.channel,
      endpoint: withoutCredentials(s.device.endpoint),
      geolocation: s.device.geolocation ? { lat: s.device.geolocation.lat, lon: s.device.geolocation.lon } : null,
    },
    sensors,
    delivery,
    outbox: { ...s.outbox },
    clock: s.clock ? { ...s.clock } : null,
    watchdog: s.wedgedLoops ? { wedgedLoops: [...s.wedgedLoops] } : null,
    counters: counterMap(s.counters),
  };
}

function sensorHealth(s: DaemonSnapshot, sensor: SensorSnapshot, r: HealthRules): SensorHealth {
  const last = sensor.lastReading;
  // On the monotonic clock: a wall-clock step never makes a reading look fresh or old.
  const age = last ? Math.max(0, last.mono !== undefined ? s.now - last.mono : s.wallNow - last.time) : null;
  // A sensor that never read is judged from the daemon's start, so a fresh start is not stale.
  const silentFor = age ?? Math.max(0, s.now - s.startedAt);
  return {
    name: sensor.name,
    model: sensor.model,
    pin: sensor.pin,
    intervalS: sensor.intervalMs / 1000,
    lastReadingAgeS: age === null ? null : seconds(age),
    lastReading: last ? { temperature: last.temperature, humidity: last.humidity, time: new Date(last.time).toISOString() } : null,
    lastError: sensor.lastError,
    failedCycles: sensor.failedCycles,
    stuck: sensor.stuck,
    stale: silentFor > staleAfterMs(sensor.intervalMs, r),
  };
}

function deliveryHealth(s: DaemonSnapshot): DeliveryHealth {
  const d = s.delivery;
  const refused = d.consecutiveFailures > 0 && d.lastError !== null && /^40[13]\b/.test(d.lastError);
  return {
    lastDeliveryAt: d.lastDeliveryAt === null ? null : new Date(s.wallNow - (s.now - d.lastDeliveryAt)).toISOString(),
    lastDeliveryAgeS: d.lastDeliveryAt === null ? null : seconds(Math.max(0, s.now - d.lastDeliveryAt)),
    consecutiveFailures: d.consecutiveFailures,
    lastError: d.lastError,
    pausedForS: seconds(Math.max(0, d.pausedUntil - s.now)),
    inFlight: d.inFlight,
    credentialsRefused: refused,
  };
}

export function staleAfterMs(intervalMs: number, rules: HealthRules = DEFAULT_HEALTH_RULES): number {
  return Math.max(rules.staleIntervals * intervalMs, rules.staleMinMs);
}

function maxInterval(sensors: readonly SensorSnapshot[]): number {
  return Math.max(0, ...sensors.map((x) => x.intervalMs));
}

/** `name{a="x",b="y"}`, labels sorted, the same series names /metrics shows (without `dht_`). */
export function counterKey(sample: Pick<CounterSample, 'name' | 'labels'>): string {
  const labels = Object.keys(sample.labels)
    .sort()
    .map((k) => `${k}="${sample.labels[k]}"`);
  return labels.length ? `${sample.name}{${labels.join(',')}}` : sample.name;
}

function counterMap(samples: readonly CounterSample[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const sample of [...samples].sort((a, b) => counterKey(a).localeCompare(counterKey(b)))) out[counterKey(sample)] = sample.value;
  return out;
}

/** The snapshot carries no credentials; this keeps it so if a URL with user:pass@ or a query ever slips in. */
function withoutCredentials(endpoint: string): string {
  try {
    const url = new URL(endpoint);
    return url.origin + url.pathname;
  } catch {
    return endpoint.replace(/\/\/[^/@]*@/, '//').replace(/[?#].*$/, '');
  }
}

function plural(n: number, noun: string): string {
  return `${n} ${noun}${n === 1 ? '' : 's'}`;
}

function seconds(ms: number): number {
  return Math.round(ms / 100) / 10;
}
