// Device authentication as Drogue Cloud's HTTP endpoint does it: preemptive HTTP
// Basic only, never a 401 challenge (a failure is answered 403 by the caller).
// The identity comes from one of four forms, chosen by the query parameters
// (drogue-cloud endpoint-common/src/auth.rs, `authenticate_http`):
//   no query            Basic `{device}@{app}` : password       (device id percent-encoded once)
//   ?application=A      Basic `{device}` : password
//   ?application=A&device=D   Basic `{username}` : password     (username/password credential)
//   ?device=D           Basic `{username}@{app}` : password     (username/password credential)
import { createHash, timingSafeEqual } from 'node:crypto';
import { ConfigError } from '../errors.js';

export interface DeviceUser {
  app: string;
  device: string;
  password: string;
  /** For the username/password forms; defaults to the device id. */
  username?: string;
}

export interface BasicCredentials {
  username: string;
  password: string;
}

export interface DeviceIdentity {
  app: string;
  device: string;
  /** Set by the username/password forms; null when the password belongs to the device itself. */
  username: string | null;
  password: string;
}

// base64 0.13's decode (STANDARD alphabet): padding optional, no whitespace, the last
// symbol's unused bits zero.
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

function decodeBase64(text: string): Buffer | null {
  if (!BASE64.test(text)) return null;
  const bare = text.replace(/=+$/, '');
  if (bare.length % 4 === 1 || (text.length !== bare.length && text.length % 4 !== 0)) return null;
  const bytes = Buffer.from(bare, 'base64');
  return bytes.toString('base64').replace(/=+$/, '') === bare ? bytes : null;
}

/**
 * The credentials of an `Authorization: Basic ...` header as Drogue reads it
 * (endpoint-common/src/auth.rs, AuthValue::from): the value split at its first space,
 * the scheme exactly "Basic", the rest base64 of UTF-8, split at the first colon.
 * Anything else is null, which no credential form accepts.
 */
export function parseBasicAuth(header: string | undefined): BasicCredentials | null {
  if (!header || !/^[\t\x20-\x7e]*$/.test(header)) return null;
  const space = header.indexOf(' ');
  if (space < 0 || header.slice(0, space) !== 'Basic') return null;
  const bytes = decodeBase64(header.slice(space + 1));
  if (!bytes) return null;
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  const colon = decoded.indexOf(':');
  if (colon < 0) return null;
  return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) };
}

/** Who the request claims to be, or null when the combination of query and credentials names nobody. */
export function resolveIdentity(
  query: { application?: string | undefined; device?: string | undefined },
  basic: BasicCredentials | null,
): DeviceIdentity | null {
  if (!basic) return null;
  const { application, device } = query;
  const scoped = splitScoped(basic.username);
  if (application === undefined && device === undefined) {
    if (!scoped) return null;
    return { app: scoped.app, device: scoped.device, username: null, password: basic.password };
  }
  // Drogue's Username::into_string() writes a scoped name back as `{app}@{device}`.
  const asString = scoped ? `${scoped.app}@${scoped.device}` : basic.username;
  if (application !== undefined && device === undefined) {
    return { app: application, device: asString, username: null, password: basic.password };
  }
  if (application !== undefined && device !== undefined) {
    return { app: application, device, username: asString, password: basic.password };
  }
  if (!scoped || device === undefined) return null;
  return { app: scoped.app, device, username: scoped.device, password: basic.password };
}

/**
 * `{device}@{app}` as Drogue's Username::from splits it: at the first `@`, the device
 * part percent-decoded once (leniently: a malformed `%` stays, bad UTF-8 becomes U+FFFD),
 * the application part taken as it is.
 */
function splitScoped(username: string): { app: string; device: string } | null {
  const at = username.indexOf('@');
  if (at < 0) return null;
  return { device: lenientPercentDecode(username.slice(0, at)), app: username.slice(at + 1) };
}

/** percent_decode_str(..).decode_utf8_lossy() of the Rust percent-encoding crate. */
export function lenientPercentDecode(text: string): string {
  const bytes: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const hex = text.slice(i + 1, i + 3);
    if (text[i] === '%' && /^[0-9A-Fa-f]{2}$/.test(hex)) {
      bytes.push(parseInt(hex, 16));
      i += 2;
    } else {
      bytes.push(...Buffer.from(text[i] ?? '', 'utf8'));
    }
  }
  return Buffer.from(bytes).toString('utf8');
}

/**
 * A known device from the command line, written like the Basic credentials a device
 * sends: `{device}@{app}:{password}` (device id percent-encoded once).
 */
export function parseDeviceUser(spec: string, variable = '--user'): DeviceUser {
  const colon = spec.indexOf(':');
  const scoped = colon > 0 ? splitScoped(spec.slice(0, colon)) : null;
  if (!scoped || scoped.device === '' || scoped.app === '' || colon === spec.length - 1) {
    throw new ConfigError(variable, 'expected DEVICE@APP:PASSWORD (got a value without device, app or password)');
  }
  return { app: scoped.app, device: scoped.device, password: spec.slice(colon + 1) };
}

/** The devices an endpoint knows. With no users it is "open": every request passes. */
export class DeviceDirectory {
  private readonly users: readonly DeviceUser[];

  constructor(users: readonly DeviceUser[] = []) {
    this.users = users;
  }

  get open(): boolean {
    return this.users.length === 0;
  }

  verify(identity: DeviceIdentity | null): boolean {
    if (this.open) return true;
    if (!identity) return false;
    const user = this.users.find((u) => u.app === identity.app && u.device === identity.device);
    if (!user) return false;
    if (identity.username !== null && identity.username !== (user.username ?? user.device)) return false;
    return sameSecret(identity.password, user.password);
  }
}

// Hash first so the comparison takes the same time whatever the lengths.
function sameSecret(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}
