// Cloud-to-device commands as Drogue delivers them over HTTP: a device that POSTs
// with `ct=N` waits up to N seconds for a command, and gets it as the answer
// (200, header `command: NAME`, the raw payload as body). Unlike Drogue, which
// drops a command nobody is waiting for, this queue keeps it (FIFO per device)
// until the device next asks, so tests can queue before the device polls.
import type { Clock } from '../clock/clock.js';
import type { Command } from '../event/command.js';

interface Waiter {
  device: string;
  deliver: (command: Command | null) => void;
}

export class CommandQueue {
  private readonly queued = new Map<string, Command[]>();
  private waiters: Waiter[] = [];

  constructor(private readonly clock: Clock) {}

  queue(device: string, name: string, payload: string | Buffer): void {
    const command: Command = { name, payload: typeof payload === 'string' ? Buffer.from(payload, 'utf8') : payload };
    const waiter = this.waiters.find((w) => w.device === device);
    if (waiter) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.deliver(command);
      return;
    }
    const list = this.queued.get(device) ?? [];
    list.push(command);
    this.queued.set(device, list);
  }

  /** Puts a command back at the head, for an answer that never reached its device. */
  requeue(device: string, command: Command): void {
    const waiter = this.waiters.find((w) => w.device === device);
    if (waiter) {
      this.waiters = this.waiters.filter((w) => w !== waiter);
      waiter.deliver(command);
      return;
    }
    this.queued.set(device, [command, ...(this.queued.get(device) ?? [])]);
  }

  /**
   * The next command for `device`, waiting up to `seconds` for one; null when none came
   * or `signal` aborted (the client went away, or the endpoint closes).
   */
  async next(device: string, seconds: number, signal: AbortSignal): Promise<Command | null> {
    const ready = this.queued.get(device)?.shift();
    if (ready) return ready;
    if (seconds <= 0 || signal.aborted) return null;
    const stop = new AbortController();
    const onAbort = (): void => stop.abort();
    signal.addEventListener('abort', onAbort, { once: true });
    return new Promise<Command | null>((resolve) => {
      const waiter: Waiter = {
        device,
        deliver: (command) => {
          signal.removeEventListener('abort', onAbort);
          stop.abort();
          resolve(command);
        },
      };
      this.waiters.push(waiter);
      // setTimeout's ceiling (about 24.8 days) bounds the wait; Drogue takes any u64.
      const ms = Math.min(seconds * 1000, 2 ** 31 - 1);
      this.clock.sleep(ms, stop.signal).then(
        () => this.expire(waiter),
        () => this.expire(waiter),
      );
    });
  }

  /** Devices that are waiting for a command right now. */
  waitingDevices(): string[] {
    return this.waiters.map((w) => w.device);
  }

  private expire(waiter: Waiter): void {
    if (!this.waiters.includes(waiter)) return;
    this.waiters = this.waiters.filter((w) => w !== waiter);
    waiter.deliver(null);
  }
}
