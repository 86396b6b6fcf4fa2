// /metrics without paying for it until someone asks: prom-client and its default
// process metrics (which keep an event-loop delay timer running) load on the first
// scrape. A Pi nobody scrapes never loads them.
import type { DaemonSnapshot } from './snapshot.js';
import type { SendDurations } from './send-durations.js';
import type { StatusMetrics } from './status-metrics.js';

export interface MetricsSource {
  readonly contentType: string;
  render(): Promise<string>;
}

/** prom-client's Registry.PROMETHEUS_CONTENT_TYPE */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export function lazyStatusMetrics(snapshot: () => DaemonSnapshot, durations: SendDurations): MetricsSource {
  let metrics: Promise<StatusMetrics> | null = null;
  return {
    contentType: PROMETHEUS_CONTENT_TYPE,
    render: async () => {
      // ../status/: resolves the same from dist/status/ and from the bundled executable (scripts/bundle-cli.mjs).
      metrics ??= import('../status/status-metrics.js').then((m) => new m.StatusMetrics(snapshot, durations));
      return (await metrics).render();
    },
  };
}
