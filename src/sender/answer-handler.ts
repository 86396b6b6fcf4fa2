// Reads one answer for HttpSender as an undici dispatch handler, with a bound on
// everything the endpoint controls:
// - the body: a command payload (200 with a `command` header) is kept up to
//   MAX_COMMAND_BYTES (Drogue's own payload limit); any other body is dropped chunk by
//   chunk as it arrives, never buffered. A command past the bound aborts the request.
// - the time: one deadline for the whole POST, from dispatch to the last byte read.
//   undici's headersTimeout and bodyTimeout only measure idle gaps, so an answer that
//   drips one byte every few seconds would otherwise hold a send slot forever.
// Both aborts reject with a SendAbort, which the classifier turns into a retry.
//
// It holds a status and two headers and lets go of the body when the answer ends: undici's
// request() API built a response stream and its promise machinery for every POST (~3 KB),
// which a heap profile of a backlog drain showed promoted to the old generation.
import type { IncomingHttpHeaders } from 'node:http';
import type { Dispatcher } from 'undici';
import { SendAbort } from './send-result.js';

export const MAX_COMMAND_BYTES = 64 * 1024;

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  /** The command payload; empty for any other answer. */
  body: Buffer;
}

const EMPTY = Buffer.alloc(0);

export class AnswerHandler implements Dispatcher.DispatchHandler {
  private controller: Dispatcher.DispatchController | null = null;
  private status = 0;
  private headers: IncomingHttpHeaders = {};
  private chunks: Buffer[] | null = null;
  private bytes = 0;
  private settled = false;
  /** Why it was given up before undici handed over a controller; aborted as soon as it does. */
  private abortReason: Error | null = null;
  private readonly deadline: NodeJS.Timeout;
  private readonly onAbort = (): void => this.giveUp(this.signal?.reason as Error);

  /**
   * @param deadlineMs the whole POST's budget; the caller keeps it in [1, MAX_TIMER_MS]
   *   (REQUEST_TIMEOUT + COMMAND_TIMEOUT, both ranged by the config loader).
   */
  constructor(
    private readonly resolve: (answer: Answer) => void,
    private readonly reject: (err: Error) => void,
    private readonly signal: AbortSignal | undefined,
    deadlineMs: number,
  ) {
    this.deadline = setTimeout(() => this.giveUp(new SendAbort('deadline', this.status || null)), deadlineMs);
    if (signal?.aborted) this.giveUp(signal.reason as Error);
    else signal?.addEventListener('abort', this.onAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.abortReason) controller.abort(this.abortReason);
  }

  onResponseStart(_controller: Dispatcher.DispatchController, statusCode: number, headers: IncomingHttpHeaders): void {
    this.status = statusCode;
    this.headers = headers;
    if (statusCode === 200 && headers.command !== undefined) this.chunks = [];
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    if (!this.chunks) return; // not a command: dropped as it arrives
    this.bytes += chunk.length;
    if (this.bytes > MAX_COMMAND_BYTES) {
      this.giveUp(new SendAbort('body_too_large', this.status));
      return;
    }
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    if (!this.settled) this.resolve({ status: this.status, headers: this.headers, body: this.chunks ? Buffer.concat(this.chunks) : EMPTY });
    this.done();
  }

  onResponseError(_controller: Dispatcher.DispatchController, err: Error): void {
    if (!this.settled) this.reject(this.abortReason ?? err);
    this.done();
  }

  /** Settles now with `reason` and aborts the request (now, or once undici hands over a controller). */
  private giveUp(reason: Error): void {
    if (this.settled) return;
    this.abortReason = reason;
    this.reject(reason);
    this.settled = true;
    this.release();
    this.controller?.abort(reason);
  }

  private done(): void {
    this.settled = true;
    this.release();
    this.controller = null;
  }

  private release(): void {
    clearTimeout(this.deadline);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.chunks = null;
    this.headers = {};
  }
}
