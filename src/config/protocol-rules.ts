// The endpoint's protocol rules (DESIGN §3-§5, issue 14): values no receiver can use
// are refused at start with the rule, instead of dead-lettering every event or failing
// every POST before it leaves the machine. loadConfig() calls applyProtocolRules() once.
//   - The channel is the one actually posted to: the `{channel}` of an ENDPOINT that
//     names `.../v1/{channel}`, else CHANNEL. The event's subject is that channel.
//   - A channel is one path segment that survives the trip: not blank, no whitespace at
//     either end (the path and the subject would disagree), not `.` or `..` (URL
//     normalisation removes them), no `/`, no control characters.
//   - ENDPOINT has no query string (the daemon writes data_schema and ct itself and
//     would drop it) and does not end in `/v1` (that would post to `/v1/v1/status`).
//   - DATA_SCHEMA is an absolute URI (RFC 3986), as the CloudEvents schema requires;
//     non-ASCII characters are percent-encoded as UTF-8 first (RFC 3987 §3.1), so an
//     IRI such as `urn:温度` is sent as the URI `urn:%E6%B8%A9%E5%BA%A6`.
//   - APP_ID and DEVICE_ID are not blank; APP_ID has no `:` (HTTP Basic ends the user
//     name at the first colon, and Drogue's user is `{device}@{app}`).
import type { EndpointConfig } from './config.js';
import { ConfigError } from '../errors.js';

interface RawValues {
  value: (name: string) => string;
  isSet: (name: string) => boolean;
}

/** U+0000-U+001F and U+007F-U+009F, which CloudEvents attribute values may not hold. */
export function hasControlCharacter(text: string): boolean {
  for (const char of text) {
    const cp = char.codePointAt(0) ?? 0;
    if (cp <= 0x1f || (cp >= 0x7f && cp <= 0x9f)) return true;
  }
  return false;
}

/** Fixes `endpoint.url`, `channel` and `dataSchema` by the rules above, or adds the broken rule to `problems`. */
export function applyProtocolRules(endpoint: EndpointConfig, raw: RawValues, problems: ConfigError[]): void {
  const given = raw.value('ENDPOINT').trim();
  const url = safeUrl(given);
  if (url) {
    const target = resolveTarget(url, raw, problems);
    if (target) {
      endpoint.url = target.url;
      endpoint.channel = target.channel;
    }
  }
  const schema = dataSchemaUri(raw.value('DATA_SCHEMA'));
  if (raw.value('DATA_SCHEMA').trim() === '') {
    // the loader has already said it is empty
  } else if (typeof schema === 'string') endpoint.dataSchema = schema;
  else problems.push(new ConfigError('DATA_SCHEMA', `${schema.problem} (got "${raw.value('DATA_SCHEMA')}", expected an absolute URI such as urn:drogue:iot:temperature or https://example.com/schema.json, with a space written %20)`));
  for (const name of ['APP_ID', 'DEVICE_ID']) {
    const v = raw.value(name);
    if (v !== '' && v.trim() === '') problems.push(new ConfigError(name, `blank (got "${v}", expected the Drogue ${name === 'APP_ID' ? 'application' : 'device'} id)`));
  }
  if (raw.value('APP_ID').includes(':')) {
    problems.push(new ConfigError('APP_ID', `contains ":", which HTTP Basic cannot carry in the user name {device}@{app} (got "${raw.value('APP_ID')}", expected an application id without ":")`));
  }
}

function safeUrl(raw: string): URL | null {
  try {
    return new URL(raw);
  } catch {
    return null; // the loader has already reported it
  }
}

