// undici's Agent without the rest of undici. `import { Agent } from 'undici'` runs
// undici's index.js, which loads every dispatcher, fetch, WebSocket, EventSource, the
// cache stores and the mock agents: ~110 ms at start and ~17 MB of RSS (~5.7 MB of live
// heap) on a device that only ever POSTs through one Agent. Requiring the Agent and the
// request API directly costs ~25 ms and ~9 MB. index.js does the same two steps
// (require the Agent; Object.assign(Dispatcher.prototype, api) so `agent.request()`
// exists), so a later `import 'undici'` elsewhere (tests, the CLI's health command)
// finds the same modules and repeats an identical assignment.
// undici 7 has no `exports` map, so these paths resolve; should a release move them,
// the fallback is the full package, never a failure.
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
    const dispatcher = require('undici/lib/dispatcher/dispatcher.js') as { prototype: object };
    const api = require('undici/lib/api/index.js') as object;
    Object.assign(dispatcher.prototype, api);
    if (typeof (agent.prototype as { request?: unknown }).request !== 'function') throw new Error('undici layout changed');
    return agent;
  } catch {
    return (require('undici') as { Agent: AgentConstructor }).Agent;
  }
}
