// The cheap receiver the drains post to: node's own http server answering 202 with an
// empty body, in its own process, so that what is measured is the sender and not the
// endpoint (the project's endpoint costs 4-5x more CPU per event: issue 17). It counts
// accepted events by the ce-id header (binary mode, as the daemon and the bare loop post);
// the counting and the IPC protocol are event-tally.mjs's.
import { createServer } from 'node:http';
import { eventTally } from './event-tally.mjs';

const tally = eventTally();
const server = createServer((req, res) => {
  const id = req.headers['ce-id'];
  const source = req.headers['ce-source'] ?? '';
  req.resume();
  req.once('end', () => {
    tally.accepted(id, source);
    res.statusCode = 202;
    res.end();
  });
});
server.keepAliveTimeout = 30_000;
server.listen(Number(process.argv[2] ?? '0'), '127.0.0.1', () => {
  const { port } = server.address();
  tally.serve(`http://127.0.0.1:${port}`, port, () => new Promise((resolve) => server.close(resolve)));
});
