// The Forwarder (the delivery core) in-process, on the FakeClock, with a fake Sender the
// test answers by hand and the real MemoryOutbox: each state of the loop — drain, retry
// with backoff, pause, probe, stop with sends in flight — and what it does with answers
// and payloads that must not cost an event (issue 12 findings 3–5, issue 16 item 4).
import { afterEach, describe, expect, it } from 'vitest';
import { FakeClock } from '../../src/clock/fake-clock.js';
import type { HttpMessage } from '../../src/event/event-shape.js';
import { silentLogger } from '../../src/log/logger.js';
import { Counters } from '../../src/metrics/counters.js';
import { MemoryOutbox } from '../../src/outbox/memory-outbox.js';
import type { OutboxEntry } from '../../src/outbox/outbox.js';
import { Forwarder, type ForwarderOptions } from '../../src/sender/forwarder.js';
import type { Sender } from '../../src/sender/http-sender.js';
import type { SendResult } from '../../src/sender/send-result.js';

interface Call {
  message: HttpMessage;
  signal: AbortSignal | undefined;
  settled: boolean;
  answer: (result: SendResult) => void;
}

/** A Sender whose every POST waits until the test answers it. */
class HeldSender implements Sender {
  readonly calls: Call[] = [];

  send(message: HttpMessage, signal?: AbortSignal): Promise<SendResult> {
    return new Promise((resolve) => {
      const call: Call = {
        message,
        signal,
        settled: false,
        answer: (result) => {
          if (call.settled) return;
          call.settled = true;
          resolve(result);
        },
      };
      signal?.addEventListener('abort', () => call.answer({ outcome: 'retry', reason: 'aborted', status: null, retryAfterMs: null }), { once: true });
      this.calls.push(call);
    });
  }

  get open(): Call[] {
    return this.calls.filter((c) => !c.settled);
  }

  /** Answers every open call with `result`, oldest first. */
  answerAll(result: SendResult): void {
    for (const call of this.open) call.answer(result);
  }

  ids(calls: Call[] = this.calls): string[] {
    return calls.map((c) => c.message.headers['ce-id'] ?? '?');
  }

  async close(): Promise<void> {}
}

const DELIVERED: SendResult = { outcome: 'delivered', status: 202, command: null };
const UNAVAILABLE: SendResult = { outcome: 'retry', reason: 'endpoint overloaded', status: 503, retryAfterMs: null };
const RETRY_BASE = 1000;
const RETRY_MAX = 60_000;

function message(id: string): string {
  return JSON.stringify({ headers: { 'ce-id': id, 'content-type': 'application/json' }, body: `{"id":"${id}"}` });
}

const running: { forwarder: Forwarder; stop: AbortController }[] = [];
afterEach(async () => {
  for (const r of running.splice(0)) {
    r.stop.abort();
    await r.forwarder.stop(100);
  }
});

function setUp(options: Partial<ForwarderOptions> = {}, ids = ['a', 'b', 'c', 'd', 'e', 'f']) {
  const clock = new FakeClock();
  const outbox = new MemoryOutbox({ maxBytes: 1_000_000, clock });
  for (const id of ids) outbox.append({ id, time: clock.now(), payload: message(id) });
  const sender = new HeldSender();
  const counters = new Counters();
  const forwarder = new Forwarder({
    outbox,
    sender,
    clock,
    logger: silentLogger(),
    counters,
    concurrency: 4,
    retryBaseMs: RETRY_BASE,
    retryMaxMs: RETRY_MAX,
    drainJitterMs: 0,
    random: () => 0.5,
    ...options,
  });
  const stop = new AbortController();
  running.push({ forwarder, stop });
  return {
    clock,
    outbox,
    sender,
    counters,
    forwarder,
    start: async () => {
      forwarder.start(stop.signal);
      await clock.advance(0);
    },
    stop,
  };
}

