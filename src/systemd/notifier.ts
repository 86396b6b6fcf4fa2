// The systemd notification boundary (sd_notify(3)): the daemon says READY=1 once it
// really works, WATCHDOG=1 while its loops are alive, STOPPING=1 on shutdown, and
// STATUS=... for people reading `systemctl status`.
//
// One state per call and per datagram: Podman 4.3 (`--sdnotify=container`) forwards
// only READY=1 and WATCHDOG=1, and only when each arrives as a datagram of its own.
import { systemClock, type Clock } from '../clock/clock.js';

export interface Notifier {
  /** Sends one `KEY=VALUE` state. Never rejects: delivery problems are logged. */
  notify(state: string): Promise<void>;
}

/**
 * The wire form of one state. A newline would split the datagram into several
 * assignments (STATUS text built from an error message can carry one), so line
 * breaks are folded into "; ".
 */
export function oneState(state: string): string {
  return state.trim().replace(/\s*[\r\n]+\s*/g, '; ');
}

/** Used when NOTIFY_SOCKET is unset: the daemon runs the same code outside systemd. */
export class NullNotifier implements Notifier {
  async notify(_state: string): Promise<void> {}
}

export interface RecordedState {
  state: string;
  /** `clock.now()` when the state was sent. */
  at: number;
}

/** A fake for tests: records every state, as it would go on the wire, with clock time. */
export class RecordingNotifier implements Notifier {
  readonly sent: RecordedState[] = [];

  constructor(private readonly clock: Clock = systemClock) {}

  async notify(state: string): Promise<void> {
    this.sent.push({ state: oneState(state), at: this.clock.now() });
  }

  states(): string[] {
    return this.sent.map((s) => s.state);
  }

  /** Clock times at which exactly `state` was sent. */
  timesOf(state: string): number[] {
    return this.sent.filter((s) => s.state === state).map((s) => s.at);
  }
}
