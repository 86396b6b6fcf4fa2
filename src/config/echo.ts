// How a configuration error line shows a value the user gave: never a secret, never URL
// userinfo, never a control character that could break the one-line report or forge a
// log line, and never more than ECHO_MAX_CHARS of it.

export const ECHO_MAX_CHARS = 80;
export const REDACTED = '[redacted]';

/**
 * Hides userinfo: everything between `scheme://` (or the start, for `user:pw@host`) and the
 * LAST `@`. The last, because a password may itself hold `@` or `/`, and a URL that does
 * not parse cannot be trusted to say where its authority ends. A path with `@` in it is
 * hidden too: over-hiding in an error line costs nothing.
 */
export function hideUserinfo(raw: string): string {
  const at = raw.lastIndexOf('@');
  if (at < 0) return raw;
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(raw);
  const start = scheme && scheme[0].length <= at ? scheme[0].length : 0;
  return `${raw.slice(0, start)}${REDACTED}${raw.slice(at)}`;
}

// eslint-disable-next-line no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/gu;
const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** Control characters as visible escapes (`\n`, `\u001b`); backslash doubled so the escape is unambiguous. */
export function escapeControl(text: string): string {
  return text.replace(/\\/g, '\\\\').replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** Raw control characters escaped, nothing else touched: a message that is already safe stays as it is. */
export function oneLine(text: string): string {
  return text.replace(CONTROL, (c) => NAMED[c] ?? `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

/** A value as an error line may show it: userinfo hidden, at most ECHO_MAX_CHARS characters, escaped. */
export function echoValue(raw: string, secret = false): string {
  if (secret) return REDACTED;
  const chars = [...hideUserinfo(raw)];
  const head = escapeControl(chars.slice(0, ECHO_MAX_CHARS).join(''));
  return chars.length > ECHO_MAX_CHARS ? `${head}... (${chars.length} characters)` : head;
}
