// A healthy two-sensor snapshot to start each test from; tests change only what they check.
import type { Reading } from '../../src/event/reading.js';
import type { DaemonSnapshot, SensorSnapshot } from '../../src/status/snapshot.js';

export const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);

export function reading(sensor: string, ageMs: number, temperature = 21.5, humidity = 47.2): Reading {
  return { id: `id-${sensor}-${ageMs}`, sensor, temperature, humidity, time: NOW - ageMs };
}

export function sensorSnapshot(name: string, over: Partial<SensorSnapshot> = {}): SensorSnapshot {
  return {
    name,
    model: 'DHT22',
    pin: 4,
    lastReading: reading(name, 10_000),
    lastReadAt: NOW - 10_000,
    lastError: null,
    failedCycles: 0,
    stuck: false,
    intervalMs: 30_000,
    ...over,
  };
}

export interface SnapshotOverrides extends Partial<Omit<DaemonSnapshot, 'delivery' | 'outbox'>> {
  delivery?: Partial<DaemonSnapshot['delivery']>;
  outbox?: Partial<DaemonSnapshot['outbox']>;
}

export function snapshot(over: SnapshotOverrides = {}): DaemonSnapshot {
  const { delivery, outbox, ...rest } = over;
  return {
    now: NOW,
    wallNow: NOW,
    clock: null,
    wedgedLoops: null,
    startedAt: NOW - 3_600_000,
    ready: true,
    stopping: false,
    build: { version: '0.1.0', node: 'v24.1.0' },
    device: { appId: 'dejanb', deviceId: 'pi', channel: 'status', endpoint: 'https://http.sandbox.drogue.cloud/v1/status', geolocation: { lat: 44.8166, lon: 20.4721 } },
    sensors: [sensorSnapshot('living'), sensorSnapshot('attic', { model: 'DHT11', pin: 17 })],
    counters: [
      { name: 'readings_total', labels: { sensor: 'living' }, value: 120 },
      { name: 'readings_total', labels: { sensor: 'attic' }, value: 118 },
      { name: 'readings_rejected_total', labels: { sensor: 'attic', reason: 'checksum' }, value: 2 },
      { name: 'events_queued_total', labels: {}, value: 238 },
      { name: 'events_sent_total', labels: {}, value: 236 },
      { name: 'events_retried_total', labels: { reason: 'connection refused' }, value: 3 },
    ],
    ...rest,
    delivery: { lastDeliveryAt: NOW - 5_000, lastError: null, consecutiveFailures: 0, pausedUntil: 0, inFlight: 0, endpointRefused: false, ...delivery },
    outbox: { depth: 2, bytes: 900, inFlight: 0, deadLettered: 0, dropped: 0, storage: 'disk', ...outbox },
  };
}
