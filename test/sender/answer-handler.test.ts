// The per-POST deadline timer of AnswerHandler: armed once, always cleared, never left behind.
import type { Dispatcher } from 'undici';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AnswerHandler, type Answer } from '../../src/sender/answer-handler.js';
import { SendAbort } from '../../src/sender/send-result.js';

function controller(): Dispatcher.DispatchController & { reasons: Error[] } {
  const reasons: Error[] = [];
  return { reasons, abort: (reason: Error) => void reasons.push(reason), pause: () => undefined, resume: () => undefined, aborted: false, paused: false, reason: null };
}

describe('AnswerHandler deadline', () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('clears its timer and its abort listener when the answer ends', () => {
    const stop = new AbortController();
    const answers: Answer[] = [];
    const handler = new AnswerHandler((a) => answers.push(a), () => undefined, stop.signal, 10_000);
    expect(vi.getTimerCount()).toBe(1);
    const c = controller();
    handler.onRequestStart(c);
    handler.onResponseStart(c, 202, {});
    handler.onResponseEnd();
    expect(vi.getTimerCount()).toBe(0);
    stop.abort(new Error('late stop'));
    expect(c.reasons).toEqual([]);
    expect(answers.map((a) => a.status)).toEqual([202]);
  });

  it('clears its timer when the request fails', () => {
    const errors: Error[] = [];
    const handler = new AnswerHandler(() => undefined, (e) => errors.push(e), undefined, 10_000);
    const c = controller();
    handler.onRequestStart(c);
    handler.onResponseError(c, new Error('reset'));
    expect(vi.getTimerCount()).toBe(0);
    expect(errors.map((e) => e.message)).toEqual(['reset']);
  });

  it('past the deadline: aborts the request once and rejects with a deadline SendAbort', () => {
    const errors: Error[] = [];
    const handler = new AnswerHandler(() => undefined, (e) => errors.push(e), undefined, 10_000);
    const c = controller();
    handler.onRequestStart(c);
    handler.onResponseStart(c, 202, {});
    vi.advanceTimersByTime(9_999);
    expect(errors).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(SendAbort);
    expect(errors[0]).toMatchObject({ reason: 'deadline', status: 202 });
    expect(c.reasons).toHaveLength(1);
    handler.onResponseError(c, new Error('aborted')); // undici reports the abort: settled already, nothing more
    expect(errors).toHaveLength(1);
    expect(vi.getTimerCount()).toBe(0);
  });

  it('a deadline before undici handed over a controller aborts the request as soon as it does', () => {
    const errors: Error[] = [];
    const handler = new AnswerHandler(() => undefined, (e) => errors.push(e), undefined, 100);
    vi.advanceTimersByTime(100);
    expect(errors).toHaveLength(1);
    const c = controller();
    handler.onRequestStart(c);
    expect(c.reasons).toEqual([errors[0]]);
  });
});
