// The endpoint every scenario posts to: the project's own Drogue-style endpoint
// (dist/endpoint/endpoint-server.js, open to any credentials) in its own process,
// so its CPU and memory never mix with what is measured. It counts accepted
// events by CloudEvent id (ce-id header, or the structured event's id) and
// answers the parent over IPC: {cmd:'stats'} -> {accepted, unique, duplicates,
// firstAt, lastAt, bySource}; {cmd:'reset'}; {cmd:'close'}.
import { startEndpoint } from '../dist/endpoint/endpoint-server.js';

const port = Number(process.argv[2] ?? '0');
const seen = new Set();
let accepted = 0;
let duplicates = 0;
let firstAt = 0;
let lastAt = 0;
const bySource = {};

const server = await startEndpoint({
  host: '127.0.0.1',
  port,
  onEvent: (e) => {
    // The endpoint keeps every request; the bench only needs counts.
    server.received.length = 0;
    if (e.status < 200 || e.status > 299) return;
    const now = performance.timeOrigin + performance.now();
    if (accepted === 0) firstAt = now;
    lastAt = now;
    accepted++;
    const source = e.ce.source ?? e.headers['ce-source'] ?? '';
    bySource[source] = (bySource[source] ?? 0) + 1;
    const id = e.ce.id ?? e.headers['ce-id'];
    if (seen.has(id)) duplicates++;
    else seen.add(id);
  },
});

process.on('message', async (msg) => {
  if (msg.cmd === 'stats') process.send({ reply: 'stats', accepted, unique: seen.size, duplicates, firstAt, lastAt, bySource });
  else if (msg.cmd === 'reset') {
    seen.clear();
    accepted = duplicates = firstAt = lastAt = 0;
    for (const k of Object.keys(bySource)) delete bySource[k];
    process.send({ reply: 'reset' });
  } else if (msg.cmd === 'close') {
    await server.close();
    process.exit(0);
  }
});
process.send({ reply: 'ready', url: server.url, port: server.port });
// Never outlive the bench: a parent that died without closing us leaves the IPC channel.
process.on('disconnect', () => process.exit(0));
