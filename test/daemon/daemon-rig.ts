// The Daemon in process on the fake clock: the real outbox (SQLite in a temp dir), the
// real sampler and simulator, the real HttpSender over an undici MockAgent whose answer
// the test switches, and a RecordingNotifier that timestamps every WATCHDOG=1.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MockAgent } from 'undici';
import { FakeClock } from '../../src/clock/fake-clock.js';
import { FakeHostTime } from '../../src/time/host-time.js';
import type { DaemonConfig } from '../../src/config/config.js';
import type { Sensor } from '../../src/sensor/sensor.js';
import { loadConfig } from '../../src/config/load-config.js';
import { Daemon } from '../../src/daemon.js';
import { MemoryOutbox } from '../../src/outbox/memory-outbox.js';
import { evaluateHealth, type Health } from '../../src/status/health.js';
import { RecordingNotifier } from '../../src/systemd/notifier.js';
import { captureLogs, type LogLine } from '../systemd/log-capture.js';
import type { Cleanup } from '../helpers/cleanups.js';

/** What the fake endpoint answers next. */
export interface Answer {
  status: number;
  headers?: Record<string, string>;
  body?: string;
}

export interface Received {
  /** ce-time (binary) or the structured event's time. */
  time: string;
  /** The body's data.time (binary: the body is the data). */
  dataTime: string;
  id: string;
  /** Fake wall time at which it arrived. */
  at: number;
}

export const WALL_START = Date.UTC(2026, 11, 15, 8, 0, 0);
/** The floor the rig's daemon runs with: a release built a month before WALL_START. */
export const FLOOR = Date.UTC(2026, 10, 15);

export interface Rig {
  clock: FakeClock;
  host: FakeHostTime;
  daemon: Daemon;
  notifier: RecordingNotifier;
  lines: LogLine[];
  received: Received[];
  /** Every later POST gets this answer, until changed. */
  answer: (a: Answer) => void;
  /** The next POST only gets this answer (a cloud command). */
  once: (a: Answer) => void;
  health: () => Health;
  /** Advances fake time in steps of `stepMs`, letting I/O settle between steps. */
  run: (ms: number, stepMs?: number) => Promise<void>;
  /** Largest gap between two WATCHDOG=1 (and from the last one to now), ms of monotonic time. */
  longestPingGap: () => number;
  start: () => Promise<void>;
}

export interface RigOptions {
  /** Wall clock at start (monotonic time starts at WALL_START whatever this is). */
  wall?: number;
  host?: FakeHostTime;
  /**
   * The memory outbox instead of SQLite: it carries each reading's monotonic time and boot
   * id, which the SQLite outbox keeps only once the `mono_ms`/`boot_id` columns land.
   */
  memoryOutbox?: boolean;
  /** Replaces the sensors the config names. */
  sensors?: (clock: FakeClock) => Sensor[];
}

export async function daemonRig(cleanups: Cleanup[], env: Record<string, string>, options: RigOptions = {}): Promise<Rig> {
  const dir = mkdtempSync(join(tmpdir(), 'dht-daemon-'));
  cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
  const config = loadConfig(
    { ENDPOINT: 'https://endpoint.test', APP_ID: 'app', DEVICE_ID: 'pi', DEVICE_PASSWORD: 'secret', SENSOR_TYPE: 'sim', DATA_DIR: dir, STATUS_LISTEN: '', WATCHDOG_INTERVAL: '4s', ...env },
    { requireEndpoint: true },
  ) as DaemonConfig;
  const clock = new FakeClock(WALL_START);
  if (options.wall !== undefined) clock.setWall(options.wall);
  const host = options.host ?? new FakeHostTime('boot-1');
  const notifier = new RecordingNotifier(clock);
  const { logger, lines } = captureLogs();
  const agent = new MockAgent();
  agent.disableNetConnect();
  let next: Answer = { status: 202 };
  const queued: Answer[] = [];
  const received: Received[] = [];
  agent
    .get('https://endpoint.test')
    .intercept({ path: () => true, method: 'POST' })
    .reply((req) => {
      const headers = req.headers as Record<string, string>;
      const body = JSON.parse(typeof req.body === 'string' ? req.body : '{}') as Record<string, unknown>;
      const structured = !('ce-time' in headers);
      const data = (structured ? body.data : body) as { time: string };
      received.push({ time: structured ? String(body.time) : headers['ce-time'] ?? '', dataTime: data.time, id: structured ? String(body.id) : headers['ce-id'] ?? '', at: clock.wallNow() });
      const a = queued.shift() ?? next;
      return { statusCode: a.status, data: a.body ?? '', responseOptions: { headers: a.headers ?? {} } };
    })
    .persist();
  cleanups.push(() => agent.close());
  const outbox = options.memoryOutbox ? { outbox: new MemoryOutbox({ maxBytes: config.delivery.outboxMaxBytes, clock }) } : {};
  const daemon = new Daemon(config, { logger, clock, notifier, dispatcher: agent, gpio: null, heap: null, host, floorMs: FLOOR, ...outbox, ...(options.sensors ? { sensors: options.sensors(clock) } : {}) });
  let started = false;
  cleanups.push(async () => {
    if (!started) return;
    const stopping = daemon.stop();
    // stop() waits on the fake clock too (bounded sends); keep time moving until it is done.
    let done = false;
    void stopping.finally(() => (done = true));
    for (let i = 0; i < 200 && !done; i++) await clock.advance(100);
    await stopping;
  });
  const run = async (ms: number, stepMs = 500): Promise<void> => {
    for (let t = 0; t < ms; t += stepMs) await clock.advance(Math.min(stepMs, ms - t));
  };
  return {
    clock,
    host,
    daemon,
    notifier,
    lines,
    received,
    answer: (a) => (next = a),
    once: (a) => void queued.push(a),
    health: () => evaluateHealth(daemon.snapshot()),
    run,
    longestPingGap: () => {
      const times = [...notifier.timesOf('WATCHDOG=1'), clock.now()];
      let gap = 0;
      for (let i = 1; i < times.length; i++) gap = Math.max(gap, (times[i] ?? 0) - (times[i - 1] ?? 0));
      return gap;
    },
    start: async () => {
      started = true;
      const starting = daemon.start();
      let ready = false;
      void starting.then(() => (ready = true), () => (ready = true));
      for (let i = 0; i < 600 && !ready; i++) await clock.advance(100);
      await starting;
    },
  };
}

/** A command in the answer to a POST, as Drogue sends it. */
export function command(name: string, payload: string): Answer {
  return { status: 200, headers: { command: name }, body: payload };
}
