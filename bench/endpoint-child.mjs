// The project's own Drogue-style endpoint in its own process, for the one drain row labelled
// "project endpoint" (dist/endpoint/endpoint-server.js, open to any credentials): its CPU never
// mixes with what is measured, but it is the bottleneck of that row. It counts accepted events
// by CloudEvent id (ce-id header, or the structured event's id); the counting and the IPC
// protocol are event-tally.mjs's, as for the cheap receiver.
import { startEndpoint } from '../dist/endpoint/endpoint-server.js';
import { eventTally } from './event-tally.mjs';

const tally = eventTally();
const server = await startEndpoint({
  host: '127.0.0.1',
  port: Number(process.argv[2] ?? '0'),
  onEvent: (e) => {
    // The endpoint keeps every request; the bench only needs counts.
    server.received.length = 0;
    if (e.status < 200 || e.status > 299) return;
    tally.accepted(e.ce.id ?? e.headers['ce-id'], e.ce.source ?? e.headers['ce-source'] ?? '');
  },
});
tally.serve(server.url, server.port, () => server.close());
