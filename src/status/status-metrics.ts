// /metrics: a prom-client Registry of our own (never the global one, so two daemons or
// tests in one process never share series). Everything except the send-duration
// histogram is read from ONE DaemonSnapshot per scrape, so /metrics, /healthz and the
// logs read the same numbers (the Counters) and a scrape is self-consistent.
//
// Counters: every name in COUNTER_HELP becomes `dht_<name>` (they already end in
// `_total`). Their label sets come from the samples; prom-client fixes a metric's label
// names at creation, so a family is re-created when a sample brings a new label name.
import { Counter, Gauge, Registry, collectDefaultMetrics, type Metric } from 'prom-client';
import { COUNTER_HELP, type CounterName, type CounterSample } from '../metrics/counters.js';
import type { DaemonSnapshot } from './snapshot.js';
import { SendDurations } from './send-durations.js';

/** Label names each counter is known to carry, so its family exists from the first scrape. */
const KNOWN_LABELS: Record<CounterName, readonly string[]> = {
  readings_total: ['sensor'],
  readings_rejected_total: ['sensor', 'reason'],
  events_queued_total: [],
  events_sent_total: [],
  events_retried_total: ['reason'],
  events_dropped_total: ['reason'],
  events_dead_lettered_total: ['status'],
  auth_failures_total: [],
  commands_total: ['command', 'result'],
  power_cycles_total: ['sensor'],
  readings_restamped_total: [],
  heap_collections_total: [],
};

interface CounterFamily {
  counter: Counter<string>;
  labelNames: string[];
}

export class StatusMetrics {
  readonly registry = new Registry();
  private readonly snapshot: () => DaemonSnapshot;
  private readonly families = new Map<string, CounterFamily>();
  private readonly g: ReturnType<typeof createGauges>;

  /** `durations` may have been filling since start; it is read at every scrape. */
  constructor(snapshot: () => DaemonSnapshot, durations: SendDurations = new SendDurations()) {
    this.snapshot = snapshot;
    collectDefaultMetrics({ register: this.registry });
    this.g = createGauges(this.registry);
    this.registry.registerMetric(durations as unknown as Metric);
    for (const name of Object.keys(COUNTER_HELP) as CounterName[]) this.family(name, [...KNOWN_LABELS[name]]);
  }

  get contentType(): string {
    return this.registry.contentType;
  }

  /** The Prometheus text exposition, from a fresh snapshot. */
  async render(): Promise<string> {
    const s = this.snapshot();
    this.syncCounters(s.counters);
    this.syncGauges(s);
    return this.registry.metrics();
  }

  private syncCounters(samples: readonly CounterSample[]): void {
    const byName = new Map<string, CounterSample[]>();
    for (const name of Object.keys(COUNTER_HELP)) byName.set(name, []);
    for (const sample of samples) {
      const list = byName.get(sample.name);
      if (list) list.push(sample);
      else byName.set(sample.name, [sample]);
    }
    for (const [name, list] of byName) {
      const wanted = new Set<string>(KNOWN_LABELS[name as CounterName] ?? []);
      for (const sample of list) for (const key of Object.keys(sample.labels)) wanted.add(labelName(key));
      const family = this.family(name, [...wanted]);
      family.counter.reset();
      for (const sample of list) family.counter.inc(promLabels(sample.labels), sample.value);
    }
  }

  private family(name: string, labelNames: string[]): CounterFamily {
    const sorted = [...new Set(labelNames)].sort();
    const existing = this.families.get(name);
    if (existing && existing.labelNames.join(',') === sorted.join(',')) return existing;
    const metricName = `dht_${name}`;
    if (existing) this.registry.removeSingleMetric(metricName);
    const help = (COUNTER_HELP as Record<string, string>)[name] ?? name;
    const family = { counter: new Counter({ name: metricName, help, labelNames: sorted, registers: [this.registry] }), labelNames: sorted };
    this.families.set(name, family);
    return family;
  }

