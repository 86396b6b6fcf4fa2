// The baseline sender: a bare undici loop posting given HTTP messages (the same
// headers and bytes the daemon stores) to the endpoint, `concurrency` at a time,
// consuming every body. argv: url path messagesFile concurrency durationS|0.
// With durationS 0 it posts every message once and exits; otherwise it cycles
// through them (with fresh ids: ce-id is rewritten per request so the endpoint
// counts unique events) until the time is up. With intervalMs > 0 each worker
// posts one message per interval (started + interval - now), as the daemon's
// sampler paces its readings.
import { readFileSync } from 'node:fs';
import { Agent } from 'undici';

const [url, messagesFile, concurrencyArg, durationArg, intervalArg] = process.argv.slice(2);
const intervalMs = Number(intervalArg ?? '0');
const messages = JSON.parse(readFileSync(messagesFile, 'utf8'));
const concurrency = Number(concurrencyArg);
const durationMs = Number(durationArg) * 1000;
const target = new URL(url);
const agent = new Agent({ connections: concurrency, keepAliveTimeout: 30_000 });
const end = durationMs > 0 ? Date.now() + durationMs : Infinity;
let next = 0;
let failures = 0;

async function worker() {
  for (;;) {
    if (durationMs === 0 && next >= messages.length) return;
    if (Date.now() > end) return;
    const started = Date.now();
    const i = next++;
    const m = messages[i % messages.length];
    const headers = durationMs === 0 ? m.headers : { ...m.headers, 'ce-id': `${m.headers['ce-id']}-${i}` };
    const res = await agent.request({ origin: target.origin, path: target.pathname + target.search, method: 'POST', headers, body: m.body });
    await res.body.arrayBuffer();
    if (res.statusCode < 200 || res.statusCode > 299) failures++;
    if (intervalMs > 0) await new Promise((r) => setTimeout(r, Math.max(0, started + intervalMs - Date.now())));
  }
}

await Promise.all(Array.from({ length: concurrency }, worker));
await agent.close();
if (failures > 0) {
  process.stderr.write(`bare-loop: ${failures} non-2xx answers\n`);
  process.exit(1);
}
