// A real NOTIFY_SOCKET for tests: a unix datagram socket (unix-dgram) bound at a
// fresh temp path, recording every datagram as it arrives. Waits are bounded;
// close() releases the socket and removes its directory.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import {
  MAX_SOCKET_PATH_BYTES,
  loadUnixDgram,
  type UnixDgramSocket,
} from '../../src/systemd/unix-dgram.js';

export interface Datagram {
  text: string;
  /** `now()` when the listener received it. */
  at: number;
}

export interface NotifyListenerOptions {
  /** Stamps arrivals; defaults to Date.now. */
  now?: () => number;
  /** Bind here instead of in a fresh temp dir; close() then removes only the socket file. */
  path?: string;
}

type Waiter = { match: (text: string) => boolean; resolve: (d: Datagram) => void };

export class NotifyListener {
  readonly datagrams: Datagram[] = [];
  private waiters: Waiter[] = [];
  private closed = false;

  private constructor(
    readonly path: string,
    /** What close() removes: the temp dir, or just the socket file when a path was given. */
    private readonly owned: string,
    private readonly socket: UnixDgramSocket,
    private readonly now: () => number,
  ) {}

  static async open(opts: NotifyListenerOptions = {}): Promise<NotifyListener> {
    const addon = await loadUnixDgram();
    const path = opts.path ?? join(await mkdtemp(join(tmpdir(), 'dht-notify-')), 'notify.sock');
    const owned = opts.path ?? dirname(path);
    if (Buffer.byteLength(path) > MAX_SOCKET_PATH_BYTES) {
      await rm(owned, { recursive: true, force: true });
      throw new Error(`temp socket path too long for AF_UNIX: ${path}`);
    }
    const socket = addon.createSocket('unix_dgram');
    let bindError: Error | undefined;
    socket.on('error', (err) => {
      bindError ??= err;
    });
    socket.bind(path); // 'error' fires synchronously on failure
    if (bindError) {
      socket.close();
      if (!opts.path) await rm(owned, { recursive: true, force: true });
      throw bindError;
    }
    const listener = new NotifyListener(path, owned, socket, opts.now ?? Date.now);
    socket.on('message', (msg) => listener.receive(msg));
    return listener;
  }

  texts(): string[] {
    return this.datagrams.map((d) => d.text);
  }

  count(text: string): number {
    return this.datagrams.filter((d) => d.text === text).length;
  }

  /** The first datagram (already received or still to come) equal to / matching `state`. */
  waitFor(state: string | ((text: string) => boolean), timeoutMs: number): Promise<Datagram> {
    const match = typeof state === 'string' ? (t: string) => t === state : state;
    const seen = this.datagrams.find((d) => match(d.text));
    if (seen) return Promise.resolve(seen);
    return new Promise<Datagram>((resolve, reject) => {
      const waiter: Waiter = {
        match,
        resolve: (d) => {
          clearTimeout(timer);
          resolve(d);
        },
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(
          new Error(
            `no datagram ${String(state)} within ${timeoutMs} ms; got ${JSON.stringify(this.texts())}`,
          ),
        );
      }, timeoutMs);
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.socket.close();
    await rm(this.owned, { recursive: true, force: true });
  }

  private receive(msg: Buffer | null): void {
    if (!msg) return; // a failed recvmsg: unix-dgram reports it as a null buffer
    const datagram = { text: msg.toString('utf8'), at: this.now() };
    this.datagrams.push(datagram);
    const ready = this.waiters.filter((w) => w.match(datagram.text));
    this.waiters = this.waiters.filter((w) => !ready.includes(w));
    for (const w of ready) w.resolve(datagram);
  }
}