  private syncGauges(s: DaemonSnapshot): void {
    const g = this.g;
    g.outboxDepth.set(s.outbox.depth);
    g.outboxBytes.set(s.outbox.bytes);
    g.outboxInFlight.set(s.outbox.inFlight);
    g.outboxOnDisk.set(s.outbox.storage === 'disk' ? 1 : 0);
    g.outboxDeadLetters.set(s.outbox.deadLettered);
    g.deliveryFailures.set(s.delivery.consecutiveFailures);
    g.ready.set(s.ready && !s.stopping ? 1 : 0);
    // 0 until the first delivery, the usual Prometheus spelling of "never".
    // lastDeliveryAt is monotonic; shown as the wall time it had.
    g.lastDelivery.set(s.delivery.lastDeliveryAt === null ? 0 : (s.wallNow - (s.now - s.delivery.lastDeliveryAt)) / 1000);
    g.buildInfo.reset();
    g.buildInfo.set({ version: s.build.version, node: s.build.node }, 1);
    g.deviceInfo.reset();
    g.deviceInfo.set({ app_id: s.device.appId, device_id: s.device.deviceId, channel: s.device.channel }, 1);
    // Reset first, so a sensor that has no reading yet has no temperature series at all.
    for (const gauge of [g.temperature, g.humidity, g.lastReading, g.stuck, g.failedCycles]) gauge.reset();
    for (const sensor of s.sensors) {
      const labels = { sensor: sensor.name };
      g.stuck.set(labels, sensor.stuck ? 1 : 0);
      g.failedCycles.set(labels, sensor.failedCycles);
      const r = sensor.lastReading;
      if (!r) continue;
      g.temperature.set(labels, r.temperature);
      g.humidity.set(labels, r.humidity);
      g.lastReading.set(labels, r.time / 1000);
    }
  }
}

function createGauges(registry: Registry) {
  const gauge = <L extends string = never>(name: string, help: string, labelNames: L[] = []): Gauge<L> =>
    new Gauge<L>({ name, help, labelNames, registers: [registry] });
  return {
    ready: gauge('dht_ready', '1 once the daemon is ready (outbox open, first reading taken) and not stopping'),
    buildInfo: gauge('dht_build_info', 'Always 1; the labels name the running version and Node', ['version', 'node']),
    deviceInfo: gauge('dht_device_info', 'Always 1; the labels name the device', ['app_id', 'device_id', 'channel']),
    outboxDepth: gauge('dht_outbox_depth', 'Events held in the outbox, in flight included'),
    outboxBytes: gauge('dht_outbox_bytes', 'Bytes of event payload held in the outbox'),
    outboxInFlight: gauge('dht_outbox_in_flight', 'Events being sent right now'),
    outboxOnDisk: gauge('dht_outbox_on_disk', '1 when the outbox is on disk, 0 when it fell back to memory'),
    outboxDeadLetters: gauge('dht_outbox_dead_letters', 'Events the endpoint refused for good, kept aside'),
    deliveryFailures: gauge('dht_delivery_consecutive_failures', 'Failed sends in a row (0 after a delivery)'),
    lastDelivery: gauge('dht_last_delivery_timestamp_seconds', 'Unix time of the last delivered event; 0 before the first'),
    temperature: gauge('dht_temperature_celsius', 'Last trustworthy temperature, by sensor', ['sensor']),
    humidity: gauge('dht_humidity_percent', 'Last trustworthy relative humidity, by sensor', ['sensor']),
    lastReading: gauge('dht_last_reading_timestamp_seconds', 'Unix time of the last trustworthy reading, by sensor', ['sensor']),
    stuck: gauge('dht_sensor_stuck', '1 while the sensor keeps returning the same raw values', ['sensor']),
    failedCycles: gauge('dht_sensor_failed_cycles', 'Cycles in a row without a trustworthy reading, by sensor', ['sensor']),
  };
}

/** Prometheus label names are [a-zA-Z_][a-zA-Z0-9_]*. */
function labelName(key: string): string {
  const clean = key.replace(/[^a-zA-Z0-9_]/g, '_');
  return /^[a-zA-Z_]/.test(clean) ? clean : `_${clean}`;
}

function promLabels(labels: Readonly<Record<string, string>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(labels)) out[labelName(k)] = v;
  return out;
}
