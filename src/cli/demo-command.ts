// `dht-telemetry demo`: the whole pipeline on one machine, no Pi and no cloud
// account: a local Drogue-style endpoint and the daemon with the simulator.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, type RawConfig } from '../config/load-config.js';
import { listenUrl } from '../net/listen-url.js';
import type { DaemonConfig } from '../config/config.js';
import { startEndpoint, type EndpointServer } from '../endpoint/endpoint-server.js';
import { formatReceivedEvent } from '../endpoint/print-event.js';
import { createLogger } from '../log/logger.js';
import { pino } from 'pino';
import { runCommand } from './run-command.js';

const DEMO_PASSWORD = 'demo-password';

export async function demoCommand(raw: RawConfig, out: NodeJS.WritableStream): Promise<number> {
  const server = await startPreferred(8088, (line) => out.write(`${line}\n`));
  const dataDir = mkdtempSync(join(tmpdir(), 'dht-telemetry-demo-'));
  try {
    const config = loadConfig(
      {
        SENSOR_TYPE: 'sim',
        INTERVAL: '2s',
        GEOLOCATION: '{"lat": "44.8166", "lon": "20.4721"}',
        STATUS_LISTEN: '127.0.0.1:9464',
        LOG_LEVEL: 'warn',
        ...raw,
        ENDPOINT: `${server.url}/v1/status`,
        APP_ID: 'demo',
        DEVICE_ID: 'pi',
        DEVICE_PASSWORD: DEMO_PASSWORD,
        DEVICE_PASSWORD_FILE: '',
        DATA_DIR: dataDir,
        DRAIN_JITTER: '0',
      },
      { requireEndpoint: true },
    ) as DaemonConfig;
    const page = config.statusListen ? `; status page ${listenUrl(config.statusListen)}/` : '';
    out.write(`demo: endpoint ${server.url}/v1/status, ${config.sensors.map((s) => (s.model === 'sim' ? 'a simulated DHT' : `${s.model} on BCM ${s.pin}`)).join(', ')} every ${config.sampling.intervalMs / 1000}s${page}; Ctrl-C to stop\n`);
    return await runCommand(config, createLogger(config.logLevel, pino.destination({ fd: 2, sync: true })));
  } finally {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The usual port when it is free, any port otherwise. */
async function startPreferred(port: number, print: (line: string) => void): Promise<EndpointServer> {
  const options = { host: '127.0.0.1', users: [{ app: 'demo', device: 'pi', password: DEMO_PASSWORD }], onEvent: (e: Parameters<typeof formatReceivedEvent>[0]) => print(formatReceivedEvent(e)) };
  try {
    return await startEndpoint({ ...options, port });
  } catch {
    return await startEndpoint({ ...options, port: 0 });
  }
}
