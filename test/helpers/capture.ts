import { Writable } from 'node:stream';

/** A writable that keeps what was written, for asserting on CLI output. */
export class Capture extends Writable {
  text = '';

  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    this.text += chunk.toString();
    done();
  }
}

export function captureIo(): { stdout: Capture; stderr: Capture } {
  return { stdout: new Capture(), stderr: new Capture() };
}
