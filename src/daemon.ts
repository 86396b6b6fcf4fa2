// Wires the pipeline: sensor → sampler → event → outbox → forwarder → endpoint.
// Stages start from the sink back to the source and stop in reverse, each stop
// guarded on its own, so one failing stage never keeps the rest from shutting down.
import type { Dispatcher } from 'undici';
import { systemClock, type Clock } from './clock/clock.js';
import { buildTimeMs } from './time/build-time.js';
import { SystemHostTime, type HostTime } from './time/host-time.js';
import { TimeKeeper } from './time/time-keeper.js';
import type { DaemonConfig } from './config/config.js';
import { errorMessage } from './errors.js';
import { encodeReading } from './event/encode-reading.js';
import { storeMessage } from './sender/stored-message.js';
import { eventContext, type EventContext } from './event/event-shape.js';
import type { Reading } from './event/reading.js';
import type { Logger } from './log/logger.js';
import { Counters } from './metrics/counters.js';
import { openOutbox, untilOutboxOnDisk } from './outbox/open-outbox.js';
import type { Outbox } from './outbox/outbox.js';
import { Sampler } from './sampler/sampler.js';
import { Forwarder } from './sender/forwarder.js';
import { HeapGovernor, v8HeapProbe, type HeapProbe } from './runtime/heap-governor.js';
import { HttpSender, type Sender } from './sender/http-sender.js';
import { CommandHandler } from './commands/command-handler.js';
import { createSensor } from './sensor/create-sensor.js';
import type { Sensor } from './sensor/sensor.js';
import type { PowerProbe } from './sensor/simulated-sensor.js';
import { claimActuators, type Actuators } from './gpio/actuators.js';
import type { Gpio } from './gpio/gpio.js';
import { OnoffGpio } from './gpio/onoff-gpio.js';
import { powerOnLevel } from './gpio/power-switch.js';
import { buildInfo } from './status/build-info.js';
import type { DaemonSnapshot } from './status/snapshot.js';
import { RingHistory } from './status/reading-history.js';
import { lazyStatusMetrics } from './status/lazy-metrics.js';
import { SendDurations } from './status/send-durations.js';
import { startStatusServer, type StatusServer } from './status/status-server.js';
import { NullNotifier, type Notifier } from './systemd/notifier.js';
import { Readiness } from './systemd/readiness.js';
import { Watchdog } from './systemd/watchdog.js';

export interface DaemonDeps {
  logger: Logger;
  clock?: Clock;
  /** An undici Dispatcher for the sender (tests: MockAgent). */
  dispatcher?: Dispatcher;
  notifier?: Notifier;
  /** Replaces the sensor backends (tests). */
  sensors?: Sensor[];
  /** GPIO for power pins and the LED; default onoff, loaded only when a pin is configured. */
  gpio?: Gpio | null;
  outbox?: Outbox;
  /** The heap a drain keeps small; default V8's when --expose-gc is on, null for none. */
  heap?: HeapProbe | null;
  /** The boot id and the host's time-sync flag; default /proc and /run/systemd/timesync. */
  host?: HostTime;
  /** The clock floor, epoch ms; default this release's build time. */
  floorMs?: number;
}

/** Slack a loop gets past its own next deadline before the watchdog calls it wedged. */
const LOOP_SLACK_MS = 30_000;
/** The Forwarder waits this long at most while sends are in flight (its IDLE_POLL_MS × 60). */
const DELIVERY_IDLE_MS = 60_000;

export class Daemon {
  readonly counters = new Counters();
  private readonly config: DaemonConfig;
  private readonly logger: Logger;
  private readonly clock: Clock;
  private readonly notifier: Notifier;
  private readonly outbox: Outbox;
  private readonly sender: Sender;
  private readonly forwarder: Forwarder;
  private readonly heapGovernor: HeapGovernor | null;
  private samplers: Sampler[] = [];
  private sensors: Sensor[] = [];
  private actuators: Actuators | null = null;
  private readonly gpio: Gpio | null;
  private readonly sensorOverride: Sensor[] | undefined;
  private readonly firstReading: () => void;
  /** READY=1 needs the outbox on disk (met at once for an injected outbox). */
  private readonly outboxOnDisk: () => void;
  private readonly readiness: Readiness;
  private readonly watchdog: Watchdog | null;
  private readonly eventContext: EventContext;
  private readonly timeKeeper: TimeKeeper;
  /**
   * How long one sampler round may take past the wait it announced: a read spaced to the
   * model minimum, a power cycle, and slack. The watchdog's margin for every sampler.
   */
  readonly samplerMarginMs: number;
  private readonly sampling = new AbortController();
  private readonly delivering = new AbortController();
  private readonly startedAt: number;
  private readyFlag = false;
  private stopping = false;
  private readonly commands: CommandHandler;
  private readonly history: RingHistory;
  private readonly sendDurations = new SendDurations();
  private statusServer: StatusServer | null = null;

