/**
 * Counters and histograms cheap enough for the request path, exposed through prom-client's
 * registry (which renders the Prometheus text). prom-client's own `observe` hashes the label
 * object on every call, even through a labelled child; here a series is resolved once per label
 * combination and an observation is a bucket search and three additions.
 */

type LabelValues = readonly string[];

interface PromValue {
  value: number;
  labels: Record<string, string | number>;
  metricName?: string;
}

function labelsOf(names: readonly string[], values: LabelValues): Record<string, string> {
  const out: Record<string, string> = {};
  names.forEach((n, i) => (out[n] = values[i]!));
  return out;
}

export class FastCounter {
  readonly type = 'counter';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, { labels: Record<string, string>; value: number }>();

  constructor(readonly name: string, readonly help: string, private readonly labelNames: readonly string[]) {}

  /** A handle for one label combination; keep it and call `inc` on it. */
  child(...values: LabelValues): { inc(by?: number): void } {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      s = { labels: labelsOf(this.labelNames, values), value: 0 };
      this.series.set(key, s);
    }
    const series = s;
    return { inc: (by = 1) => void (series.value += by) };
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: PromValue[] } {
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values: [...this.series.values()].map((s) => ({ value: s.value, labels: s.labels })) };
  }
}

export class FastHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  private readonly series = new Map<string, { labels: Record<string, string>; counts: Float64Array; sum: number; count: number }>();

  constructor(readonly name: string, readonly help: string, private readonly labelNames: readonly string[], private readonly buckets: readonly number[]) {}

  child(...values: LabelValues): { observe(v: number): void } {
    const key = values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      s = { labels: labelsOf(this.labelNames, values), counts: new Float64Array(this.buckets.length), sum: 0, count: 0 };
      this.series.set(key, s);
    }
    const series = s;
    const buckets = this.buckets;
    return {
      observe: (v: number) => {
        let i = 0;
        while (i < buckets.length && v > buckets[i]!) i++;
        if (i < buckets.length) series.counts[i]!++;
        series.sum += v;
        series.count++;
      },
    };
  }

  get(): { name: string; help: string; type: string; aggregator: string; values: PromValue[] } {
    const values: PromValue[] = [];
    for (const s of this.series.values()) {
      let cumulative = 0;
      this.buckets.forEach((le, i) => {
        cumulative += s.counts[i]!;
        values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le }, value: cumulative });
      });
      values.push({ metricName: `${this.name}_bucket`, labels: { ...s.labels, le: '+Inf' }, value: s.count });
      values.push({ metricName: `${this.name}_sum`, labels: s.labels, value: s.sum });
      values.push({ metricName: `${this.name}_count`, labels: s.labels, value: s.count });
    }
    return { name: this.name, help: this.help, type: this.type, aggregator: this.aggregator, values };
  }
}
