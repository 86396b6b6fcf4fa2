// Command dispatch and exit codes. Only src/cli/ touches process.env, signals and exit.
// Each command's module is imported when it runs: `run` never loads the endpoint
// server of `endpoint` and `demo` or the whole undici package `health` uses, which
// keeps the daemon's start-up time and resident memory down.
import { ConfigError, ConfigErrors } from '../errors.js';
import { oneLine } from '../config/echo.js';
import { loadConfig, type RawConfig } from '../config/load-config.js';
import type { DaemonConfig } from '../config/config.js';
import { parseCliArgs, UsageError, type ParsedArgs } from './args.js';
import { EX_CONFIG, EX_USAGE } from './exit-codes.js';
import { buildInfo } from '../status/build-info.js';
import { helpText } from './help.js';


export interface Io {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
}

export async function main(argv: readonly string[], env: RawConfig, io: Io = process): Promise<number> {
  const fail = (err: unknown): number => report(err, io.stderr);
  const print = (text: string): number => {
    io.stdout.write(`${text}\n`);
    return 0;
  };
  let args: ParsedArgs;
  try {
    args = parseCliArgs(argv);
  } catch (err) {
    return fail(err);
  }
  if (args.help) return print(helpText(version()));
  if (args.version) return print(version());
  const raw: RawConfig = { ...env, ...args.flags };
  try {
    switch (args.command) {
      case 'run':
      {
        const config = loadConfig(raw, { requireEndpoint: true }) as DaemonConfig;
        return await (await import('./run-command.js')).runCommand(config);
      }
      case 'endpoint':
        return await (await import('./endpoint-command.js')).endpointCommand(args.local, io.stdout);
      case 'demo':
        return await (await import('./demo-command.js')).demoCommand(raw, io.stdout);
      case 'check':
      {
        const config = loadConfig(raw, { requireEndpoint: true }) as DaemonConfig;
        return await (await import('./check-command.js')).checkCommand(config, { send: args.local['no-send'] !== true }, io.stdout);
      }
      case 'read':
      {
        const config = loadConfig(raw, { requireEndpoint: false });
        return await (await import('./read-command.js')).readCommand(config, io.stdout);
      }
      case 'health':
      {
        const { statusListen } = loadConfig(raw, { requireEndpoint: false });
        return await (await import('./health-command.js')).healthCommand(statusListen, args.local.url as string | undefined, io.stdout);
      }
      case 'outbox':
      {
        const { dataDir } = loadConfig(raw, { requireEndpoint: false }).delivery;
        return (await import('./outbox-command.js')).outboxCommand(dataDir, args, io.stdout);
      }
    }
  } catch (err) {
    return fail(err);
  }
}

function report(err: unknown, stderr: NodeJS.WritableStream): number {
  if (err instanceof ConfigErrors) {
    // Each value in a problem is already echoed safely (config/echo.ts); oneLine keeps a
    // message that quotes anything else from breaking the one-line-per-problem report.
    for (const problem of err.problems) stderr.write(`dht-telemetry: ${oneLine(problem.message)}\n`);
    return EX_CONFIG;
  }
  if (err instanceof ConfigError) {
    stderr.write(`dht-telemetry: ${oneLine(err.message)}\n`);
    return EX_CONFIG;
  }
  if (err instanceof UsageError) {
    stderr.write(`dht-telemetry: ${err.message}\n`);
    return EX_USAGE;
  }
  stderr.write(`dht-telemetry: ${err instanceof Error ? err.message : String(err)}\n`);
  return 1;
}

function version(): string {
  return buildInfo().version;
}
