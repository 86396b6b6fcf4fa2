// The project's own Drogue-style endpoint in its own process, for the one drain row labelled
// "project endpoint" (dist/endpoint/endpoint-server.js, open to any credentials): its CPU never
// mixes with what is measured, but it is the bottleneck of that row. It counts accepted
// events by CloudEvent id (ce-id header, or the structured event's id) and
// answers the parent over IPC: {cmd:'stats'} -> {accepted, unique, duplicates,
// firstAt, lastAt, bySource, cpuMs}; {cmd:'missing', ids} -> {missing}; {cmd:'reset'};
// {cmd:'close'}. Same protocol as receiver-child.mjs, the cheap receiver the drains use.
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
  if (msg.cmd === 'stats') {
    const u = process.cpuUsage();
    process.send({ reply: 'stats', accepted, unique: seen.size, duplicates, firstAt, lastAt, bySource, cpuMs: (u.user + u.system) / 1000 });
  } else if (msg.cmd === 'missing') process.send({ reply: 'missing', missing: msg.ids.filter((id) => !seen.has(id)).length });
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
