// The few host files `check` looks at to tell how the sensor will reach the GPIO: /proc/cpuinfo,
// /dev nodes and /sys/class/gpio. Rooted at a directory so tests hand it a fake tree; on a Pi
// (or in its container) the root is /.
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import path from 'node:path';
import { errorMessage } from '../errors.js';

export interface HostFiles {
  /** The first `maxBytes` of a text file, or null when it cannot be read. */
  read(file: string, maxBytes: number): string | null;
  /** Entry names of a directory; [] when it cannot be read. */
  list(dir: string): string[];
  /** Opens the file read-write and closes it again: null when that worked, else why not. */
  openReadWrite(file: string): string | null;
}

export function rootedHostFiles(root = '/'): HostFiles {
  const at = (p: string): string => path.join(root, p);
  return {
    read(file, maxBytes) {
      let fd: number | undefined;
      try {
        fd = openSync(at(file), 'r');
        // procfs files report size 0: read until EOF or the bound.
        const buf = Buffer.alloc(maxBytes);
        let filled = 0;
        for (let n = -1; n !== 0 && filled < maxBytes; filled += n) n = readSync(fd, buf, filled, maxBytes - filled, null);
        return buf.toString('utf8', 0, filled);
      } catch {
        return null;
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    },
    list(dir) {
      try {
        return readdirSync(at(dir));
      } catch {
        return [];
      }
    },
    openReadWrite(file) {
      try {
        closeSync(openSync(at(file), 'r+'));
        return null;
      } catch (err) {
        // "EACCES: permission denied, open '/dev/gpiomem'": the path is said by the caller.
        return errorMessage(err).replace(/, open '.*'$/, '');
      }
    },
  };
}
