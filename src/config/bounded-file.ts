// Reads a small configuration file (a password, a CA bundle) with a bound, so that a
// wrong path such as /dev/zero or a log file is refused instead of eating memory, and
// a FIFO nobody writes to is refused instead of blocking start-up.
import { closeSync, fstatSync, openSync, readSync, constants } from 'node:fs';

/** A device password: far more than any real one. */
export const PASSWORD_FILE_MAX_BYTES = 4096;
/** A CA bundle: Debian's whole ca-certificates.crt is about 220 KB. */
export const CA_FILE_MAX_BYTES = 1024 * 1024;

export class FileTooLarge extends Error {
  constructor(readonly maxBytes: number) {
    super(`larger than ${maxBytes} bytes`);
  }
}

export class NotAFile extends Error {
  constructor() {
    super('not a regular file');
  }
}

/** The file's text, or throws FileTooLarge past maxBytes, NotAFile for a directory, FIFO or socket, or the fs error. */
export function readBoundedFile(path: string, maxBytes: number): string {
  // O_NONBLOCK: opening a FIFO must not wait for a writer.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stat = fstatSync(fd);
    if (!stat.isFile() && !stat.isCharacterDevice()) throw new NotAFile();
    const buffer = Buffer.alloc(maxBytes + 1);
    let length = 0;
    while (length <= maxBytes) {
      const n = readSync(fd, buffer, length, buffer.length - length, null);
      if (n === 0) break;
      length += n;
    }
    if (length > maxBytes) throw new FileTooLarge(maxBytes);
    return buffer.toString('utf8', 0, length);
  } finally {
    closeSync(fd);
  }
}
