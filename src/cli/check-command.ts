// `dht-telemetry check`: what a user runs first on a new Pi. Each step prints a
// verdict; the exit code is 0 only when every step passed, so wrong credentials
// or an unreachable endpoint fail it.
import { accessSync, constants, mkdirSync } from 'node:fs';
import { systemClock } from '../clock/clock.js';
import type { DaemonConfig } from '../config/config.js';
import { contentModeWarning } from '../config/protocol-rules.js';
import { errorMessage } from '../errors.js';
import { encodeReading } from '../event/encode-reading.js';
import { newEventId } from '../event/event-id.js';
import { eventContext } from '../event/event-shape.js';
import { rootedHostFiles } from '../gpio/host-files.js';
import { sensorGpioReport } from '../gpio/sensor-gpio-report.js';
import { HttpSender } from '../sender/http-sender.js';
import { readOnce } from './read-command.js';

/** `warn` marks a passed step worth a second look; it does not fail the check. */
type Verdict = { ok: boolean; step: string; detail: string; warn?: boolean };

export async function checkCommand(config: DaemonConfig, options: { send: boolean }, out: NodeJS.WritableStream): Promise<number> {
  const verdicts: Verdict[] = [];
  const say = (v: Verdict): void => {
    verdicts.push(v);
    out.write(`${v.warn ? 'warn' : v.ok ? 'ok  ' : 'FAIL'}  ${v.step.padEnd(14)} ${v.detail}\n`);
  };
  const { endpoint } = config;
  say({ ok: true, step: 'configuration', detail: `${endpoint.url.origin}${endpoint.url.pathname} as ${endpoint.deviceId}@${endpoint.appId}, ${config.sensors.map((s) => `${s.name} ${s.model} on BCM ${s.pin}`).join(', ')}` });
  say(checkDataDir(config.delivery.dataDir));
  const modeWarning = contentModeWarning(endpoint);
  if (modeWarning) say({ ok: true, warn: true, step: 'content mode', detail: modeWarning });
  if (config.sensors.some((s) => s.model !== 'sim')) say({ step: 'gpio', ...sensorGpioReport(rootedHostFiles(), { root: process.geteuid?.() === 0 }) });

  const readings = await readOnce(config);
  for (const r of readings) {
    say(r.error === undefined ? { ok: true, step: `sensor ${r.sensor}`, detail: `${r.temp} °C, ${r.hum} %RH` } : { ok: false, step: `sensor ${r.sensor}`, detail: r.error });
  }
  const first = readings.find((r) => r.error === undefined);
  if (!options.send) say({ ok: true, step: 'send', detail: 'skipped (--no-send)' });
  else if (!first || first.temp === undefined || first.hum === undefined || first.time === undefined) say({ ok: false, step: 'send', detail: 'nothing to send: no sensor gave a reading' });
  else {
    const reading = { id: newEventId(), sensor: first.sensor, temperature: first.temp, humidity: first.hum, time: Date.parse(first.time) };
    // Exactly what `run` would send for this reading.
    const sender = new HttpSender({ endpoint: { ...endpoint, commandTimeoutS: 0 }, clock: systemClock });
    const result = await sender.send(encodeReading(reading, eventContext(config), endpoint.contentMode));
    await sender.close();
    if (result.outcome === 'delivered') say({ ok: true, step: 'send', detail: `event ${reading.id} accepted (HTTP ${result.status})` });
    else if (result.outcome === 'unauthorized') say({ ok: false, step: 'send', detail: `HTTP ${result.status}: credentials refused; check APP_ID, DEVICE_ID and DEVICE_PASSWORD` });
    else say({ ok: false, step: 'send', detail: `${result.status ? `HTTP ${result.status}: ` : ''}${result.reason}` });
  }
  const failedSteps = verdicts.filter((v) => !v.ok).length;
  out.write(failedSteps === 0 ? 'All checks passed.\n' : `${failedSteps} check(s) failed.\n`);
  return failedSteps === 0 ? 0 : 1;
}

function checkDataDir(dataDir: string): Verdict {
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
    return { ok: true, step: 'data dir', detail: `${dataDir} is writable` };
  } catch (err) {
    return { ok: false, step: 'data dir', detail: `${dataDir}: ${errorMessage(err)} (the outbox would fall back to memory)` };
  }
}
