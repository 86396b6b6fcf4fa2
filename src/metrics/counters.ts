// The daemon's own counters: one named number per drop, retry, rejection and
// delivery. Logs, /metrics and /healthz all read these, so they never disagree.

export const COUNTER_HELP = {
  readings_total: 'Sensor reads that produced a trustworthy reading, by sensor',
  readings_rejected_total: 'Sensor reads or readings rejected, by sensor and reason',
  events_queued_total: 'Events committed to the outbox',
  events_sent_total: 'Events delivered with a 2xx answer',
  events_retried_total: 'Send attempts that failed and will be retried, by reason',
  events_dropped_total: 'Events dropped, by reason (outbox full, memory fallback full, unreadable row, dead letter pruned)',
  events_dead_lettered_total: 'Events moved to the dead letters, by status (400/406/413/422; invalid_request: unsendable; unreadable: a stored payload that does not parse)',
  auth_failures_total: 'Sends refused with 403 (wrong credentials)',
  commands_total: 'Cloud-to-device commands received, by command and result',
  power_cycles_total: 'Sensor power cycles through the power pin, by sensor',
  readings_restamped_total: 'Unsent readings whose time was corrected after a wall-clock step or a clock below the floor',
  heap_collections_total: 'Full garbage collections the daemon asked for while draining a backlog',
} as const;

export type CounterName = keyof typeof COUNTER_HELP;
export type Labels = Readonly<Record<string, string>>;

export interface CounterSample {
  name: CounterName;
  labels: Labels;
  value: number;
}

export class Counters {
  private readonly values = new Map<string, CounterSample>();

  inc(name: CounterName, labels: Labels = {}, by = 1): void {
    const key = keyOf(name, labels);
    const sample = this.values.get(key);
    if (sample) sample.value += by;
    else this.values.set(key, { name, labels: { ...labels }, value: by });
  }

  /** The value for exact labels, or the sum over all label sets when `labels` is omitted. */
  get(name: CounterName, labels?: Labels): number {
    if (labels) return this.values.get(keyOf(name, labels))?.value ?? 0;
    let sum = 0;
    for (const s of this.values.values()) if (s.name === name) sum += s.value;
    return sum;
  }

  samples(): CounterSample[] {
    return [...this.values.values()].map((s) => ({ ...s, labels: { ...s.labels } }));
  }
}

function keyOf(name: string, labels: Labels): string {
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  return `${name}{${parts.join(',')}}`;
}
