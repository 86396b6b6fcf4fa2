// The sensor boundary. A backend only reads; spacing, retries across cycles,
// plausibility and spike filtering belong to the sampler (src/sampler/).

export const SENSOR_MODELS = ['DHT11', 'DHT22', 'AM2302', 'sim'] as const;
export type SensorModel = (typeof SENSOR_MODELS)[number];

/** One raw measurement, as the sensor gave it. */
export interface RawReading {
  /** Degrees Celsius. */
  temperature: number;
  /** Percent relative humidity. */
  humidity: number;
  /** Monotonic milliseconds (Clock.now()) when the sensor answered. */
  takenAt: number;
}

export interface Sensor {
  readonly name: string;
  readonly model: SensorModel;
  /** Rejects with a SensorError (E_SENSOR_*) when the read fails. */
  read(signal?: AbortSignal): Promise<RawReading>;
  close(): Promise<void>;
}

export interface ModelLimits {
  /** Shortest spacing between two reads the part tolerates, in ms. */
  minIntervalMs: number;
  temperature: { min: number; max: number };
  humidity: { min: number; max: number };
}

/** Datasheet limits. The simulator has no minimum so tests and benchmarks run fast. */
export const MODEL_LIMITS: Record<SensorModel, ModelLimits> = {
  DHT11: { minIntervalMs: 1000, temperature: { min: 0, max: 50 }, humidity: { min: 20, max: 90 } },
  DHT22: { minIntervalMs: 2000, temperature: { min: -40, max: 80 }, humidity: { min: 0, max: 100 } },
  AM2302: { minIntervalMs: 2000, temperature: { min: -40, max: 80 }, humidity: { min: 0, max: 100 } },
  sim: { minIntervalMs: 0, temperature: { min: -40, max: 80 }, humidity: { min: 0, max: 100 } },
};

/** BCM GPIO numbers on a Raspberry Pi header. */
export const MAX_BCM_PIN = 27;
