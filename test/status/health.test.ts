import { describe, expect, it } from 'vitest';
import { evaluateHealth, type HealthRules } from '../../src/status/health.js';
import { NOW, reading, sensorSnapshot, snapshot, type SnapshotOverrides } from './snapshot-fixture.js';

const MIN = 60_000;

interface Case {
  rule: string;
  snap: SnapshotOverrides;
  rules?: Partial<HealthRules>;
  status: 'ok' | 'degraded' | 'failing';
  http: 200 | 503;
  reason?: RegExp;
}

const cases: Case[] = [
  { rule: 'everything fine', snap: {}, status: 'ok', http: 200 },
  { rule: 'not ready yet after start', snap: { ready: false, startedAt: NOW - 20_000 }, status: 'failing', http: 503, reason: /^starting: not ready yet \(20 s since start\)/ },
  { rule: 'shutdown began', snap: { stopping: true }, status: 'failing', http: 503, reason: /^stopping/ },
  {
    rule: 'no reading from any sensor for over 5 min (3 × 30 s is shorter)',
    snap: { sensors: [sensorSnapshot('living', { lastReading: reading('living', 6 * MIN) }), sensorSnapshot('attic', { lastReading: reading('attic', 7 * MIN) })] },
    status: 'failing',
    http: 503,
    reason: /^no trustworthy reading from any sensor for over 300 s/,
  },
  {
    rule: 'a 5-min interval allows 15 min of silence',
    snap: { sensors: [sensorSnapshot('living', { intervalMs: 5 * MIN, lastReading: reading('living', 14 * MIN) })] },
    status: 'ok',
    http: 200,
  },
  {
    rule: '...and fails after 3 intervals',
    snap: { sensors: [sensorSnapshot('living', { intervalMs: 5 * MIN, lastReading: reading('living', 16 * MIN) })] },
    status: 'failing',
    http: 503,
    reason: /for over 900 s/,
  },
  {
    rule: 'a sensor that never read is judged from the start: fresh start is fine',
    snap: { startedAt: NOW - 2 * MIN, sensors: [sensorSnapshot('living', { lastReading: null, failedCycles: 1, lastError: 'timeout: no answer' })] },
    status: 'ok',
    http: 200,
  },
  {
    rule: 'a sensor that never read in 10 min fails',
    snap: { startedAt: NOW - 10 * MIN, sensors: [sensorSnapshot('living', { lastReading: null, failedCycles: 20, lastError: 'timeout: no answer' })] },
    status: 'failing',
    http: 503,
    reason: /no trustworthy reading from any sensor/,
  },
  {
    rule: 'one of two sensors silent',
    snap: { sensors: [sensorSnapshot('living'), sensorSnapshot('attic', { lastReading: reading('attic', 20 * MIN), failedCycles: 40, lastError: 'checksum: mismatch' })] },
    status: 'degraded',
    http: 200,
    reason: /^sensor attic: no trustworthy reading for 1200 s \(checksum: mismatch\)/,
  },
  { rule: 'a stuck sensor', snap: { sensors: [sensorSnapshot('living', { stuck: true }), sensorSnapshot('attic')] }, status: 'degraded', http: 200, reason: /^sensor living: stuck/ },
  {
    rule: 'a sensor failing several cycles in a row',
    snap: { sensors: [sensorSnapshot('living', { failedCycles: 3, lastError: 'timeout: no answer' })] },
    status: 'degraded',
    http: 200,
    reason: /^sensor living: 3 failed cycles in a row \(timeout: no answer\)/,
  },
  { rule: 'outbox fell back to memory', snap: { outbox: { storage: 'memory', depth: 12 } }, status: 'failing', http: 503, reason: /^outbox fell back to memory: 12 queued events/ },
  { rule: 'one failed send is routine', snap: { delivery: { consecutiveFailures: 1, lastError: 'connection refused' } }, status: 'ok', http: 200 },
  {
    rule: 'deliveries failing, the outbox holds the events',
    snap: { delivery: { consecutiveFailures: 4, lastError: '503 endpoint overloaded', lastDeliveryAt: NOW - 10 * MIN }, outbox: { depth: 20 } },
    status: 'degraded',
    http: 200,
    reason: /^deliveries failing: 4 in a row \(503 endpoint overloaded\); 20 events kept in the outbox/,
  },
  {
    rule: 'credentials refused, at the first 403',
    snap: { delivery: { consecutiveFailures: 1, lastError: '403 credentials refused' }, counters: [{ name: 'auth_failures_total', labels: {}, value: 1 }] },
    status: 'degraded',
    http: 200,
    reason: /^endpoint refused the credentials \(403 credentials refused\): check APP_ID, DEVICE_ID and DEVICE_PASSWORD/,
  },
  {
    rule: 'the endpoint answered 404 or a redirect, at the first answer',
    snap: { delivery: { consecutiveFailures: 1, lastError: '404 no such endpoint path', endpointRefused: true }, outbox: { depth: 20 } },
    status: 'degraded',
    http: 200,
    reason: /^endpoint answered 404 no such endpoint path: check ENDPOINT; 20 events kept in the outbox/,
  },
  { rule: 'override: every failed send degrades', snap: { delivery: { consecutiveFailures: 1, lastError: 'connection reset' } }, rules: { deliveryFailures: 1 }, status: 'degraded', http: 200, reason: /^deliveries failing: 1 in a row/ },
  {
    rule: 'override: a shorter stale floor',
    snap: { sensors: [sensorSnapshot('living', { lastReading: reading('living', 2 * MIN) })] },
    rules: { staleMinMs: MIN },
    status: 'failing',
    http: 503,
    reason: /for over 90 s/,
  },
];

