import type { Clock } from '../clock/clock.js';
import { DhtSensor } from './dht-sensor.js';
import type { Sensor, SensorModel } from './sensor.js';
import { SimulatedSensor, type PowerProbe } from './simulated-sensor.js';

/** What a backend needs of one configured sensor (config/ knows sensor/, never the reverse). */
export interface SensorSpec {
  name: string;
  model: SensorModel;
  pin: number;
}

/** The simulator's settings, for `sim` sensors. */
export interface SimSettings {
  simSeed: number;
  simScript: string | null;
}

/** The backend for one configured sensor. `power` lets a simulated part follow a real power pin. */
export function createSensor(spec: SensorSpec, sim: SimSettings, clock: Clock, power?: PowerProbe): Sensor {
  if (spec.model === 'sim') {
    return new SimulatedSensor({ name: spec.name, clock, seed: sim.simSeed + spec.pin, script: sim.simScript, ...(power ? { power } : {}) });
  }
  return new DhtSensor({ name: spec.name, model: spec.model, pin: spec.pin, clock });
}
