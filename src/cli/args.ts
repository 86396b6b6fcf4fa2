// argv → command + raw option strings. Flags override the environment; both are
// turned into a typed Config only by config/load-config.ts.
import { parseArgs } from 'node:util';
import { OPTIONS } from '../config/options.js';

export const COMMANDS = ['run', 'endpoint', 'demo', 'check', 'read', 'health', 'outbox'] as const;
export type CommandName = (typeof COMMANDS)[number];

export interface ParsedArgs {
  command: CommandName;
  /** `outbox replay`: the one command that takes a second word. */
  subcommand?: string;
  /** Option values given as flags, keyed by environment variable name. */
  flags: Record<string, string>;
  /** Flags of a subcommand (endpoint: --port, --host, --user; check: --no-send ...). */
  local: Record<string, string | boolean | string[] | undefined>;
  help: boolean;
  version: boolean;
}

export class UsageError extends Error {}

const LOCAL_FLAGS = {
  port: { type: 'string' },
  host: { type: 'string' },
  user: { type: 'string', multiple: true },
  control: { type: 'boolean' },
  'no-send': { type: 'boolean' },
  url: { type: 'string' },
  limit: { type: 'string' },
  status: { type: 'string' },
  since: { type: 'string' },
} as const;

export function parseCliArgs(argv: readonly string[]): ParsedArgs {
  const options: Record<string, { type: 'string' | 'boolean'; multiple?: boolean }> = { ...LOCAL_FLAGS, help: { type: 'boolean' }, version: { type: 'boolean' } };
  for (const o of OPTIONS) options[o.flag.slice(2)] = { type: o.boolean ? 'boolean' : 'string' };
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({ args: [...argv], options, allowPositionals: true, strict: true });
  } catch (err) {
    throw new UsageError(`${(err as Error).message.replace(/\. To specify.*$/s, '')} (see dht-telemetry --help)`);
  }
  const [first, ...rest] = parsed.positionals;
  const subcommand = first === 'outbox' ? rest.shift() : undefined;
  if (rest.length > 0) throw new UsageError(`unexpected argument "${rest[0]}" (see dht-telemetry --help)`);
  const command = (first ?? 'run') as CommandName;
  if (!COMMANDS.includes(command)) throw new UsageError(`unknown command "${first}" (expected one of ${COMMANDS.join(', ')})`);
  const flags: Record<string, string> = {};
  const local: ParsedArgs['local'] = {};
  for (const [key, value] of Object.entries(parsed.values)) {
    const option = OPTIONS.find((o) => o.flag === `--${key}`);
    if (option) flags[option.env] = typeof value === 'boolean' ? String(value) : String(value);
    else if (key !== 'help' && key !== 'version') local[key] = value as string | boolean | string[];
  }
  return { command, ...(subcommand !== undefined ? { subcommand } : {}), flags, local, help: parsed.values.help === true, version: parsed.values.version === true };
}
