// `dht-telemetry read`: one trustworthy reading per sensor, as JSON lines on stdout.
import { systemClock } from '../clock/clock.js';
import type { Config } from '../config/config.js';
import { silentLogger } from '../log/logger.js';
import { Counters } from '../metrics/counters.js';
import { Sampler } from '../sampler/sampler.js';
import { createSensor } from '../sensor/create-sensor.js';

const ATTEMPTS = 3;

export interface ReadOutcome {
  sensor: string;
  model: string;
  pin: number;
  temp?: number;
  hum?: number;
  time?: string;
  error?: string;
}

/** Used by `read` and by `check`. */
export async function readOnce(config: Config): Promise<ReadOutcome[]> {
  const outcomes: ReadOutcome[] = [];
  for (const sensorConfig of config.sensors) {
    const sensor = createSensor(sensorConfig, config.sampling, systemClock);
    const sampler = new Sampler({ sensor, config: { ...config.sampling, medianWindow: 1 }, clock: systemClock, logger: silentLogger(), counters: new Counters(), onReading: () => undefined });
    const base = { sensor: sensorConfig.name, model: sensorConfig.model, pin: sensorConfig.pin };
    let outcome: ReadOutcome = { ...base, error: 'no reading' };
    for (let i = 0; i < ATTEMPTS; i++) {
      const reading = await sampler.cycle();
      if (reading) {
        outcome = { ...base, temp: reading.temperature, hum: reading.humidity, time: new Date(reading.time).toISOString() };
        break;
      }
      outcome = { ...base, error: sampler.state.lastError ?? 'no reading' };
    }
    await sensor.close();
    outcomes.push(outcome);
  }
  return outcomes;
}

export async function readCommand(config: Config, out: NodeJS.WritableStream): Promise<number> {
  const outcomes = await readOnce(config);
  for (const o of outcomes) out.write(`${JSON.stringify(o)}\n`);
  return outcomes.every((o) => o.error === undefined) ? 0 : 1;
}