describe('evaluateHealth rules', () => {
  it.each(cases)('$rule → $status ($http)', ({ snap, rules, status, http, reason }) => {
    const health = evaluateHealth(snapshot(snap), rules);
    expect(health.status).toBe(status);
    expect(health.httpStatus).toBe(http);
    if (reason) expect(health.reasons).toEqual(expect.arrayContaining([expect.stringMatching(reason)]));
    else expect(health.reasons).toEqual([]);
  });

  it('reports every problem, and the worst one decides', () => {
    const health = evaluateHealth(
      snapshot({ outbox: { storage: 'memory' }, delivery: { consecutiveFailures: 5, lastError: 'connection refused' }, sensors: [sensorSnapshot('living', { stuck: true })] }),
    );
    expect(health.status).toBe('failing');
    expect(health.reasons).toHaveLength(3);
  });

  it('says live and ready separately', () => {
    expect(evaluateHealth(snapshot({ ready: false }))).toMatchObject({ live: true, ready: false });
    expect(evaluateHealth(snapshot({ stopping: true }))).toMatchObject({ live: false, ready: false });
    expect(evaluateHealth(snapshot())).toMatchObject({ live: true, ready: true });
  });

  it('gives ages, delivery state and counters as plain JSON', () => {
    const health = evaluateHealth(snapshot({ delivery: { pausedUntil: NOW + 12_500, consecutiveFailures: 1, lastError: 'connection refused' } }));
    const json = JSON.parse(JSON.stringify(health)) as typeof health;
    expect(json.sensors[0]).toMatchObject({ name: 'living', lastReadingAgeS: 10, lastReading: { temperature: 21.5, humidity: 47.2, time: new Date(NOW - 10_000).toISOString() }, stuck: false, failedCycles: 0 });
    expect(json.delivery).toMatchObject({ lastDeliveryAgeS: 5, consecutiveFailures: 1, lastError: 'connection refused', pausedForS: 12.5, credentialsRefused: false });
    expect(json.outbox).toMatchObject({ depth: 2, storage: 'disk' });
    expect(json.counters).toMatchObject({ 'events_sent_total': 236, 'readings_total{sensor="living"}': 120, 'readings_rejected_total{reason="checksum",sensor="attic"}': 2 });
    expect(json.uptimeS).toBe(3600);
  });

  it('never shows credentials, even if a URL with them slipped into the snapshot', () => {
    const snap = snapshot();
    snap.device.endpoint = 'https://pi%40dejanb:hunter2@http.example/v1/status?token=abc';
    const text = JSON.stringify(evaluateHealth(snap));
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('token=abc');
    expect(evaluateHealth(snap).device.endpoint).toBe('https://http.example/v1/status');
  });
});
