// The daemon's GPIO outputs: one power switch per sensor that has a power pin, and
// the status LED. GPIO is optional: when it cannot work here (no sysfs, read-only
// /sys in a container, no onoff) that is said once and the sensors are read anyway.
import type { Clock } from '../clock/clock.js';
import { TelemetryError, errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { Gpio, OutputPin } from './gpio.js';
import { PowerSwitch, powerOnLevel } from './power-switch.js';
import { StatusLed } from './status-led.js';

export interface Actuators {
  /** By sensor name. */
  power: Map<string, { switch: PowerSwitch; pin: OutputPin }>;
  led: StatusLed | null;
  release(): Promise<void>;
}

/** What the outputs need: the pins, and how long a power cycle keeps a sensor off and lets it settle. */
export interface ActuatorPlan {
  sensors: ReadonlyArray<{ name: string; powerPin: number | null }>;
  ledPin: number | null;
  powerOffMs: number;
  powerSettleMs: number;
}

export async function claimActuators(plan: ActuatorPlan, gpio: Gpio | null, clock: Clock, logger: Logger): Promise<Actuators> {
  const pins: OutputPin[] = [];
  const power: Actuators['power'] = new Map();
  let led: StatusLed | null = null;
  let unavailableSaid = false;
  const claim = async (bcm: number, initial: 0 | 1, role: string): Promise<OutputPin | null> => {
    if (!gpio) return null;
    try {
      const pin = await gpio.output(bcm, initial);
      pins.push(pin);
      logger.info({ role, bcm, sysfs: pin.sysfs }, 'GPIO output claimed');
      return pin;
    } catch (err) {
      const unavailable = err instanceof TelemetryError && err.code === 'E_GPIO_UNAVAILABLE';
      if (!unavailable || !unavailableSaid) logger.error({ role, bcm, err: errorMessage(err) }, 'GPIO output unavailable, going on without it');
      unavailableSaid ||= unavailable;
      return null;
    }
  };
  for (const sensor of plan.sensors) {
    if (sensor.powerPin === null) continue;
    const pin = await claim(sensor.powerPin, powerOnLevel(), `power:${sensor.name}`);
    if (pin) power.set(sensor.name, { pin, switch: new PowerSwitch(pin, { offMs: plan.powerOffMs, settleMs: plan.powerSettleMs, clock }) });
  }
  if (plan.ledPin !== null) {
    const pin = await claim(plan.ledPin, 0, 'led');
    if (pin) led = new StatusLed(pin, clock, { logger });
  }
  return {
    power,
    led,
    release: async () => {
      await led?.close();
      for (const pin of pins) await pin.release().catch((err: unknown) => logger.warn({ bcm: pin.bcm, err: errorMessage(err) }, 'GPIO unexport failed'));
    },
  };
}
