// Drives the control API of an endpoint running in another process (started with
// `control: true`, e.g. `dht-telemetry endpoint --control`): the same fault,
// command and inspection calls a test has on an in-process EndpointServer.
import { request } from 'undici';
import type { Faults, ReceivedEvent } from './endpoint-server.js';
import { WaitForTimeoutError } from './endpoint-server.js';

export class EndpointControlError extends Error {
  readonly code = 'E_ENDPOINT_CONTROL';
  override readonly name = 'EndpointControlError';
}

export interface EndpointControl {
  setFaults(f: Faults | null): Promise<void>;
  faults(): Promise<Faults | null>;
  queueCommand(device: string, name: string, payload: string | Buffer): Promise<void>;
  received(): Promise<ReceivedEvent[]>;
  /** Polls `received` until `predicate` holds; rejects with WaitForTimeoutError after `timeoutMs`. */
  waitFor(predicate: (e: ReceivedEvent[]) => boolean, timeoutMs: number, pollMs?: number): Promise<void>;
}

export function endpointControl(baseUrl: string): EndpointControl {
  const call = async (method: 'GET' | 'POST', path: string, body?: unknown): Promise<unknown> => {
    const res = await request(new URL(path, baseUrl), {
      method,
      headers: body === undefined ? {} : { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.body.text();
    if (res.statusCode >= 300) {
      throw new EndpointControlError(`${method} ${path} answered ${res.statusCode}: ${text}`);
    }
    return text === '' ? null : (JSON.parse(text) as unknown);
  };
  const received = async (): Promise<ReceivedEvent[]> => (await call('GET', '/_control/received')) as ReceivedEvent[];
  return {
    setFaults: async (f) => {
      await call('POST', '/_control/faults', f);
    },
    faults: async () => (await call('GET', '/_control/faults')) as Faults | null,
    queueCommand: async (device, name, payload) => {
      const body =
        typeof payload === 'string'
          ? { device, name, payload }
          : { device, name, payloadBase64: payload.toString('base64') };
      await call('POST', '/_control/commands', body);
    },
    received,
    waitFor: async (predicate, timeoutMs, pollMs = 50) => {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const last = await received();
        if (predicate(last)) return;
        if (Date.now() >= deadline) {
          throw new WaitForTimeoutError(
            `waitFor: condition not met within ${timeoutMs} ms (received ${last.length} request(s))`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, pollMs));
      }
    },
  };
}
