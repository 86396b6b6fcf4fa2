// Event ids: random (version 4) UUIDs, as crypto.randomUUID() makes them, from the kernel's
// random source. Not through node:crypto: importing it compiles all of node's crypto modules,
// ~15 ms of CPU before READY=1 under the daemon's node flags (they keep node from using its
// built-in code cache; bench/RESULTS.md, start to READY=1). Bytes are read 64 ids at a time.
import { closeSync, openSync, readSync } from 'node:fs';

const ID_BYTES = 16;
const POOL_BYTES = ID_BYTES * 64;
const pool = Buffer.alloc(POOL_BYTES);
let offset = POOL_BYTES;

function refill(): void {
  const fd = openSync('/dev/urandom', 'r');
  try {
    let filled = 0;
    while (filled < POOL_BYTES) {
      const n = readSync(fd, pool, filled, POOL_BYTES - filled, null);
      if (n <= 0) throw new Error('/dev/urandom gave no bytes');
      filled += n;
    }
  } finally {
    closeSync(fd);
  }
  offset = 0;
}

/** A new random UUID (RFC 9562 version 4), e.g. `0b3e5c1a-8f2d-4c6e-9a7b-1d2e3f4a5b6c`. */
export function newEventId(): string {
  if (offset + ID_BYTES > POOL_BYTES) refill();
  const b = pool.subarray(offset, offset + ID_BYTES);
  offset += ID_BYTES;
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
