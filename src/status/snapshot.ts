// What the daemon tells about itself, at one instant. The status server, the
// health rules and `check` read this; they never reach into the stages.
import type { ClockState } from '../time/time-keeper.js';
import type { Geolocation } from '../config/config.js';
import type { BuildInfo } from './build-info.js';
import type { Reading } from '../event/reading.js';
import type { CounterSample } from '../metrics/counters.js';
import type { OutboxStats } from '../outbox/outbox.js';
import type { DeliveryState } from '../sender/forwarder.js';
import type { SamplerState } from '../sampler/sampler.js';
import type { SensorModel } from '../sensor/sensor.js';

export interface SensorSnapshot extends SamplerState {
  name: string;
  model: SensorModel;
  pin: number;
}

export interface DaemonSnapshot {
  /** Monotonic ms (Clock.now()): every age is measured on it. */
  now: number;
  /** The wall clock at the same instant: only to show dates. */
  wallNow: number;
  /** Monotonic. */
  startedAt: number;
  ready: boolean;
  /** Set once shutdown began. */
  stopping: boolean;
  /** What is running (package version, Node). */
  build: BuildInfo;
  device: { appId: string; deviceId: string; channel: string; endpoint: string; geolocation: Geolocation | null };
  sensors: SensorSnapshot[];
  delivery: DeliveryState;
  outbox: OutboxStats;
  counters: CounterSample[];
  /** The wall clock's state (src/time/time-keeper.ts); null where nothing keeps it (`check`). */
  clock: ClockState | null;
  /** Loops the watchdog finds wedged right now; null without a watchdog. */
  wedgedLoops: string[] | null;
}

/** Readings for the live page's chart, newest last. */
export interface ReadingHistory {
  add(reading: Reading): void;
  points(sensor?: string): Reading[];
}
