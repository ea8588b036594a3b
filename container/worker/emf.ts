/**
 * CloudWatch embedded metric format (EMF) on stdout: CloudWatch Logs extracts the metrics
 * from the awslogs stream (the json/emf header is optional), so the container publishes
 * metrics without a PutMetricData call or an agent.
 *
 * A small writer rather than Powertools Metrics: Powertools works outside Lambda but always
 * adds a `service` dimension, and the dimensions here must be exactly pipeline + stage.
 */
import type { LineSink } from './log';

export type MetricUnit = 'Milliseconds' | 'Count';

export interface Metric {
  name: string;
  unit: MetricUnit;
  value: number;
}

export interface EmfOptions {
  namespace: string;
  dimensions: { pipeline: string; stage: string };
  /** Searchable in Logs Insights, not dimensions (their cardinality would cost per metric). */
  properties?: Record<string, unknown>;
}

/** One EMF document: all metrics share the timestamp and the pipeline/stage dimension set. */
export function emfDocument(metrics: readonly Metric[], options: EmfOptions, timestamp: number): string {
  const values: Record<string, number> = {};
  for (const metric of metrics) values[metric.name] = metric.value;
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: options.namespace,
          Dimensions: [['pipeline', 'stage']],
          Metrics: metrics.map(({ name, unit }) => ({ Name: name, Unit: unit })),
        },
      ],
    },
    ...options.properties,
    pipeline: options.dimensions.pipeline,
    stage: options.dimensions.stage,
    ...values,
  });
}

export function writeMetrics(sink: LineSink, metrics: readonly Metric[], options: EmfOptions, timestamp: number): void {
  if (metrics.length > 0) sink(emfDocument(metrics, options, timestamp));
}
