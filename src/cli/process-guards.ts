// What the process does about signals and bugs nothing else caught, installed first
// thing by main.ts, before any other code runs:
// - SIGUSR1 would make Node open its inspector on 127.0.0.1:9229 (remote code execution
//   for anything local). Node 20 has no --disable-sigusr1 (22+), but a JS listener for
//   the signal replaces Node's own handler, so the inspector cannot start: it is logged
//   and ignored.
// - An uncaughtException or unhandledRejection is a bug: one fatal line (the stack only
//   at debug, for a developer), and exit EX_SOFTWARE, so systemd restarts the daemon and
//   the outbox keeps every reading not yet sent.
import { errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { EX_SOFTWARE } from './exit-codes.js';

/** Signals that stop the daemon cleanly: systemd and Podman send SIGTERM, a terminal SIGINT or SIGHUP, a careless `kill -USR2` SIGUSR2. */
export const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP', 'SIGUSR2'] as const;
export type StopSignal = (typeof STOP_SIGNALS)[number];

/** Writes one line about the process; stderr until the daemon's logger takes over. */
type Report = (level: 'warn' | 'fatal', fields: { err?: string; signal?: string; reason?: string; stack?: string }, msg: string) => void;

let report: Report = (_level, fields, msg) => {
  process.stderr.write(`dht-telemetry: ${msg}: ${fields.err ?? fields.signal ?? ''}\n`);
};
let stackWanted = false;
let installed = false;

export function guardProcess(exit: (code: number) => never = (code) => process.exit(code)): void {
  if (installed) return;
  installed = true;
  process.on('SIGUSR1', () => report('warn', { signal: 'SIGUSR1' }, 'signal ignored'));
  const lastResort = (reason: string) => (err: unknown) => {
    const stack = stackWanted && err instanceof Error ? { stack: err.stack } : {};
    try {
      report('fatal', { reason, err: errorMessage(err), ...stack }, 'unexpected error, exiting (the outbox keeps what was not sent)');
    } finally {
      exit(EX_SOFTWARE);
    }
  };
  process.on('uncaughtException', lastResort('uncaught_exception'));
  process.on('unhandledRejection', lastResort('unhandled_rejection'));
}

/** From now on the guards write through the daemon's logger (synchronous: the line is out before exit). */
export function reportThrough(logger: Logger): void {
  stackWanted = logger.isLevelEnabled('debug');
  report = (level, fields, msg) => logger[level](fields, msg);
}
