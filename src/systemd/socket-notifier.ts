// Sends sd_notify(3) states to the NOTIFY_SOCKET datagram socket through the
// optional native addon unix-dgram (see unix-dgram.ts for its quirks).
//
// Like libsystemd's sd_notify, every state opens a fresh socket, sends one datagram
// and closes it: no handle keeps the event loop alive, and a socket that systemd or
// Podman re-creates at the same path is found again. Sending never throws into the
// daemon; each kind of failure (errno) is logged once at warn, repeats at debug.
import { TelemetryError, errorMessage } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { NullNotifier, oneState, type Notifier } from './notifier.js';
import {
  MAX_SOCKET_PATH_BYTES,
  errnoName,
  loadUnixDgram,
  type UnixDgramModule,
} from './unix-dgram.js';

export interface SocketNotifierOptions {
  /** Filesystem path of the datagram socket (NOTIFY_SOCKET). */
  path: string;
  addon: UnixDgramModule;
  logger: Logger;
}

export class SocketNotifier implements Notifier {
  readonly path: string;
  private readonly addon: UnixDgramModule;
  private readonly logger: Logger;
  private readonly reportedKinds = new Set<string>();
  private failing = false;

  constructor(opts: SocketNotifierOptions) {
    this.path = opts.path;
    this.addon = opts.addon;
    this.logger = opts.logger;
  }

  async notify(state: string): Promise<void> {
    const text = oneState(state);
    const failure = this.send(Buffer.from(text, 'utf8'));
    if (failure) {
      this.report(failure, text);
      return;
    }
    if (this.failing) {
      this.failing = false;
      this.logger.info({ notify_socket: this.path, state: text }, 'systemd notification delivered again');
    }
    this.logger.trace({ state: text }, 'systemd notification sent');
  }

  private send(buf: Buffer): Error | undefined {
    let failure: Error | undefined;
    try {
      const socket = this.addon.createSocket('unix_dgram');
      socket.on('error', (err) => {
        failure ??= err;
      });
      try {
        socket.send(buf, 0, buf.length, this.path, (err) => {
          if (err) failure ??= err;
        });
      } finally {
        socket.close();
      }
    } catch (err) {
      failure ??= err instanceof Error ? err : new Error(String(err));
    }
    return failure;
  }

  private report(err: Error, state: string): void {
    this.failing = true;
    const kind = errnoName(err);
    const fields = { notify_socket: this.path, state, errno: kind, reason: errorMessage(err) };
    if (this.reportedKinds.has(kind)) {
      this.logger.debug(fields, 'systemd notification failed');
      return;
    }
    this.reportedKinds.add(kind);
    this.logger.warn(fields, 'systemd notification failed; repeats of this errno are logged at debug');
  }
}

export interface CreateNotifierOptions {
  /** Where the addon comes from; tests replace it to act out a missing addon. */
  loadAddon?: () => Promise<UnixDgramModule>;
}

/**
 * The notifier for a NOTIFY_SOCKET value: a no-op when it is unset or empty, a
 * SocketNotifier for a filesystem path. Rejects with E_NOTIFY when the value is a
 * form unix-dgram cannot address or the addon is missing, because a unit with
 * Type=notify would otherwise wait for a READY=1 that can never arrive.
 */
export async function createNotifier(
  notifySocket: string | undefined,
  logger: Logger,
  options: CreateNotifierOptions = {},
): Promise<Notifier> {
  if (notifySocket === undefined || notifySocket === '') {
    logger.debug('NOTIFY_SOCKET unset: systemd notification off');
    return new NullNotifier();
  }
  if (notifySocket.startsWith('@')) {
    throw new TelemetryError(
      'E_NOTIFY',
      `NOTIFY_SOCKET=${notifySocket} is an abstract-namespace socket, which the unix-dgram addon ` +
        'cannot address (it copies the path as a C string, so the leading NUL would end it); ' +
        'use a filesystem socket path (podman run --sdnotify=container and systemd provide one)',
    );
  }
  if (!notifySocket.startsWith('/')) {
    throw new TelemetryError(
      'E_NOTIFY',
      `NOTIFY_SOCKET=${notifySocket} is not an absolute socket path ` +
        '(relative paths and vsock: addresses are not supported)',
    );
  }
  const bytes = Buffer.byteLength(notifySocket, 'utf8');
  if (bytes > MAX_SOCKET_PATH_BYTES) {
    throw new TelemetryError(
      'E_NOTIFY',
      `NOTIFY_SOCKET is ${bytes} bytes long, over the ${MAX_SOCKET_PATH_BYTES} a unix socket ` +
        `address holds (got ${notifySocket})`,
    );
  }
  let addon: UnixDgramModule;
  try {
    addon = await (options.loadAddon ?? loadUnixDgram)();
  } catch (err) {
    throw new TelemetryError(
      'E_NOTIFY',
      `NOTIFY_SOCKET is set (${notifySocket}) but the optional native addon unix-dgram could ` +
        `not be loaded (${errorMessage(err)}); install and build it (npm install unix-dgram), ` +
        'or unset NOTIFY_SOCKET and use a unit without Type=notify',
      { cause: err },
    );
  }
  logger.info({ notify_socket: notifySocket }, 'systemd notification on');
  return new SocketNotifier({ path: notifySocket, addon, logger });
}
