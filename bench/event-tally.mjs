// The counting both receiver children share (receiver-child.mjs, endpoint-child.mjs): accepted
// events by id and by source, first and last arrival, and the IPC protocol the runner speaks
// (lib.mjs startCounter):
//   {cmd:'stats'}  -> {accepted, unique, duplicates, firstAt, lastAt, bySource, cpuMs}
//   {cmd:'missing', ids} -> {missing}: how many of these ids never arrived
//   {cmd:'reset'}; {cmd:'close'}
// cpuMs is the child's own user+system CPU, so the runner can show it was not the bottleneck.

/** Counts accepted events; serve() answers the parent and announces `url`. */
export function eventTally() {
  const seen = new Set();
  const bySource = {};
  let accepted = 0;
  let duplicates = 0;
  let firstAt = 0;
  let lastAt = 0;
  return {
    accepted(id, source) {
      const now = performance.timeOrigin + performance.now();
      if (accepted === 0) firstAt = now;
      lastAt = now;
      accepted++;
      bySource[source] = (bySource[source] ?? 0) + 1;
      if (seen.has(id)) duplicates++;
      else seen.add(id);
    },
    serve(url, port, close) {
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
          await close();
          process.exit(0);
        }
      });
      process.send({ reply: 'ready', url, port });
      // Never outlive the bench: a parent that died without closing us leaves the IPC channel.
      process.on('disconnect', () => process.exit(0));
    },
  };
}
