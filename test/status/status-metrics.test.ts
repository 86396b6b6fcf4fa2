import { describe, expect, it } from 'vitest';
import type { CounterSample } from '../../src/metrics/counters.js';
import { COUNTER_HELP, Counters } from '../../src/metrics/counters.js';
import type { DaemonSnapshot } from '../../src/status/snapshot.js';
import { SEND_DURATION_BUCKETS, SendDurations } from '../../src/status/send-durations.js';
import { StatusMetrics } from '../../src/status/status-metrics.js';
import { parsePromText } from './prom-text.js';
import { NOW, sensorSnapshot, snapshot } from './snapshot-fixture.js';

async function scrape(metrics: StatusMetrics): Promise<ReturnType<typeof parsePromText>> {
  return parsePromText(await metrics.render());
}

describe('StatusMetrics', () => {
  it('exports every counter as dht_<name>, with its labels and help', async () => {
    const metrics = new StatusMetrics(() => snapshot());
    const m = await scrape(metrics);
    expect(m.types.get('dht_events_sent_total')).toBe('counter');
    expect(m.value('dht_events_sent_total')).toBe(236);
    expect(m.value('dht_events_queued_total')).toBe(238);
    expect(m.value('dht_readings_total', { sensor: 'living' })).toBe(120);
    expect(m.value('dht_readings_total', { sensor: 'attic' })).toBe(118);
    expect(m.value('dht_readings_rejected_total', { sensor: 'attic', reason: 'checksum' })).toBe(2);
    expect(m.value('dht_events_retried_total', { reason: 'connection refused' })).toBe(3);
    // Counters nobody touched yet: present, 0 when unlabeled.
    expect(m.value('dht_auth_failures_total')).toBe(0);
    for (const [name, help] of Object.entries(COUNTER_HELP)) {
      expect(m.types.get(`dht_${name}`), name).toBe('counter');
      expect(m.help.get(`dht_${name}`)).toBe(help);
    }
  });

  it('reads the counters afresh at every scrape', async () => {
    const counters = new Counters();
    const metrics = new StatusMetrics(() => snapshot({ counters: counters.samples() }));
    expect((await scrape(metrics)).value('dht_events_sent_total')).toBe(0);
    counters.inc('events_sent_total', {}, 5);
    counters.inc('events_dead_lettered_total', { status: '406' });
    counters.inc('commands_total', { command: 'led', result: 'ok' });
    const m = await scrape(metrics);
    expect(m.value('dht_events_sent_total')).toBe(5);
    expect(m.value('dht_events_dead_lettered_total', { status: '406' })).toBe(1);
    expect(m.value('dht_commands_total', { command: 'led', result: 'ok' })).toBe(1);
  });

  it('takes a counter label it did not know about', async () => {
    const samples: CounterSample[] = [{ name: 'events_sent_total', labels: { 'sensor-name': 'x' }, value: 2 }];
    const m = await scrape(new StatusMetrics(() => snapshot({ counters: samples })));
    expect(m.value('dht_events_sent_total', { sensor_name: 'x' })).toBe(2);
  });

  it('exports outbox, delivery, sensor and readiness gauges', async () => {
    const snap = snapshot({
      outbox: { depth: 7, bytes: 3210, inFlight: 1, storage: 'disk' },
      delivery: { lastDeliveryAt: NOW - 5_000 },
      sensors: [sensorSnapshot('living', { stuck: true }), sensorSnapshot('attic', { lastReading: null, failedCycles: 4 })],
    });
    const m = await scrape(new StatusMetrics(() => snap));
    expect(m.value('dht_outbox_depth')).toBe(7);
    expect(m.value('dht_outbox_bytes')).toBe(3210);
    expect(m.value('dht_outbox_in_flight')).toBe(1);
    expect(m.value('dht_outbox_on_disk')).toBe(1);
    expect(m.value('dht_ready')).toBe(1);
    expect(m.value('dht_last_delivery_timestamp_seconds')).toBe((NOW - 5_000) / 1000);
    expect(m.value('dht_temperature_celsius', { sensor: 'living' })).toBe(21.5);
    expect(m.value('dht_humidity_percent', { sensor: 'living' })).toBe(47.2);
    expect(m.value('dht_last_reading_timestamp_seconds', { sensor: 'living' })).toBe((NOW - 10_000) / 1000);
    // No reading yet: no temperature series rather than a made-up 0.
    expect(m.value('dht_temperature_celsius', { sensor: 'attic' })).toBeUndefined();
    expect(m.value('dht_sensor_failed_cycles', { sensor: 'attic' })).toBe(4);
    expect(m.value('dht_sensor_stuck', { sensor: 'living' })).toBe(1);
    expect(m.value('dht_device_info', { app_id: 'dejanb', device_id: 'pi', channel: 'status' })).toBe(1);
    for (const g of ['dht_outbox_depth', 'dht_temperature_celsius', 'dht_ready']) expect(m.types.get(g)).toBe('gauge');
  });

  it('follows the snapshot: memory fallback, not ready, a sensor gone', async () => {
    let snap: DaemonSnapshot = snapshot();
    const metrics = new StatusMetrics(() => snap);
    await metrics.render();
    snap = snapshot({ ready: false, outbox: { storage: 'memory' }, sensors: [sensorSnapshot('living')], delivery: { lastDeliveryAt: null } });
    const m = await scrape(metrics);
    expect(m.value('dht_outbox_on_disk')).toBe(0);
    expect(m.value('dht_ready')).toBe(0);
    expect(m.value('dht_last_delivery_timestamp_seconds')).toBe(0);
    expect(m.series('dht_temperature_celsius').map((s) => s.labels.sensor)).toEqual(['living']);
  });

  it('has a send-duration histogram by outcome', async () => {
    // As the daemon wires it: the forwarder feeds SendDurations, the metrics read it at each scrape.
    const durations = new SendDurations();
    const metrics = new StatusMetrics(() => snapshot(), durations);
    durations.observe(40, 'delivered');
    durations.observe(180, 'delivered');
    durations.observe(3_000, 'retry');
    const m = await scrape(metrics);
    expect(m.types.get('dht_send_duration_seconds')).toBe('histogram');
    const buckets = m.series('dht_send_duration_seconds_bucket').filter((s) => s.labels.outcome === 'delivered');
    expect(buckets.map((b) => b.labels.le)).toEqual([...SEND_DURATION_BUCKETS.map(String), '+Inf']);
    expect(m.value('dht_send_duration_seconds_bucket', { outcome: 'delivered', le: '0.025' })).toBe(0);
    expect(m.value('dht_send_duration_seconds_bucket', { outcome: 'delivered', le: '0.05' })).toBe(1);
    expect(m.value('dht_send_duration_seconds_bucket', { outcome: 'delivered', le: '0.25' })).toBe(2);
    expect(m.value('dht_send_duration_seconds_bucket', { outcome: 'retry', le: '2.5' })).toBe(0);
    expect(m.value('dht_send_duration_seconds_bucket', { outcome: 'retry', le: '5' })).toBe(1);
    expect(m.value('dht_send_duration_seconds_count', { outcome: 'delivered' })).toBe(2);
    expect(m.value('dht_send_duration_seconds_sum', { outcome: 'delivered' })).toBeCloseTo(0.22, 6);
  });

  it('includes the standard process metrics, unprefixed, in its own registry', async () => {
    const a = new StatusMetrics(() => snapshot());
    const b = new StatusMetrics(() => snapshot({ counters: [{ name: 'events_sent_total', labels: {}, value: 1 }] }));
    const m = await scrape(a);
    expect(m.types.get('process_cpu_user_seconds_total')).toBe('counter');
    expect(m.types.get('process_resident_memory_bytes')).toBe('gauge');
    expect(m.types.get('nodejs_eventloop_lag_seconds')).toBe('gauge');
    expect((await scrape(b)).value('dht_events_sent_total')).toBe(1);
    expect(m.value('dht_events_sent_total')).toBe(236);
    expect(a.contentType).toMatch(/^text\/plain; version=0\.0\.4/);
  });
});
