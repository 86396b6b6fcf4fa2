// CloudEvents attribute values as HTTP header values, both ways, written from the
// HTTP protocol binding 1.0, section 3.1.3.2 (cloudevents/spec,
// cloudevents/bindings/http-protocol-binding.md):
//   encoding: each Unicode character (a surrogate pair is one character) that is a
//   space, `"`, `%` or outside U+0021-U+007E is written as the `%XY` of each byte of
//   its UTF-8 form, upper-case hex; nothing else is encoded;
//   decoding: first undo RFC 7230 quoted strings (older senders), then one round of
//   percent-decoding; lower-case hex and needless encoding are accepted, byte
//   sequences that are not valid UTF-8 (such as the overlong %C0%A0) are rejected.
// The CloudEvents JS SDK does neither, so it is no oracle for headers.

export class HeaderValueError extends Error {
  override readonly name = 'HeaderValueError';
}

function mustEncode(codePoint: number): boolean {
  return codePoint < 0x21 || codePoint > 0x7e || codePoint === 0x22 || codePoint === 0x25;
}

/** Printable ASCII but `"` and `%`: a value of only these is its own encoding. */
const NOTHING_TO_ENCODE = /^[\x21\x23\x24\x26-\x7e]*$/;

export function encodeHeaderValue(value: string): string {
  // The common case (a UUID, a plain id) without a loop over characters: the stored payload
  // derives ce-id with this at every send (sender/stored-message.ts).
  if (NOTHING_TO_ENCODE.test(value)) return value;
  let out = '';
  for (const char of value) {
    if (!mustEncode(char.codePointAt(0) ?? 0)) {
      out += char;
      continue;
    }
    for (const byte of Buffer.from(char, 'utf8')) out += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

const STRICT_UTF8 = new TextDecoder('utf-8', { fatal: true });

/** The attribute value a header carries; throws HeaderValueError when it is not a valid encoding. */
export function decodeHeaderValue(header: string): string {
  const unquoted = unquote(header.trim());
  const bytes: number[] = [];
  for (let i = 0; i < unquoted.length; i++) {
    const code = unquoted.charCodeAt(i);
    if (code === 0x25) {
      const hex = unquoted.slice(i + 1, i + 3);
      if (!/^[0-9A-Fa-f]{2}$/.test(hex)) throw new HeaderValueError(`"%" not followed by two hex digits at ${i}`);
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else if (code > 0xff) {
      // Not a header byte at all (HTTP hands over bytes, Node as latin1): take its UTF-8.
      bytes.push(...Buffer.from(unquoted[i] ?? '', 'utf8'));
    } else {
      bytes.push(code);
    }
  }
  try {
    return STRICT_UTF8.decode(Uint8Array.from(bytes));
  } catch {
    throw new HeaderValueError('percent-decoded bytes are not valid UTF-8');
  }
}

// RFC 7230 section 3.2.6: a quoted-string is `"` ... `"`, in which `\x` stands for x.
function unquote(value: string): string {
  if (!value.includes('"')) return value;
  let out = '';
  let quoted = false;
  for (let i = 0; i < value.length; i++) {
    const char = value[i] ?? '';
    if (char === '"') quoted = !quoted;
    else if (quoted && char === '\\') out += value[++i] ?? '';
    else out += char;
  }
  if (quoted) throw new HeaderValueError('unterminated quoted string');
  return out;
}