describe('Forwarder: drain', () => {
  it('sends the backlog oldest first, at most SEND_CONCURRENCY at once, and empties the outbox', async () => {
    const { sender, outbox, start, clock, counters } = setUp({}, ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    await start();
    expect(sender.ids(sender.open)).toEqual(['a', 'b', 'c', 'd']);
    while (sender.open.length > 0) {
      expect(sender.open.length).toBeLessThanOrEqual(4);
      sender.open[0]?.answer(DELIVERED);
      await clock.advance(0);
    }
    expect(sender.ids()).toEqual(['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h', 'i', 'j']);
    expect(outbox.stats().depth).toBe(0);
    expect(counters.get('events_sent_total')).toBe(10);
  });
});

describe('Forwarder: retry with backoff', () => {
  it('keeps the event and waits a full-jitter backoff before the next attempt', async () => {
    const { sender, outbox, start, clock, counters, forwarder } = setUp({}, ['a']);
    await start();
    sender.answerAll(UNAVAILABLE);
    await clock.advance(0);
    // random() = 0.5 → half of RETRY_BASE · 2^0
    expect(forwarder.state.pausedUntil - clock.now()).toBe(500);
    expect(counters.get('events_retried_total', { reason: 'endpoint overloaded' })).toBe(1);
    await clock.advance(499);
    expect(sender.calls).toHaveLength(1);
    await clock.advance(1);
    expect(sender.ids(sender.open)).toEqual(['a']);
    sender.answerAll(DELIVERED);
    await clock.advance(0);
    expect(outbox.stats().depth).toBe(0);
    expect(forwarder.state.consecutiveFailures).toBe(0);
  });

  it.each([
    ['0 (asks for less patience than the backoff)', 0, 500],
    ['30 s (asks for more)', 30_000, 30_000],
    ['far beyond RETRY_MAX (year 9999)', 2 ** 31 - 1, RETRY_MAX],
  ])('Retry-After %s: waits min(RETRY_MAX, max(backoff, Retry-After))', async (_name, retryAfterMs, expected) => {
    const { sender, start, clock, forwarder } = setUp({}, ['a']);
    await start();
    sender.answerAll({ outcome: 'retry', reason: 'endpoint overloaded', status: 503, retryAfterMs });
    await clock.advance(0);
    expect(forwarder.state.pausedUntil - clock.now()).toBe(expected);
    await clock.advance(expected - 1);
    expect(sender.calls).toHaveLength(1);
    await clock.advance(1);
    expect(sender.calls).toHaveLength(2);
  });

  it('Retry-After: 0 on every answer cannot make it spin: attempts back off exponentially', async () => {
    const { sender, start, clock } = setUp({ random: () => 0.999 }, ['a']);
    await start();
    // Over 10 simulated minutes an endpoint answering "503, Retry-After: 0" gets a handful of requests, not thousands.
    for (let ms = 0; ms < 600_000; ms += 250) {
      sender.answerAll({ outcome: 'retry', reason: 'endpoint overloaded', status: 503, retryAfterMs: 0 });
      await clock.advance(250);
    }
    expect(sender.calls.length).toBeGreaterThan(3);
    expect(sender.calls.length).toBeLessThan(20);
  });
});

describe('Forwarder: probe', () => {
  it('after a failure sends one request at a time until one gets through, then drains at full concurrency', async () => {
    const { sender, start, clock } = setUp();
    await start();
    expect(sender.open).toHaveLength(4);
    sender.answerAll(UNAVAILABLE);
    await clock.advance(0); // the answers land now, not after the clock moved
    await clock.advance(RETRY_MAX);
    expect(sender.open).toHaveLength(1);
    sender.answerAll(UNAVAILABLE);
    await clock.advance(0);
    await clock.advance(RETRY_MAX);
    expect(sender.open).toHaveLength(1);
    sender.answerAll(DELIVERED);
    await clock.advance(0);
    expect(sender.open).toHaveLength(4);
  });
});

describe('Forwarder: pause on answers that condemn the endpoint or the configuration', () => {
  it.each<[string, SendResult]>([
    ['403', { outcome: 'unauthorized', reason: 'credentials refused', status: 403 }],
    ['404', { outcome: 'endpoint_fault', reason: 'no such endpoint path', status: 404, location: null }],
    ['301', { outcome: 'endpoint_fault', reason: 'redirected', status: 301, location: 'https://elsewhere.example/v1/foo' }],
    ['410', { outcome: 'endpoint_fault', reason: 'HTTP 410', status: 410, location: null }],
  ])('%s keeps every event and pauses RETRY_MAX before one probe', async (_status, result) => {
    const { sender, outbox, start, clock, forwarder } = setUp();
    await start();
    sender.answerAll(result);
    await clock.advance(0);
    expect(outbox.stats()).toMatchObject({ depth: 6, deadLettered: 0, inFlight: 0 });
    expect(forwarder.state.pausedUntil - clock.now()).toBe(RETRY_MAX);
    expect(forwarder.state.lastError).toMatch(new RegExp(`^${result.status}`));
    await clock.advance(RETRY_MAX - 1);
    expect(sender.calls).toHaveLength(4);
    await clock.advance(1);
    expect(sender.open).toHaveLength(1);
    expect(sender.ids(sender.open)).toEqual(['a']);
  });

  it('marks the state so health can say the endpoint, not the network, is at fault', async () => {
    const { sender, start, clock, forwarder } = setUp({}, ['a']);
    await start();
    sender.answerAll({ outcome: 'endpoint_fault', reason: 'no such endpoint path', status: 404, location: null });
    await clock.advance(0);
    expect(forwarder.state.endpointRefused).toBe(true);
    await clock.advance(RETRY_MAX);
    sender.answerAll(UNAVAILABLE); // a later 503 is the network's or the load's, not a wrong ENDPOINT
    await clock.advance(0);
    expect(forwarder.state.endpointRefused).toBe(false);
    await clock.advance(RETRY_MAX);
    sender.answerAll({ outcome: 'endpoint_fault', reason: 'endpoint path gone', status: 410, location: null });
    await clock.advance(0);
    expect(forwarder.state.endpointRefused).toBe(true);
    await clock.advance(RETRY_MAX);
    sender.answerAll(DELIVERED);
    await clock.advance(0);
    expect(forwarder.state.endpointRefused).toBe(false);
  });
});

describe('Forwarder: events condemned for good', () => {
  it('dead-letters a 406 and goes on with the next event', async () => {
    const { sender, outbox, start, clock, counters } = setUp({ concurrency: 1 }, ['a', 'b']);
    await start();
    sender.answerAll({ outcome: 'rejected', reason: 'payload is not valid JSON for the endpoint', status: 406 });
    await clock.advance(0);
    expect(outbox.deadLetters().map((d) => [d.id, d.status])).toEqual([['a', 406]]);
    expect(counters.get('events_dead_lettered_total', { status: '406' })).toBe(1);
    expect(sender.ids(sender.open)).toEqual(['b']);
  });

  it('moves a payload that does not parse to the dead letters as unreadable, and goes on', async () => {
    const { sender, outbox, start, clock, counters } = setUp({}, []);
    outbox.append({ id: 'flipped', time: clock.now(), payload: message('flipped').replace('{', '\u007b\u0000') });
    outbox.append({ id: 'not-a-message', time: clock.now(), payload: '[1,2]' });
    outbox.append({ id: 'good', time: clock.now(), payload: message('good') });
    await start();
    expect(sender.ids(sender.open)).toEqual(['good']);
    expect(outbox.deadLetters().map((d) => [d.id, d.status, d.reason.split(':')[0]]).sort()).toEqual([
      ['flipped', null, 'unreadable'],
      ['not-a-message', null, 'unreadable'],
    ]);
    expect(counters.get('events_dead_lettered_total', { status: 'unreadable' })).toBe(2);
  });

  it('dead-letters an event the sender could not even put on the wire (status null)', async () => {
    const { sender, outbox, start, clock, counters } = setUp({ concurrency: 1 }, ['a', 'b']);
    await start();
    sender.answerAll({ outcome: 'rejected', reason: 'invalid request: invalid ce-subject header', status: null });
    await clock.advance(0);
    expect(outbox.deadLetters().map((d) => [d.id, d.status])).toEqual([['a', null]]);
    expect(counters.get('events_dead_lettered_total', { status: 'invalid_request' })).toBe(1);
    expect(sender.ids(sender.open)).toEqual(['b']);
  });
});

describe('Forwarder: prepare (the time seam)', () => {
  it('sends what prepare returns instead of the stored payload', async () => {
    const { sender, start } = setUp({ prepare: (entry: OutboxEntry) => message(`${entry.id}-restamped`) }, ['a']);
    await start();
    expect(sender.ids()).toEqual(['a-restamped']);
  });

  it('null means not sendable yet: keeps the event, waits about a second on purpose, counts no failure', async () => {
    let sendable = false;
    const { sender, outbox, start, clock, forwarder, counters } = setUp({ prepare: (entry) => (sendable ? entry.payload : null) }, ['a', 'b']);
    await start();
    expect(sender.calls).toHaveLength(0);
    expect(outbox.stats()).toMatchObject({ depth: 2, inFlight: 0, deadLettered: 0 });
    expect(forwarder.state.consecutiveFailures).toBe(0);
    expect(forwarder.state.pausedUntil - clock.now()).toBe(1000);
    expect(counters.get('events_retried_total')).toBe(0);
    sendable = true;
    await clock.advance(1000);
    expect(sender.ids(sender.open)).toEqual(['a', 'b']);
  });
});

describe('Forwarder: stop', () => {
  it('lets the sends in flight finish within the stop timeout', async () => {
    const { sender, outbox, start, clock, forwarder, stop } = setUp({}, ['a', 'b']);
    await start();
    stop.abort();
    const stopped = forwarder.stop(10_000);
    sender.answerAll(DELIVERED);
    await stopped;
    expect(outbox.stats().depth).toBe(0);
    await clock.advance(RETRY_MAX);
    expect(sender.calls).toHaveLength(2);
  });

  it('cuts off sends still in flight at the stop timeout and keeps their events, uncounted as failures', async () => {
    const { sender, outbox, start, forwarder, stop, counters } = setUp({}, ['a', 'b', 'c', 'd', 'e', 'f']);
    await start();
    expect(sender.open).toHaveLength(4);
    stop.abort();
    await forwarder.stop(50);
    expect(sender.calls.every((c) => c.signal?.aborted === true)).toBe(true);
    expect(outbox.stats()).toMatchObject({ depth: 6, inFlight: 0, deadLettered: 0 });
    expect(counters.get('events_retried_total')).toBe(0);
    expect(forwarder.state.inFlight).toBe(0);
  });
});