function resolveTarget(given: URL, raw: RawValues, problems: ConfigError[]): { url: URL; channel: string } | null {
  const shown = `${given.origin}${given.pathname}`;
  if (given.search !== '' || given.hash !== '') {
    // The query is not echoed: it may carry a token.
    problems.push(new ConfigError('ENDPOINT', `has a query string or fragment, which would be dropped (got "${shown}?…", expected a URL without one; the daemon adds data_schema and ct from DATA_SCHEMA and COMMAND_TIMEOUT)`));
    return null;
  }
  const segments = given.pathname.split('/');
  const v1 = segments.lastIndexOf('v1');
  const url = new URL(given.href);
  if (v1 < 0) {
    const channel = raw.value('CHANNEL');
    const problem = channelProblem(channel);
    if (problem && channel.trim() !== '') {
      problems.push(new ConfigError('CHANNEL', `${problem} (got "${channel}", expected one path segment such as status)`));
      return null;
    }
    if (problem) return null; // blank: the loader has already said so
    url.pathname = `${url.pathname.replace(/\/+$/, '')}/v1/${encodeURIComponent(channel)}`;
    return { url, channel };
  }
  const after = segments.slice(v1 + 1);
  const expected = 'a base URL such as https://http.sandbox.drogue.cloud, or a full URL ending in /v1/{channel}';
  if (after.every((s) => s === '')) {
    problems.push(new ConfigError('ENDPOINT', `ends in /v1 without a channel, so events would go to /v1/v1/${raw.value('CHANNEL')} (got "${shown}", expected ${expected})`));
    return null;
  }
  if (after.length !== 1) {
    problems.push(new ConfigError('ENDPOINT', `names more than one path segment after /v1 (got "${shown}", expected ${expected})`));
    return null;
  }
  let channel: string;
  try {
    channel = decodeURIComponent(after[0] ?? '');
  } catch {
    problems.push(new ConfigError('ENDPOINT', `the channel is not valid percent-encoding (got "${shown}", expected ${expected})`));
    return null;
  }
  const problem = channelProblem(channel);
  if (problem) {
    problems.push(new ConfigError('ENDPOINT', `channel ${problem} (got "${shown}", expected ${expected})`));
    return null;
  }
  if (raw.isSet('CHANNEL') && raw.value('CHANNEL') !== channel) {
    problems.push(new ConfigError('CHANNEL', `differs from the channel "${channel}" that ENDPOINT names, which is the one posted to (got "${raw.value('CHANNEL')}", expected "${channel}" or CHANNEL unset)`));
    return null;
  }
  return { url, channel };
}

/** Why a channel cannot be one path segment that Drogue gets back unchanged, or null when it can. */
export function channelProblem(channel: string): string | null {
  if (channel.trim() === '') return 'is blank';
  if (channel !== channel.trim()) return 'has whitespace at either end, so the path and the subject would disagree';
  if (channel === '.' || channel === '..') return `is "${channel}", which URL normalisation removes from the path`;
  if (channel.includes('/')) return 'contains "/"';
  if (hasControlCharacter(channel)) return 'contains a control character';
  return null;
}

// RFC 3986 absolute URI: scheme ":" then unreserved, reserved (no brackets) or %XX;
// at most one "#" (the fragment).
const ABSOLUTE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})+(?:#(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-Fa-f]{2})*)?$/;

/** DATA_SCHEMA as a URI (non-ASCII percent-encoded as UTF-8), or why it is not one. */
export function dataSchemaUri(raw: string): string | { problem: string } {
  if (raw.trim() === '') return { problem: 'empty' };
  let uri = '';
  for (const char of raw) {
    // encodeURIComponent of a non-ASCII character is exactly its UTF-8 bytes as %XX.
    uri += (char.codePointAt(0) ?? 0) > 0x7f ? encodeURIComponent(char) : char;
  }
  if (ABSOLUTE_URI.test(uri)) return uri;
  if (/\s/.test(uri)) return { problem: 'not a URI: it contains whitespace' };
  if (!/^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri)) return { problem: 'not an absolute URI: no scheme' };
  return { problem: 'not a URI: a character URIs do not allow, or a "%" not followed by two hex digits' };
}

/**
 * A warning for `check`: structured mode posting to a Drogue-style `/v1/{channel}` URL.
 * Drogue takes the body as the payload, so it would store the whole envelope and
 * consumers looking for `temp` at the top level would find nothing.
 */
export function contentModeWarning(endpoint: Pick<EndpointConfig, 'contentMode' | 'url'>): string | null {
  if (endpoint.contentMode !== 'structured' || !/\/v1\/[^/]+$/.test(endpoint.url.pathname)) return null;
  return `structured mode to a Drogue-style ${endpoint.url.pathname} URL: Drogue stores the whole envelope as the payload; use CONTENT_MODE=binary for Drogue`;
}