  constructor(config: DaemonConfig, deps: DaemonDeps) {
    this.config = config;
    this.logger = deps.logger;
    this.clock = deps.clock ?? systemClock;
    this.startedAt = this.clock.now();
    this.notifier = deps.notifier ?? new NullNotifier();
    const { endpoint, delivery } = config;
    this.eventContext = eventContext(config);
    this.history = new RingHistory({ clock: this.clock });
    this.readiness = new Readiness({ notifier: this.notifier, timeoutMs: config.startTimeoutMs, clock: this.clock, logger: this.logger });
    this.outboxOnDisk = this.readiness.require('outbox on disk');
    this.firstReading = this.readiness.require('first-reading');
    this.watchdog = config.watchdogMs ? new Watchdog({ notifier: this.notifier, intervalMs: config.watchdogMs, clock: this.clock, logger: this.logger }) : null;
    this.timeKeeper = new TimeKeeper({ clock: this.clock, host: deps.host ?? new SystemHostTime(), floorMs: deps.floorMs ?? buildTimeMs(), syncWaitMs: config.timeSyncWaitMs, counters: this.counters, logger: this.logger });
    const { powerOffMs, powerSettleMs } = config.sampling;
    this.samplerMarginMs = powerOffMs + powerSettleMs + 2000 + LOOP_SLACK_MS;

    this.outbox = deps.outbox ?? openOutbox({
      dataDir: delivery.dataDir,
      maxBytes: delivery.outboxMaxBytes,
      logger: this.logger,
      counters: this.counters,
      clock: this.clock,
      syncWindowMs: delivery.outboxSyncWindowMs,
      onSyncDue: () => this.forwarder.notify(),
    });
    if (deps.outbox) this.outboxOnDisk();
    this.sender = new HttpSender({ endpoint, clock: this.clock, connections: delivery.concurrency, ...(deps.dispatcher ? { dispatcher: deps.dispatcher } : {}) });
    const heap = deps.heap !== undefined ? deps.heap : v8HeapProbe();
    this.heapGovernor = heap ? new HeapGovernor(heap, { onCollect: () => this.counters.inc('heap_collections_total') }) : null;
    // The delivery loop beats on every round; it may be silent on purpose until its pause
    // ends (backoff, Retry-After, refused credentials: pausedUntil), then for one round:
    // a send in flight (request + command timeout), the idle wait beside it, the start's jitter.
    const deliveryMarginMs = endpoint.requestTimeoutMs + endpoint.commandTimeoutS * 1000 + DELIVERY_IDLE_MS + delivery.drainJitterMs + LOOP_SLACK_MS;
    const deliveryBeat = this.watchdog?.register('delivery', deliveryMarginMs, () => this.forwarder.state.pausedUntil);
    this.forwarder = new Forwarder({
      outbox: this.outbox,
      sender: this.sender,
      clock: this.clock,
      logger: this.logger,
      counters: this.counters,
      concurrency: delivery.concurrency,
      retryBaseMs: delivery.retryBaseMs,
      retryMaxMs: delivery.retryMaxMs,
      drainJitterMs: delivery.drainJitterMs,
      onCommand: (c) => this.commands.handle(c),
      onDelivered: () => {
        this.actuators?.led?.delivered();
        this.heapGovernor?.delivered();
      },
      onSendDone: (ms, outcome) => this.sendDurations.observe(ms, outcome),
      onFailed: () => this.actuators?.led?.error(),
      prepare: (entry) => this.timeKeeper.prepare(entry), // per send: no copy of the entry
      ...(deliveryBeat ? { onAlive: () => deliveryBeat.beat() } : {}),
    });

    this.sensorOverride = deps.sensors;
    this.gpio = deps.gpio !== undefined ? deps.gpio : needsGpio(config) ? new OnoffGpio() : null;
    this.commands = new CommandHandler({ samplers: () => this.samplers, led: () => this.actuators?.led ?? null }, this.logger, this.counters);
  }

  /** Starts every stage; resolves once READY=1 went out (or rejects at the start timeout). */
  async start(): Promise<void> {
    const { endpoint } = this.config;
    this.logger.info(
      { endpoint: endpoint.url.origin + endpoint.url.pathname, app_id: endpoint.appId, device_id: endpoint.deviceId, sensors: this.config.sensors, data_dir: this.config.delivery.dataDir, outbox: this.outbox.stats() },
      'starting',
    );
    if (endpoint.tlsInsecure) this.logger.warn('TLS_INSECURE is on: the endpoint certificate is NOT checked. Development only.');
    // First, so /healthz answers "starting" (503) while the rest comes up.
    if (this.config.statusListen) {
      const { host, port } = this.config.statusListen;
      this.statusServer = await startStatusServer({ host, port, snapshot: () => this.snapshot(), history: this.history, metrics: lazyStatusMetrics(() => this.snapshot(), this.sendDurations), logger: this.logger });
    }
    void untilOutboxOnDisk(this.outbox, this.clock, this.delivering.signal).then((onDisk) => onDisk && this.outboxOnDisk());
    this.forwarder.start(this.delivering.signal);
    const { sensors, ledPin, sampling } = this.config;
    this.actuators = await claimActuators({ sensors, ledPin, powerOffMs: sampling.powerOffMs, powerSettleMs: sampling.powerSettleMs }, this.gpio, this.clock, this.logger);
    this.sensors = this.sensorOverride ?? this.config.sensors.map((s) => createSensor(s, this.config.sampling, this.clock, this.powerProbe(s.name)));
    this.samplers = this.sensors.map((sensor) => this.createSampler(sensor));
    for (const sampler of this.samplers) sampler.start(this.sampling.signal);
    this.watchdog?.start(this.delivering.signal);
    await this.readiness.whenReady();
    this.readyFlag = true;
  }

