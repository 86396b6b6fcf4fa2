// The optional native addon unix-dgram 2.0.7, typed as far as we use it. Node core
// has no AF_UNIX datagram sockets, and NOTIFY_SOCKET is one.
//
// Quirks (from its src/unix_dgram.cc): callbacks and 'error' events fire
// synchronously inside the call; errors carry a negative errno number as `code`;
// the path is copied with strncpy into sun_path (107 bytes, longer paths are cut
// silently, a leading NUL ends it), so abstract-namespace sockets are unreachable;
// every socket keeps the event loop alive until close().
import { createRequire } from 'node:module';
import { constants } from 'node:os';

export interface UnixDgramSocket {
  bind(path: string): void;
  send(
    buf: Buffer,
    offset: number,
    length: number,
    path: string,
    callback: (err?: Error) => void,
  ): void;
  close(): void;
  on(event: 'message', listener: (msg: Buffer | null) => void): this;
  on(event: 'error', listener: (err: Error) => void): this;
  on(event: 'listening', listener: () => void): this;
}

export interface UnixDgramModule {
  createSocket(type: 'unix_dgram', listener?: (msg: Buffer | null) => void): UnixDgramSocket;
}

/** Longest path unix-dgram can address: sizeof(sun_path) - 1. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Loads the addon on first use, so the daemon runs where it was never built. */
export async function loadUnixDgram(): Promise<UnixDgramModule> {
  const require = createRequire(import.meta.url);
  return require('unix-dgram') as UnixDgramModule;
}

const ERRNO_NAMES = new Map<number, string>(
  Object.entries(constants.errno).map(([name, value]) => [value, name]),
);

/** 'ENOENT' for unix-dgram's `code: -2`; Node's string codes pass through. */
export function errnoName(err: unknown): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (typeof code === 'number') return ERRNO_NAMES.get(Math.abs(code)) ?? `errno ${code}`;
  if (typeof code === 'string') return code;
  return 'unknown';
}
