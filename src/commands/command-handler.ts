// Cloud-to-device commands, delivered in the answer to a POST (Drogue `ct`):
//   set-interval  payload: seconds or a duration ("30", "45s", "5m") within INTERVAL's range
//                 (config/options.ts, 10ms to 1d), never below the model minimum
//   read-now      payload: empty, or a sensor name
//   power-cycle   payload: empty (every sensor with a power pin), or a sensor name
//   led           payload: on | off | blink
// A bad or unknown command is logged and counted, never thrown.
import { option } from '../config/options.js';
import { Invalid, parseDurationIn } from '../config/parsers.js';
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Counters } from '../metrics/counters.js';
import type { Command } from '../event/command.js';
import { LED_MODES, type LedMode } from '../gpio/status-led.js';


/** What commands act on: the samplers (src/sampler/sampler.ts) and the LED. */
export interface CommandTargets {
  samplers: () => ReadonlyArray<{ readonly name: string; setInterval(ms: number): number; readNow(): void; requestPowerCycle(): boolean }>;
  led: () => { set(mode: LedMode): void } | null;
}

export type CommandResult = 'ok' | 'invalid' | 'unsupported' | 'unknown';

export class CommandHandler {
  constructor(
    private readonly targets: CommandTargets,
    private readonly logger: Logger,
    private readonly counters: Counters,
  ) {}

  handle(command: Command): CommandResult {
    const payload = command.payload.toString('utf8').trim();
    let result: CommandResult;
    let detail: string;
    try {
      [result, detail] = this.dispatch(command.name, payload);
    } catch (err) {
      [result, detail] = ['invalid', err instanceof Invalid ? `${err.problem}, expected ${err.expected}` : errorMessage(err)];
    }
    this.counters.inc('commands_total', { command: result === 'unknown' ? 'unknown' : command.name, result });
    const fields = { command: command.name, payload: payload.slice(0, 64), result, detail };
    if (result === 'ok') this.logger.info(fields, 'command carried out');
    else this.logger.warn(fields, 'command not carried out');
    return result;
  }

  private dispatch(name: string, payload: string): [CommandResult, string] {
    switch (name) {
      case 'set-interval': {
        const range = option('INTERVAL').range ?? { min: 10, max: 86_400_000 };
        const ms = parseDurationIn(payload.replace(/^"|"$/g, ''), range);
        if (this.targets.samplers().length === 0) return ['unsupported', 'no sensors'];
        const applied = this.targets.samplers().map((s) => s.setInterval(ms));
        return ['ok', `interval now ${applied.map((a) => `${a / 1000}s`).join(', ')}`];
      }
      case 'read-now': {
        const samplers = this.select(this.targets.samplers(), payload);
        if (samplers.length === 0) return ['invalid', `no sensor named "${payload}"`];
        samplers.forEach((s) => s.readNow());
        return ['ok', `reading ${samplers.map((s) => s.name).join(', ')}`];
      }
      case 'power-cycle': {
        const cycled = this.select(this.targets.samplers(), payload).filter((s) => s.requestPowerCycle());
        if (cycled.length === 0) return ['unsupported', payload ? `sensor "${payload}" has no power pin` : 'no sensor has a power pin (SENSOR_POWER_PIN)'];
        return ['ok', `power-cycling ${cycled.map((s) => s.name).join(', ')}`];
      }
      case 'led': {
        const led = this.targets.led();
        if (!led) return ['unsupported', 'no LED configured (LED_PIN)'];
        const mode = payload.toLowerCase() as LedMode;
        if (!LED_MODES.includes(mode)) return ['invalid', `expected one of ${LED_MODES.join(', ')}`];
        led.set(mode);
        return ['ok', `led ${mode}`];
      }
      default:
        return ['unknown', 'expected set-interval, read-now, power-cycle or led'];
    }
  }

  private select<T extends { readonly name: string }>(items: readonly T[], name: string): T[] {
    return name === '' ? [...items] : items.filter((i) => i.name === name);
  }
}
