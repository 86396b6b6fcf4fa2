// Value parsers for configuration. Each takes the raw string and returns a typed
// value or throws Invalid with what was expected; load-config.ts adds the name
// and the value given, so every message reads `NAME: problem (got X, expected Y)`.
import type { Geolocation, Listen } from './config.js';
import { rangeText, type DurationRange } from './options.js';
import { MAX_BCM_PIN } from '../sensor/sensor.js';

export class Invalid extends Error {
  constructor(
    readonly problem: string,
    readonly expected: string,
  ) {
    super(problem);
  }
}

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "30" (seconds), "30s", "1.5s", "5m", "250ms", "2h". */
export function parseDuration(raw: string, expected = 'seconds or a duration such as 30s, 5m, 250ms'): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?$/.exec(raw.trim());
  if (!match) throw new Invalid('not a duration', expected);
  const ms = Number(match[1]) * (UNITS_MS[match[2] ?? 's'] ?? 1000);
  if (!Number.isFinite(ms)) throw new Invalid('not a duration', expected);
  return Math.round(ms);
}

/** A duration within its documented range (config/options.ts), e.g. 10ms to 1d. */
export function parseDurationIn(raw: string, range: DurationRange): number {
  const expected = `a duration from ${rangeText(range)}, such as 30s or 5m`;
  const ms = parseDuration(raw, expected);
  if (ms < range.min) throw new Invalid(ms === 0 ? 'zero is not allowed' : 'too short', expected);
  if (ms > range.max) throw new Invalid('too long', expected);
  return ms;
}

export function parseInteger(raw: string, min: number, max: number): number {
  const expected = `a whole number from ${min} to ${max}`;
  if (!/^-?\d+$/.test(raw.trim())) throw new Invalid('not a whole number', expected);
  const n = Number(raw);
  if (n < min || n > max) throw new Invalid('out of range', expected);
  return n;
}

export function parseNumber(raw: string, min: number, max: number): number {
  const expected = `a number from ${min} to ${max}`;
  const n = raw.trim() === '' ? NaN : Number(raw);
  if (!Number.isFinite(n)) throw new Invalid('not a number', expected);
  if (n < min || n > max) throw new Invalid('out of range', expected);
  return n;
}

export function parsePin(raw: string): number {
  return parseInteger(raw, 0, MAX_BCM_PIN);
}

export function parseBoolean(raw: string): boolean {
  const v = raw.trim().toLowerCase();
  if (['1', 'true', 'yes', 'on'].includes(v)) return true;
  if (['0', 'false', 'no', 'off', ''].includes(v)) return false;
  throw new Invalid('not a boolean', 'true or false');
}

const SIZE_UNITS: Record<string, number> = { '': 1, b: 1, k: 1024, kb: 1000, kib: 1024, m: 1024 ** 2, mb: 1e6, mib: 1024 ** 2, g: 1024 ** 3, gb: 1e9, gib: 1024 ** 3 };

/** "67108864", "64MiB", "64M", "500KB". */
export function parseBytes(raw: string, min: number): number {
  const expected = `a size of at least ${min} bytes, such as 64MiB or 500KB`;
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(raw.trim());
  const unit = SIZE_UNITS[match?.[2]?.toLowerCase() ?? 'x'];
  if (!match || unit === undefined) throw new Invalid('not a size', expected);
  const n = Math.floor(Number(match[1]) * unit);
  if (n < min) throw new Invalid('too small', expected);
  return n;
}

export function parseChoice<T extends string>(raw: string, choices: readonly T[], caseInsensitive = true): T {
  const found = choices.find((c) => (caseInsensitive ? c.toLowerCase() === raw.trim().toLowerCase() : c === raw));
  if (found === undefined) throw new Invalid('unknown value', `one of ${choices.join(', ')}`);
  return found;
}

export function parseNonEmpty(raw: string, what = 'a non-empty string'): string {
  if (raw.trim() === '') throw new Invalid('empty', what);
  return raw;
}

/** `{"lat": "44.8166", "lon": "20.4721"}`: numbers or numeric strings (the seed quotes them). */
export function parseGeolocation(raw: string): Geolocation {
  const expected = 'JSON like {"lat": 44.8166, "lon": 20.4721}, lat -90..90, lon -180..180';
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    throw new Invalid('not JSON', expected);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new Invalid('not a JSON object', expected);
  const obj = value as Record<string, unknown>;
  const lat = coordinate(obj, 'lat', 90, expected);
  const lon = coordinate(obj, 'lon', 180, expected);
  // Extra keys (such as alt) travel as given and in the given order, as drogue-dht-py passed them through.
  const geolocation: Geolocation = { lat, lon };
  for (const [key, v] of Object.entries(obj)) {
    if (key === 'lat' || key === 'lon') continue;
    if (typeof v !== 'string' && (typeof v !== 'number' || !Number.isFinite(v))) throw new Invalid(`"${key}" is not a number or a string`, `${expected}; other keys numbers or strings`);
    geolocation[key] = v;
  }
  return geolocation;
}

function coordinate(obj: Record<string, unknown>, key: string, limit: number, expected: string): number {
  const v = obj[key];
  if (v === undefined) throw new Invalid(`"${key}" is missing`, expected);
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  if (!Number.isFinite(n)) throw new Invalid(`"${key}" is not a number`, expected);
  if (Math.abs(n) > limit) throw new Invalid(`"${key}" is out of range`, expected);
  return n;
}

// RFC 1123 host names; IPv6 literals come bracketed and are checked by URL.
const HOST_LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/i;

export function parseHttpUrl(raw: string): URL {
  const expected = 'an http:// or https:// URL such as https://http.sandbox.drogue.cloud';
  // Without `scheme://`, `user:pw@host` would parse as scheme `user:`: never name it.
  if (!/^[a-z][a-z0-9+.-]*:\/\//i.test(raw.trim())) throw new Invalid('no http:// or https:// scheme', expected);
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new Invalid('not a valid URL', expected);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Invalid(`unsupported scheme ${url.protocol}`, expected);
  const host = url.hostname;
  const validHost = host.startsWith('[') || host.split('.').every((label) => HOST_LABEL.test(label));
  if (!host || !validHost) throw new Invalid('bad host name', expected);
  if (url.username || url.password) throw new Invalid('credentials in the URL', `${expected}, with credentials in APP_ID, DEVICE_ID and DEVICE_PASSWORD`);
  return url;
}

/** `127.0.0.1:9464`, `:9464`, `0.0.0.0:80`, `[::1]:9464`; empty turns the server off. */
export function parseListen(raw: string): Listen | null {
  if (raw.trim() === '') return null;
  const expected = 'HOST:PORT such as 127.0.0.1:9464, or empty to turn it off';
  const match = /^(?:\[([^\]]+)\]|([^:]*)):(\d+)$/.exec(raw.trim());
  if (!match) throw new Invalid('not HOST:PORT', expected);
  const port = Number(match[3]);
  if (port > 65535) throw new Invalid('port out of range', expected);
  return { host: match[1] ?? (match[2] || '127.0.0.1'), port };
}
