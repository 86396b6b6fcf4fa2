// A DHT stand-in: plausible, slowly drifting, seedable values, plus a script of
// the failures real parts show, so the demo, the tests and the benchmarks run
// without a Pi. The script plays once, then the sensor is healthy:
//   ok        a normal reading             timeout    E_SENSOR_TIMEOUT
//   checksum  E_SENSOR_CHECKSUM            spike      +25 °C / +40 %RH for one read
//   implausible  far outside the range     repeat     the previous raw pair again
//   hang      every read times out until the power pin goes off and on again
// Each step takes an optional count: "ok*5,timeout*3,spike,hang".
import type { Clock } from '../clock/clock.js';
import { SensorError } from '../errors.js';
import type { RawReading, Sensor } from './sensor.js';

export const SIM_STEPS = ['ok', 'timeout', 'checksum', 'spike', 'implausible', 'repeat', 'hang'] as const;
export type SimStep = (typeof SIM_STEPS)[number];

/** Tells the simulator whether its supply is on (a GPIO power pin's value). */
export type PowerProbe = () => Promise<boolean>;

export interface SimulatedSensorOptions {
  name: string;
  clock: Clock;
  seed?: number;
  script?: string | null;
  power?: PowerProbe;
  /** How often a hung part watches its supply. */
  powerPollMs?: number;
}

export class SimulatedSensor implements Sensor {
  readonly name: string;
  readonly model = 'sim' as const;
  private readonly clock: Clock;
  private readonly random: () => number;
  private readonly steps: SimStep[];
  private readonly power: PowerProbe | undefined;
  private readonly powerPollMs: number;
  private temperature: number;
  private humidity: number;
  private previous: RawReading | null = null;
  private hung = false;
  private powerWatch: NodeJS.Timeout | null = null;
  reads = 0;

  constructor(options: SimulatedSensorOptions) {
    this.name = options.name;
    this.clock = options.clock;
    this.random = mulberry32(options.seed ?? 1);
    this.steps = parseSimScript(options.script ?? '');
    this.power = options.power;
    this.powerPollMs = options.powerPollMs ?? 50;
    this.temperature = 20 + this.random() * 4;
    this.humidity = 40 + this.random() * 15;
  }

  get isHung(): boolean {
    return this.hung;
  }

  async read(): Promise<RawReading> {
    this.reads++;
    if (this.power && !(await this.power())) throw new SensorError('E_SENSOR_TIMEOUT', `${this.name}: no answer (sensor unpowered)`);
    const step = this.hung ? 'hang' : (this.steps.shift() ?? 'ok');
    switch (step) {
      case 'timeout':
        throw new SensorError('E_SENSOR_TIMEOUT', `${this.name}: no answer from the sensor (simulated timeout)`);
      case 'checksum':
        throw new SensorError('E_SENSOR_CHECKSUM', `${this.name}: checksum mismatch (simulated)`);
      case 'hang':
        this.hang();
        throw new SensorError('E_SENSOR_TIMEOUT', `${this.name}: no answer, the sensor hangs (simulated)`);
      case 'repeat':
        if (this.previous) return { ...this.previous, takenAt: this.clock.now() };
        return this.next();
      case 'spike':
        return { ...this.next(), temperature: round1(this.temperature + 25), humidity: round1(Math.min(100, this.humidity + 40)) };
      case 'implausible':
        return { ...this.next(), temperature: 150, humidity: 120 };
      case 'ok':
        return this.next();
    }
  }

  async close(): Promise<void> {
    if (this.powerWatch) clearInterval(this.powerWatch);
    this.powerWatch = null;
  }

  /** A slow random walk pulled back towards a comfortable room. */
  private next(): RawReading {
    this.temperature += (this.random() - 0.5) * 0.2 + (21.5 - this.temperature) * 0.01;
    this.humidity += (this.random() - 0.5) * 0.6 + (47 - this.humidity) * 0.01;
    this.humidity = Math.min(100, Math.max(0, this.humidity));
    const reading = { temperature: round1(this.temperature), humidity: round1(this.humidity), takenAt: this.clock.now() };
    this.previous = reading;
    return reading;
  }

  /** A hung part recovers only after its supply has been off; without a power pin it never does. */
  private hang(): void {
    this.hung = true;
    const probe = this.power;
    if (!probe || this.powerWatch) return;
    this.powerWatch = setInterval(() => {
      void probe().then((on) => {
        if (on || !this.powerWatch) return;
        clearInterval(this.powerWatch);
        this.powerWatch = null;
        this.hung = false;
      }, () => undefined);
    }, this.powerPollMs);
    this.powerWatch.unref();
  }
}

export function parseSimScript(script: string): SimStep[] {
  const steps: SimStep[] = [];
  for (const item of script.split(',').map((s) => s.trim()).filter(Boolean)) {
    const [name = '', count = '1'] = item.split('*');
    if (!(SIM_STEPS as readonly string[]).includes(name) || !/^\d+$/.test(count)) {
      throw new Error(`"${item}" is not a simulator step (expected ${SIM_STEPS.join(', ')}, each with an optional *count)`);
    }
    for (let i = 0; i < Number(count); i++) steps.push(name as SimStep);
  }
  return steps;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

/** Small, fast, seedable PRNG (public domain, Tommy Ettinger). */
function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
