// The header encoding of the CloudEvents HTTP binding, section 3.1.3.2, case by case
// from the spec text (cloudevents/spec, cloudevents/bindings/http-protocol-binding.md).
import { describe, expect, it } from 'vitest';
import { decodeHeaderValue, encodeHeaderValue, HeaderValueError } from '../../src/event/ce-header.js';

describe('encodeHeaderValue (HTTP binding 3.1.3.2)', () => {
  it("encodes the spec's example: Euro € 😀, the emoji (a surrogate pair) as one character", () => {
    expect(encodeHeaderValue('Euro \u20ac \u{1f600}')).toBe('Euro%20%E2%82%AC%20%F0%9F%98%80');
  });

  it('encodes space, double quote and percent, and nothing else of U+0021-U+007E', () => {
    const printable = Array.from({ length: 0x7e - 0x21 + 1 }, (_, i) => String.fromCharCode(0x21 + i)).join('');
    expect(encodeHeaderValue(printable)).toBe(printable.replace('%', '%25').replace('"', '%22'));
    expect(encodeHeaderValue('a b "x" 50%')).toBe('a%20b%20%22x%22%2050%25');
    expect(encodeHeaderValue('%41')).toBe('%2541');
  });

  it('encodes control characters and U+007F-U+009F, and non-ASCII as UTF-8, upper-case hex', () => {
    expect(encodeHeaderValue('\t\n\u007f\u0085')).toBe('%09%0A%7F%C2%85');
    expect(encodeHeaderValue('küche 温度')).toBe('k%C3%BCche%20%E6%B8%A9%E5%BA%A6');
  });
});

describe('decodeHeaderValue (HTTP binding 3.1.3.2)', () => {
  it('gives back what the encoder wrote', () => {
    for (const value of ['Euro \u20ac \u{1f600}', 'a b "x" 50%', '%41', 'drogue://app/pi%201', '\t\u007f温度', '']) {
      expect(decodeHeaderValue(encodeHeaderValue(value))).toBe(value);
    }
  });

  it('accepts lower-case hex and needless encoding', () => {
    expect(decodeHeaderValue('%e2%82%ac%41')).toBe('\u20acA');
  });

  it('undoes RFC 7230 quoted strings first (older senders), backslash escapes included', () => {
    expect(decodeHeaderValue('"a b"')).toBe('a b');
    expect(decodeHeaderValue('x"\\"q\\""y')).toBe('x"q"y');
    expect(decodeHeaderValue('"50%25"')).toBe('50%');
  });

  it.each([
    ['%C0%A0', 'an overlong encoding of U+0020 (the spec\'s example)'],
    ['%FF', 'a byte that is never UTF-8'],
    ['%E2%82', 'a truncated sequence'],
    ['50%', 'a % without two hex digits'],
    ['%4', 'a % with one hex digit'],
    ['"open', 'an unterminated quoted string'],
  ])('rejects %s: %s', (header) => {
    expect(() => decodeHeaderValue(header)).toThrow(HeaderValueError);
  });
});
