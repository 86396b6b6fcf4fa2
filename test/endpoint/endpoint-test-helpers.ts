import { request } from 'undici';

export function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** One request to the endpoint; the body is always consumed. */
export async function send(
  baseUrl: string,
  options: { method?: 'GET' | 'POST' | 'PUT' | 'DELETE'; path?: string; headers?: Record<string, string>; body?: string | Buffer } = {},
): Promise<Reply> {
  const res = await request(new URL(options.path ?? '/v1/status', baseUrl), {
    method: options.method ?? 'POST',
    headers: options.headers ?? {},
    body: options.body,
  });
  return { status: res.statusCode, headers: res.headers, text: await res.body.text() };
}

/** Polls `condition` until it holds; throws after `timeoutMs` so no test waits forever. */
export async function until(condition: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

/** Races a promise against a bound, so a hang fails the test instead of stalling it. */
export async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const bound = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, bound]);
  } finally {
    clearTimeout(timer);
  }
}

export const READING = { temp: 21.3, hum: 45.1, geoloc: { lat: 44.8166, lon: 20.4721 }, time: '2026-01-01T00:00:00.000Z' };
