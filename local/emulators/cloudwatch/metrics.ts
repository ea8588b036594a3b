/**
 * Local CloudWatch metrics: datapoints kept in memory, fed by PutMetricData, by the Embedded
 * Metric Format lines functions and containers write to stdout (as CloudWatch Logs extracts
 * them on AWS), and by the local services' own metrics (AWS/Lambda, AWS/States, AWS/SQS).
 * Statistics per period as GetMetricData and alarms compute them.
 */
import { EventEmitter } from 'node:events';

export type Dimensions = Record<string, string>;

export interface Datapoint {
  namespace: string;
  metricName: string;
  dimensions: Dimensions;
  timestamp: number;
  value: number;
  unit?: string;
  /** Where it came from (a function, a task, PutMetricData): for the console. */
  source?: string;
}

export type Statistic = 'Sum' | 'Average' | 'Minimum' | 'Maximum' | 'SampleCount';

export interface MetricQuery {
  namespace: string;
  metricName: string;
  /** Exact match: a metric's identity is its namespace, name and whole set of dimensions. */
  dimensions: Dimensions;
}

const sameDimensions = (a: Dimensions, b: Dimensions) => {
  const ka = Object.keys(a);
  return ka.length === Object.keys(b).length && ka.every((k) => a[k] === b[k]);
};

export function statistic(values: number[], stat: Statistic | string): number | undefined {
  if (values.length === 0) return undefined;
  switch (stat.toLowerCase()) {
    case 'sum':
      return values.reduce((a, b) => a + b, 0);
    case 'average':
    case 'avg':
      return values.reduce((a, b) => a + b, 0) / values.length;
    case 'minimum':
    case 'min':
      return Math.min(...values);
    case 'maximum':
    case 'max':
      return Math.max(...values);
    case 'samplecount':
      return values.length;
    default: {
      const p = /^p(\d+(?:\.\d+)?)$/i.exec(stat);
      if (!p)
        throw new Error(`statistic ${stat} is not one the local CloudWatch computes (Sum, Average, Minimum, Maximum, SampleCount, pNN)`);
      const sorted = [...values].sort((a, b) => a - b);
      return sorted[Math.min(sorted.length - 1, Math.ceil((Number(p[1]) / 100) * sorted.length) - 1)];
    }
  }
}

export class MetricStore extends EventEmitter<{ datapoint: [Datapoint] }> {
  private readonly points: Datapoint[] = [];

  constructor(
    /** Datapoints older than this are dropped (the longest alarm window is what matters locally). */
    private readonly retentionMs = 6 * 60 * 60 * 1000,
    private readonly clock: () => number = Date.now,
  ) {
    super();
  }

  put(point: Datapoint): void {
    if (!Number.isFinite(point.value)) return;
    this.points.push(point);
    this.emit('datapoint', point);
    const cutoff = this.clock() - this.retentionMs;
    if (this.points.length > 10_000 && this.points[0]!.timestamp < cutoff) {
      const keep = this.points.findIndex((p) => p.timestamp >= cutoff);
      this.points.splice(0, keep === -1 ? this.points.length : keep);
    }
  }

  /** Values of one metric with timestamps in [from, to). */
  values(query: MetricQuery, from: number, to: number): number[] {
    return this.points
      .filter(
        (p) =>
          p.timestamp >= from &&
          p.timestamp < to &&
          p.namespace === query.namespace &&
          p.metricName === query.metricName &&
          sameDimensions(p.dimensions, query.dimensions),
      )
      .map((p) => p.value);
  }

  /** One value per period with data, oldest first (what GetMetricData returns, reversed). */
  series(query: MetricQuery, from: number, to: number, periodSeconds: number, stat: string): Array<{ timestamp: number; value: number }> {
    const period = periodSeconds * 1000;
    const out: Array<{ timestamp: number; value: number }> = [];
    for (let start = from; start < to; start += period) {
      const value = statistic(this.values(query, start, Math.min(start + period, to)), stat);
      if (value !== undefined) out.push({ timestamp: start, value });
    }
    return out;
  }

  /** Distinct metrics, optionally of one namespace. */
  list(namespace?: string): MetricQuery[] {
    const seen = new Map<string, MetricQuery>();
    for (const p of this.points) {
      if (namespace && p.namespace !== namespace) continue;
      const key = JSON.stringify([p.namespace, p.metricName, Object.entries(p.dimensions).sort()]);
      if (!seen.has(key)) seen.set(key, { namespace: p.namespace, metricName: p.metricName, dimensions: p.dimensions });
    }
    return [...seen.values()];
  }

  recent(limit = 200): Datapoint[] {
    return this.points.slice(-limit);
  }
}

interface EmfDirective {
  Namespace: string;
  Dimensions: string[][];
  Metrics: Array<{ Name: string; Unit?: string }>;
}

/**
 * Datapoints of one log line when it is an Embedded Metric Format document (`_aws.CloudWatchMetrics`),
 * as CloudWatch Logs extracts them: one datapoint per metric value per dimension set. Other lines: none.
 */
export function emfDatapoints(line: string, source?: string): Datapoint[] {
  const text = line.trim();
  if (!text.startsWith('{') || !text.includes('CloudWatchMetrics')) return [];
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return [];
  }
  const aws = doc._aws as { Timestamp?: number; CloudWatchMetrics?: EmfDirective[] } | undefined;
  if (!aws || !Array.isArray(aws.CloudWatchMetrics)) return [];
  const timestamp = typeof aws.Timestamp === 'number' ? aws.Timestamp : Date.now();
  const out: Datapoint[] = [];
  for (const directive of aws.CloudWatchMetrics) {
    if (typeof directive?.Namespace !== 'string' || !Array.isArray(directive.Metrics)) continue;
    const dimensionSets = Array.isArray(directive.Dimensions) && directive.Dimensions.length ? directive.Dimensions : [[]];
    for (const set of dimensionSets) {
      const dimensions: Dimensions = {};
      let complete = true;
      for (const name of set) {
        const value = doc[name];
        if (typeof value !== 'string') complete = false;
        else dimensions[name] = value;
      }
      if (!complete) continue;
      for (const metric of directive.Metrics) {
        const raw = doc[metric.Name];
        const values = Array.isArray(raw) ? raw : [raw];
        for (const value of values) {
          if (typeof value !== 'number') continue;
          out.push({
            namespace: directive.Namespace,
            metricName: metric.Name,
            dimensions,
            timestamp,
            value,
            ...(metric.Unit ? { unit: metric.Unit } : {}),
            ...(source ? { source } : {}),
          });
        }
      }
    }
  }
  return out;
}
