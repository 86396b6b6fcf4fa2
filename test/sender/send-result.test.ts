import { describe, expect, it } from 'vitest';
import { classifyNetworkError, classifyStatus, parseRetryAfter } from '../../src/sender/send-result.js';
import { fullJitterDelay } from '../../src/sender/backoff.js';

describe('classifyStatus (DESIGN §5)', () => {
  it.each([
    [202, 'delivered'],
    [200, 'delivered'],
    [400, 'rejected'],
    [406, 'rejected'],
    [413, 'rejected'],
    [404, 'rejected'],
    [403, 'unauthorized'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
  ])('%i is %s', (status, outcome) => {
    expect(classifyStatus(status, null, null).outcome).toBe(outcome);
  });

  it('network errors are retried with a readable reason', () => {
    expect(classifyNetworkError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toMatchObject({ outcome: 'retry', reason: 'connection refused' });
    expect(classifyNetworkError(Object.assign(new Error('fetch failed'), { cause: { code: 'ENOTFOUND' } }))).toMatchObject({ outcome: 'retry', reason: 'DNS lookup failed' });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 25, 12, 0, 0);
  it('reads delta-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter(undefined, now)).toBeNull();
    expect(parseRetryAfter('soon', now)).toBeNull();
  });
});

describe('fullJitterDelay', () => {
  it('stays within [0, min(max, base·2^attempt)]', () => {
    expect(fullJitterDelay(0, 1000, 60_000, () => 0.999)).toBe(999);
    expect(fullJitterDelay(3, 1000, 60_000, () => 0.5)).toBe(4000);
    expect(fullJitterDelay(20, 1000, 60_000, () => 0.5)).toBe(30_000);
    expect(fullJitterDelay(5, 1000, 60_000, () => 0)).toBe(0);
  });
});
