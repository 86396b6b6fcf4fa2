import type { Clock } from '../clock/clock.js';
import type { SamplingConfig, SensorConfig } from '../config/config.js';
import { DhtSensor } from './dht-sensor.js';
import type { Sensor } from './sensor.js';
import { SimulatedSensor, type PowerProbe } from './simulated-sensor.js';

/** The backend for one configured sensor. `power` lets a simulated part follow a real power pin. */
export function createSensor(config: SensorConfig, sampling: SamplingConfig, clock: Clock, power?: PowerProbe): Sensor {
  if (config.model === 'sim') {
    return new SimulatedSensor({ name: config.name, clock, seed: sampling.simSeed + config.pin, script: sampling.simScript, ...(power ? { power } : {}) });
  }
  return new DhtSensor({ name: config.name, model: config.model, pin: config.pin, clock });
}
