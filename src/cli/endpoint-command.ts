// `dht-telemetry endpoint`: a local Drogue-style endpoint for trying things out.
import { startEndpoint } from '../endpoint/endpoint-server.js';
import { parseDeviceUser } from '../endpoint/device-auth.js';
import { formatReceivedEvent } from '../endpoint/print-event.js';
import { UsageError } from './args.js';

export interface EndpointArgs {
  port?: string;
  host?: string;
  user?: string[];
  control?: boolean;
}

export async function endpointCommand(args: EndpointArgs, out: NodeJS.WritableStream): Promise<number> {
  const port = Number(args.port ?? '8088');
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port: not a port (got "${args.port}", expected 0-65535)`);
  const users = (args.user ?? []).map((u) => parseDeviceUser(u));
  const server = await startEndpoint({
    host: args.host ?? '127.0.0.1',
    port,
    users,
    control: args.control ?? false,
    onEvent: (e) => out.write(`${formatReceivedEvent(e)}\n`),
  });
  out.write(`Drogue-style endpoint listening on ${server.url}/v1/{channel} (${users.length > 0 ? `${users.length} device(s)` : 'open: any credentials'})\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await server.close();
  return 0;
}
