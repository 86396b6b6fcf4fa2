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
    [422, 'rejected'],
    [401, 'unauthorized'],
    [403, 'unauthorized'],
    [408, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [599, 'retry'],
  ])('%i is %s', (status, outcome) => {
    expect(classifyStatus(status, null, null).outcome).toBe(outcome);
  });

  // Answers that condemn the endpoint or the configuration keep the event (issue 12, finding 4).
  it.each([301, 302, 307, 308, 402, 404, 405, 409, 410, 415, 418, 451, 600, 199])('%i condemns the endpoint, not the event', (status) => {
    expect(classifyStatus(status, null, null)).toMatchObject({ outcome: 'endpoint_fault', status });
  });

  it('a redirect carries its Location without userinfo, query or control characters', () => {
    const result = classifyStatus(301, null, null, 'https://user:s3cret@example.com/v1/foo?token=abc\n');
    expect(result).toMatchObject({ outcome: 'endpoint_fault', location: 'https://example.com/v1/foo' });
    expect(JSON.stringify(result)).not.toMatch(/s3cret|token|user/);
    expect(classifyStatus(302, null, null, '/elsewhere')).toMatchObject({ location: '/elsewhere' });
    expect(classifyStatus(404, null, null, 'https://x/y')).toMatchObject({ location: null });
  });

  it('network errors are retried with a readable reason', () => {
    expect(classifyNetworkError(Object.assign(new Error('x'), { code: 'ECONNREFUSED' }))).toMatchObject({ outcome: 'retry', reason: 'connection refused' });
    expect(classifyNetworkError(Object.assign(new Error('fetch failed'), { cause: { code: 'ENOTFOUND' } }))).toMatchObject({ outcome: 'retry', reason: 'DNS lookup failed' });
  });

  it('an error raised before the request leaves the machine rejects the event instead of retrying it forever', () => {
    const invalid = Object.assign(new Error('invalid ce-subject header'), { code: 'UND_ERR_INVALID_ARG', name: 'InvalidArgumentError' });
    expect(classifyNetworkError(invalid)).toMatchObject({ outcome: 'rejected', status: null, reason: 'invalid request: invalid ce-subject header' });
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2026, 10, 25, 12, 0, 0);
  it('reads delta-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter('0', now)).toBe(0);
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed, 25 Nov 2026 11:00:00 GMT', now)).toBe(0);
    expect(parseRetryAfter('Wednesday, 25-Nov-26 12:00:30 GMT', now)).toBe(30_000);
    expect(parseRetryAfter('Wed Nov 25 12:00:30 2026', now)).toBe(30_000);
    expect(parseRetryAfter(undefined, now)).toBeNull();
  });

  it('never returns a wait a Node timer cannot hold, and reads garbage as no wait at all', () => {
    const MAX_TIMER = 2 ** 31 - 1;
    for (const huge of ['99999999', '99999999999999999999999', 'Fri, 31 Dec 9999 23:59:59 GMT']) {
      const ms = parseRetryAfter(huge, now);
      expect(ms, huge).not.toBeNull();
      expect(ms, huge).toBeLessThanOrEqual(MAX_TIMER);
      expect(ms, huge).toBeGreaterThan(0);
    }
    for (const garbage of ['soon', '-5', '1.5', 'NaN', 'Infinity', '1e9', '0x10', '', '  ', '5, 6', 'Wed, 99 Foo 2026 99:99:99 GMT', '12 s', 'in 2026']) {
      expect(parseRetryAfter(garbage, now), garbage).toBeNull();
    }
  });

  it('uses the answer’s own Date header for an HTTP-date, so a wrong device clock does not matter', () => {
    const deviceClockIn1970 = 0;
    expect(parseRetryAfter('Wed, 25 Nov 2026 12:00:30 GMT', deviceClockIn1970, 'Wed, 25 Nov 2026 12:00:00 GMT')).toBe(30_000);
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
