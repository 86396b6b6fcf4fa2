// `dht-telemetry health`: asks a running daemon's /healthz, for Podman's
// HealthCmd in images without curl. Exit 0 healthy, 1 not (or unreachable).
import type { Listen } from '../config/config.js';
import { listenUrl } from '../net/listen-url.js';
import { errorMessage } from '../errors.js';
import { UsageError } from './args.js';

export async function healthCommand(listen: Listen | null, url: string | undefined, out: NodeJS.WritableStream): Promise<number> {
  const target = url ?? (listen ? `${listenUrl(listen)}/healthz` : null);
  if (!target) throw new UsageError('the status server is off (STATUS_LISTEN is empty); pass --url');
  try {
    // Imported here: the bundled executable (scripts/bundle-cli.mjs) would otherwise load all of
    // undici whenever it starts, the daemon included.
    const { request } = await import('undici');
    const response = await request(target, { headersTimeout: 5000, bodyTimeout: 5000 });
    const body = await response.body.text();
    let summary = body.trim();
    try {
      const health = JSON.parse(body) as { status?: string; reasons?: string[] };
      summary = `${health.status ?? 'unknown'}${health.reasons?.length ? `: ${health.reasons.join('; ')}` : ''}`;
    } catch {
      // not JSON: print it as it came
    }
    out.write(`${response.statusCode} ${summary}\n`);
    return response.statusCode === 200 ? 0 : 1;
  } catch (err) {
    out.write(`unreachable: ${target} (${errorMessage(err)})\n`);
    return 1;
  }
}
