// Fault injection for the local endpoint: what tests (and users rehearsing an
// outage) switch on to see how a sender copes. A fault applies to device requests
// only, never to the control API, so an endpoint that is "down" can still be
// brought back up from another process.

export interface Faults {
  /** Destroy each connection as soon as a request arrives: no response at all. */
  down?: boolean;
  /** Answer this status instead of the normal answer. */
  status?: number;
  /** `Retry-After` header value (seconds or an HTTP-date), added to the answer. */
  retryAfter?: string;
  /** Wait this long before answering. */
  delayMs?: number;
  /** Read the request, start the response, then destroy the socket mid-response. */
  reset?: boolean;
  /** Apply to the next N requests only, then clear. */
  times?: number;
}

export class FaultsError extends Error {
  readonly code = 'E_FAULTS';
  override readonly name = 'FaultsError';
}

/** Checks a Faults object from an untrusted source (the control API); throws FaultsError. */
export function parseFaults(value: unknown): Faults | null {
  if (value === null) return null;
  if (typeof value !== 'object' || Array.isArray(value)) throw new FaultsError('faults must be an object or null');
  const input = value as Record<string, unknown>;
  const known = new Set(['down', 'status', 'retryAfter', 'delayMs', 'reset', 'times']);
  for (const key of Object.keys(input)) {
    if (!known.has(key)) throw new FaultsError(`unknown fault "${key}" (expected one of ${[...known].join(', ')})`);
  }
  const faults: Faults = {};
  if (input.down !== undefined) faults.down = bool(input.down, 'down');
  if (input.reset !== undefined) faults.reset = bool(input.reset, 'reset');
  if (input.status !== undefined) {
    const status = int(input.status, 'status');
    if (status < 100 || status > 599) throw new FaultsError(`status must be 100..599 (got ${status})`);
    faults.status = status;
  }
  if (input.retryAfter !== undefined) {
    if (typeof input.retryAfter !== 'string' || /[\r\n]/.test(input.retryAfter)) {
      throw new FaultsError('retryAfter must be a header value string');
    }
    faults.retryAfter = input.retryAfter;
  }
  if (input.delayMs !== undefined) faults.delayMs = int(input.delayMs, 'delayMs');
  if (input.times !== undefined) faults.times = int(input.times, 'times');
  return faults;
}

function bool(v: unknown, name: string): boolean {
  if (typeof v !== 'boolean') throw new FaultsError(`${name} must be true or false`);
  return v;
}

function int(v: unknown, name: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0) {
    throw new FaultsError(`${name} must be an integer >= 0 (got ${JSON.stringify(v)})`);
  }
  return v;
}

/** The current faults, consumed one request at a time when `times` is set. */
export class FaultState {
  private current: Faults | null = null;
  private remaining = Infinity;

  set(faults: Faults | null): void {
    this.current = faults && Object.keys(faults).length > 0 ? { ...faults } : null;
    this.remaining = faults?.times ?? Infinity;
    if (this.remaining <= 0) this.current = null;
  }

  get(): Faults | null {
    if (!this.current) return null;
    return this.current.times === undefined ? { ...this.current } : { ...this.current, times: this.remaining };
  }

  /** The faults for the request that just arrived (counting it against `times`). */
  take(): Faults | null {
    const faults = this.current;
    if (!faults) return null;
    this.remaining -= 1;
    if (this.remaining <= 0) this.current = null;
    return faults;
  }
}
