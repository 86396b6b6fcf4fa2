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

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The credentials of an `Authorization: Basic ...` header, or null when absent or malformed. */
export function parseBasicAuth(header: string | undefined): BasicCredentials | null {
  if (!header) return null;
  const match = /^basic\s+(\S+)\s*$/i.exec(header);
  const encoded = match?.[1];
  if (!encoded || !BASE64.test(encoded)) return null;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
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
  if (application !== undefined && device === undefined) {
    return { app: application, device: basic.username, username: null, password: basic.password };
  }
  if (application !== undefined && device !== undefined) {
    return { app: application, device, username: basic.username, password: basic.password };
  }
  if (!scoped || device === undefined) return null;
  return { app: scoped.app, device, username: scoped.device, password: basic.password };
}

/** `{device}@{app}`, split at the first `@`, both parts percent-decoded once. */
function splitScoped(username: string): { app: string; device: string } | null {
  const at = username.indexOf('@');
  if (at <= 0 || at === username.length - 1) return null;
  try {
    return {
      device: decodeURIComponent(username.slice(0, at)),
      app: decodeURIComponent(username.slice(at + 1)),
    };
  } catch {
    return null; // malformed percent-encoding names nobody
  }
}

/**
 * A known device from the command line, written like the Basic credentials a device
 * sends: `{device}@{app}:{password}` (device id percent-encoded once).
 */
export function parseDeviceUser(spec: string, variable = '--user'): DeviceUser {
  const colon = spec.indexOf(':');
  const scoped = colon > 0 ? splitScoped(spec.slice(0, colon)) : null;
  if (!scoped || colon === spec.length - 1) {
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
