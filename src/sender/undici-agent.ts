// undici's Agent without the rest of undici. `import { Agent } from 'undici'` runs
// undici's index.js, which loads every dispatcher, fetch, WebSocket, EventSource, the
// cache stores and the mock agents: ~110 ms at start and ~17 MB of RSS (~5.7 MB of live
// heap) on a device that only ever POSTs through one Agent. HttpSender only calls
// `dispatch()`, which the Agent has on its own, so neither index.js nor the request API
// (lib/api, another ~0.2 MiB of heap) is loaded.
// undici 7 has no `exports` map, so this path resolves; should a release move it, the
// fallback is the full package, never a failure.
import { createRequire } from 'node:module';
import type { Agent } from 'undici';

const require = createRequire(import.meta.url);

export type AgentConstructor = typeof Agent;

let loaded: AgentConstructor | null = null;

export function undiciAgent(): AgentConstructor {
  loaded ??= loadAgent();
  return loaded;
}

function loadAgent(): AgentConstructor {
  try {
    const agent = require('undici/lib/dispatcher/agent.js') as AgentConstructor;
    if (typeof (agent.prototype as { dispatch?: unknown }).dispatch !== 'function') throw new Error('undici layout changed');
    return agent;
  } catch {
    return (require('undici') as { Agent: AgentConstructor }).Agent;
  }
}
