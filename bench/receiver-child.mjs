// The cheap receiver the drains post to: node's own http server answering 202 with an
// empty body, in its own process, so that what is measured is the sender and not the
// endpoint (the project's endpoint costs 4-5x more CPU per event: issue 17). It counts
// accepted events by the ce-id header (binary mode, as the daemon and the bare loop post)
// and answers the parent over IPC:
//   {cmd:'stats'}  -> {accepted, unique, duplicates, firstAt, lastAt, bySource, cpuMs}
//   {cmd:'missing', ids} -> {missing}: how many of these ids never arrived
//   {cmd:'reset'}; {cmd:'close'}
// cpuMs is this process's own user+system CPU, so the runner can show it was never the
// bottleneck (its share of a core while a drain runs).
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? '0');
const seen = new Set();
let accepted = 0;
let duplicates = 0;
let firstAt = 0;
let lastAt = 0;
const bySource = {};

const server = createServer((req, res) => {
  const id = req.headers['ce-id'];
  const source = req.headers['ce-source'] ?? '';
  req.resume();
  req.once('end', () => {
    const now = performance.timeOrigin + performance.now();
    if (accepted === 0) firstAt = now;
    lastAt = now;
    accepted++;
    bySource[source] = (bySource[source] ?? 0) + 1;
    if (seen.has(id)) duplicates++;
    else seen.add(id);
    res.statusCode = 202;
    res.end();
  });
});
server.keepAliveTimeout = 30_000;

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

process.on('message', (msg) => {
  if (msg.cmd === 'stats') process.send({ reply: 'stats', accepted, unique: seen.size, duplicates, firstAt, lastAt, bySource, cpuMs: cpuMs() });
  else if (msg.cmd === 'missing') process.send({ reply: 'missing', missing: msg.ids.filter((id) => !seen.has(id)).length });
  else if (msg.cmd === 'reset') {
    seen.clear();
    accepted = duplicates = firstAt = lastAt = 0;
    for (const k of Object.keys(bySource)) delete bySource[k];
    process.send({ reply: 'reset' });
  } else if (msg.cmd === 'close') server.close(() => process.exit(0));
});
server.listen(port, '127.0.0.1', () => {
  process.send({ reply: 'ready', url: `http://127.0.0.1:${server.address().port}`, port: server.address().port });
});
// Never outlive the bench: a parent that died without closing us leaves the IPC channel.
process.on('disconnect', () => process.exit(0));
