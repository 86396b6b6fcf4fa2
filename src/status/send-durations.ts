// The send-duration histogram, kept without prom-client so that the daemon loads
// prom-client (and starts its process-metric timers) only when /metrics is first
// scraped. At scrape time StatusMetrics registers it in its Registry, which renders
// whatever `get()` returns in the shape prom-client's own Histogram produces.

/** Seconds; a send waits up to the `ct` command timeout, hence the long tail. */
export const SEND_DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120];

interface Series {
  /** Per bucket, not cumulative. */
  counts: number[];
  sum: number;
  count: number;
}

interface Value {
  labels: Record<string, string | number>;
  value: number;
  metricName: string;
}

export class SendDurations {
  readonly name = 'dht_send_duration_seconds';
  readonly help = 'Duration of event POSTs to the endpoint, by outcome (delivered, retry, rejected, unauthorized, endpoint_fault)';
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, Series>();

  /** One finished send, with the wall time the POST took. */
  observe(durationMs: number, outcome: string): void {
    if (!Number.isFinite(durationMs) || durationMs < 0) return;
    const seconds = durationMs / 1000;
    const key = outcome || 'unknown';
    let s = this.series.get(key);
    if (!s) {
      s = { counts: SEND_DURATION_BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    const bucket = SEND_DURATION_BUCKETS.findIndex((le) => seconds <= le);
    if (bucket >= 0) s.counts[bucket] = (s.counts[bucket] ?? 0) + 1;
    s.sum += seconds;
    s.count += 1;
  }

  /** The metric as prom-client's Registry reads it: cumulative buckets, +Inf, sum, count. */
  async get(): Promise<{ name: string; help: string; type: string; aggregator: string; values: Value[] }> {
    const values: Value[] = [];
    for (const [outcome, s] of this.series) {
      let cumulative = 0;
      SEND_DURATION_BUCKETS.forEach((le, i) => {
        cumulative += s.counts[i] ?? 0;
        values.push({ labels: { le, outcome }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', outcome }, value: s.count, metricName: `${this.name}_bucket` });
      values.push({ labels: { outcome }, value: s.sum, metricName: `${this.name}_sum` });
      values.push({ labels: { outcome }, value: s.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