  /** SIGTERM: stop sampling, let in-flight POSTs finish (bounded), keep the rest on disk. */
  async stop(): Promise<void> {
    if (this.stopping) return;
    this.stopping = true;
    const { stopTimeoutMs } = this.config.delivery;
    this.logger.info({ stop_timeout_ms: stopTimeoutMs }, 'stopping');
    await this.notifier.notify('STOPPING=1').catch(() => undefined);
    this.sampling.abort();
    await guard(this.logger, 'samplers', () => Promise.all(this.samplers.map((s) => s.stopped())));
    this.delivering.abort();
    await guard(this.logger, 'forwarder', () => this.forwarder.stop(stopTimeoutMs));
    this.readiness.stop();
    await guard(this.logger, 'watchdog', async () => this.watchdog?.stop());
    await guard(this.logger, 'sensors', () => Promise.all(this.sensors.map((s) => s.close())));
    await guard(this.logger, 'gpio', async () => this.actuators?.release());
    await guard(this.logger, 'sender', () => this.sender.close());
    await guard(this.logger, 'status server', async () => this.statusServer?.close());
    const left = this.outbox.stats();
    await guard(this.logger, 'outbox', async () => this.outbox.close());
    this.logger.info({ queued: left.depth, sent: this.counters.get('events_sent_total') }, 'stopped');
  }

  snapshot(): DaemonSnapshot {
    const { endpoint } = this.config;
    return {
      now: this.clock.now(),
      wallNow: this.clock.wallNow(),
      startedAt: this.startedAt,
      ready: this.readyFlag,
      stopping: this.stopping,
      build: buildInfo(),
      device: { appId: endpoint.appId, deviceId: endpoint.deviceId, channel: endpoint.channel, endpoint: endpoint.url.origin + endpoint.url.pathname, geolocation: this.config.geolocation },
      sensors: this.samplers.map((s, i) => {
        const c = this.config.sensors[i];
        return { ...s.state, name: s.name, model: this.sensors[i]?.model ?? 'sim', pin: c?.pin ?? -1 };
      }),
      delivery: { ...this.forwarder.state },
      outbox: this.outbox.stats(),
      counters: this.counters.samples(),
      clock: this.timeKeeper.state(),
      wedgedLoops: this.watchdog?.wedgedLoops() ?? null,
    };
  }

  private createSampler(sensor: Sensor): Sampler {
    const beat = this.watchdog?.register(`sampler:${sensor.name}`, this.samplerMarginMs);
    const power = this.actuators?.power.get(sensor.name)?.switch ?? null;
    return new Sampler({
      sensor,
      config: this.config.sampling,
      clock: this.clock,
      logger: this.logger.child({ sensor: sensor.name }),
      counters: this.counters,
      power,
      onReading: (reading) => {
        this.enqueue(reading);
        this.firstReading();
      },
      stamp: (mono) => this.timeKeeper.stamp(mono),
      ...(beat ? { onAlive: (quietMs: number) => beat.beat(quietMs) } : {}),
    });
  }

  /** A simulated sensor follows its power pin's real value, as a DHT fed from a GPIO does. */
  private powerProbe(name: string): PowerProbe | undefined {
    const power = this.actuators?.power.get(name);
    if (!power) return undefined;
    const on = powerOnLevel();
    return async () => (await power.pin.read()) === on;
  }

  private enqueue(reading: Reading): void {
    const message = encodeReading(reading, this.eventContext, this.config.endpoint.contentMode);
    const { dropped } = this.outbox.append({ id: reading.id, time: reading.time, payload: storeMessage(message, reading), mono: reading.mono ?? null, bootId: reading.bootId ?? null });
    this.counters.inc('events_queued_total');
    if (dropped > 0) this.logger.warn({ dropped, outbox_max_bytes: this.config.delivery.outboxMaxBytes }, 'outbox full, dropped the oldest events');
    this.logger.debug({ event_id: reading.id, sensor: reading.sensor, temp: reading.temperature, hum: reading.humidity }, 'reading queued');
    this.forwarder.notify();
    this.history.add(reading);
  }
}

function needsGpio(config: DaemonConfig): boolean {
  return config.ledPin !== null || config.sensors.some((s) => s.powerPin !== null);
}

async function guard(logger: Logger, stage: string, fn: () => Promise<unknown>): Promise<void> {
  try {
    await fn();
  } catch (err) {
    logger.error({ stage, err: errorMessage(err) }, 'stage failed to stop cleanly');
  }
}
