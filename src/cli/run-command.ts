// `dht-telemetry run`: the daemon under a process supervisor. Every stop signal
// (SIGTERM, SIGINT, SIGHUP, SIGUSR2) stops it gracefully and arms a hard deadline, so a
// stuck stage can never keep systemd waiting past TimeoutStopSec.
import type { DaemonConfig } from '../config/config.js';
import { ConfigError, errorMessage } from '../errors.js';
import { createLogger, type Logger } from '../log/logger.js';
import { Daemon } from '../daemon.js';
import { createNotifier } from '../systemd/socket-notifier.js';
import { EX_CONFIG } from './exit-codes.js';
import { reportThrough, STOP_SIGNALS } from './process-guards.js';

const HARD_DEADLINE_EXTRA_MS = 5000;

export async function runCommand(config: DaemonConfig, logger: Logger = createLogger(config.logLevel)): Promise<number> {
  reportThrough(logger);
  let daemon: Daemon;
  try {
    const notifier = await createNotifier(config.notifySocket ?? undefined, logger);
    daemon = new Daemon(config, { logger, notifier });
  } catch (err) {
    logger.fatal({ err: errorMessage(err) }, 'cannot start');
    return 1;
  }
  const stopRequested = new Promise<string>((resolve) => {
    for (const signal of STOP_SIGNALS) process.once(signal, () => resolve(signal));
  });
  type StartOutcome = { kind: 'ready' } | { kind: 'failed'; err: unknown } | { kind: 'signal'; signal: string };
  const first = await Promise.race<StartOutcome>([
    daemon.start().then(
      () => ({ kind: 'ready' }),
      (err: unknown) => ({ kind: 'failed', err }),
    ),
    stopRequested.then((signal) => ({ kind: 'signal', signal })),
  ]);
  if (first.kind === 'failed' && first.err instanceof ConfigError) {
    // Found only when the daemon starts (a taken STATUS_LISTEN port): restarting cannot fix it.
    logger.fatal({ err: first.err.message }, 'bad configuration, not restarting');
    await daemon.stop();
    return EX_CONFIG;
  }
  if (first.kind === 'failed') {
    logger.fatal({ err: errorMessage(first.err) }, 'start failed, giving up (systemd and podman auto-update see a failed start)');
    await daemon.stop();
    return 1;
  }
  if (first.kind === 'ready') logger.info({ sensors: config.sensors.length }, 'ready');
  const signal = first.kind === 'signal' ? first.signal : await stopRequested;
  logger.info({ signal }, 'stop requested');
  const deadline = setTimeout(() => {
    logger.error({ deadline_ms: config.delivery.stopTimeoutMs + HARD_DEADLINE_EXTRA_MS }, 'stop took too long, exiting anyway (the outbox keeps what was not sent)');
    process.exit(1);
  }, config.delivery.stopTimeoutMs + HARD_DEADLINE_EXTRA_MS);
  deadline.unref();
  await daemon.stop();
  clearTimeout(deadline);
  return 0;
}
