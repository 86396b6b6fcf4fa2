// DHT11 / DHT22 / AM2302 through node-dht-sensor.
// Quirks this file guards against (see DESIGN §7): a pin >= 32 corrupts memory
// and read() after a failed init segfaults, so the pin is checked here and init
// must succeed before the first read; the addon is loaded lazily so the daemon
// still runs (with `sim`) where it is absent; it caches a good read per pin for
// 3 s, which the model's minimum spacing (>= 1 s) keeps us from leaning on.
import { createRequire } from 'node:module';
import type { Clock } from '../clock/clock.js';
import { SensorError, errorMessage } from '../errors.js';
import { MAX_BCM_PIN, MODEL_LIMITS, type RawReading, type Sensor, type SensorModel } from './sensor.js';

interface DhtAddon {
  initialize(type: number, pin: number): boolean;
  setMaxRetries(retries: number): void;
  promises: { read(type: number, pin: number): Promise<{ temperature: number; humidity: number }> };
}

export type HardwareModel = Exclude<SensorModel, 'sim'>;

export interface DhtSensorOptions {
  name: string;
  model: HardwareModel;
  pin: number;
  clock: Clock;
  /** Reads the addon retries internally before it reports a failure. */
  maxRetries?: number;
  /** For tests: a stand-in for the native module. */
  loadAddon?: () => DhtAddon;
}

const ADDON_TYPE: Record<HardwareModel, number> = { DHT11: 11, DHT22: 22, AM2302: 22 };

export class DhtSensor implements Sensor {
  readonly name: string;
  readonly model: HardwareModel;
  private readonly pin: number;
  private readonly clock: Clock;
  private readonly loadAddon: () => DhtAddon;
  private readonly maxRetries: number;
  private addon: DhtAddon | null = null;
  private lastReadAt = -Infinity;

  constructor(options: DhtSensorOptions) {
    if (!Number.isInteger(options.pin) || options.pin < 0 || options.pin > MAX_BCM_PIN) {
      throw new SensorError('E_SENSOR_INIT', `pin ${options.pin} is not a BCM GPIO pin 0-${MAX_BCM_PIN}`);
    }
    this.name = options.name;
    this.model = options.model;
    this.pin = options.pin;
    this.clock = options.clock;
    this.maxRetries = options.maxRetries ?? 3;
    this.loadAddon = options.loadAddon ?? loadNodeDhtSensor;
  }

  async read(signal?: AbortSignal): Promise<RawReading> {
    const addon = this.init();
    const wait = this.lastReadAt + MODEL_LIMITS[this.model].minIntervalMs - this.clock.now();
    if (wait > 0) await this.clock.sleep(wait, signal);
    this.lastReadAt = this.clock.now();
    let value: { temperature: number; humidity: number };
    try {
      value = await addon.promises.read(ADDON_TYPE[this.model], this.pin);
    } catch (err) {
      throw new SensorError('E_SENSOR_READ', `${this.model} on pin ${this.pin}: no valid answer (timeout or checksum error after ${this.maxRetries} retries)`, { cause: err });
    }
    if (!Number.isFinite(value.temperature) || !Number.isFinite(value.humidity)) {
      throw new SensorError('E_SENSOR_IMPLAUSIBLE', `${this.model} on pin ${this.pin}: not a number`);
    }
    return { temperature: value.temperature, humidity: value.humidity, takenAt: this.clock.now() };
  }

  async close(): Promise<void> {}

  private init(): DhtAddon {
    if (this.addon) return this.addon;
    let addon: DhtAddon;
    try {
      addon = this.loadAddon();
    } catch (err) {
      throw new SensorError('E_SENSOR_UNAVAILABLE', `node-dht-sensor is not installed or not built for this system (${errorMessage(err)}); use SENSOR_TYPE=sim to run without hardware`, { cause: err });
    }
    if (!addon.initialize(ADDON_TYPE[this.model], this.pin)) {
      throw new SensorError('E_SENSOR_INIT', `${this.model} on pin ${this.pin}: failed to initialize GPIO (is this a Raspberry Pi, and is /dev/gpiomem or /dev/gpiochip0 passed in?)`);
    }
    addon.setMaxRetries(this.maxRetries);
    this.addon = addon;
    return addon;
  }
}

function loadNodeDhtSensor(): DhtAddon {
  const require = createRequire(import.meta.url);
  return require('node-dht-sensor') as DhtAddon;
}
