/**
 * Per-pipeline metrics from functions that handle several pipelines in one invocation (the
 * fan-in gets records of many batches). The one Metrics instance holds one dimension
 * set per flush, so per-pipeline values go out as single-metric documents with the `pipeline`
 * dimension added to the instance's defaults (service, stage). Counts are summed per
 * invocation and published once by `flush()`: a batch of 100 records costs a few log lines,
 * not 100.
 */
import type { MetricUnitValue } from './metrics';
import { DIMENSION, RUNS_FAILED_BY_CLASS, type PipelineMetricName } from '../contracts/metric-names';

export type { MetricUnitValue };

/** The part of a single-metric instance this module uses. */
export interface SingleMetric {
  addDimension(name: string, value: string): unknown;
  addMetric(name: string, unit: MetricUnitValue, value: number): unknown;
}
/** The part of Metrics (./metrics.ts) this module uses; tests pass the real one with captured stdout. */
export interface MetricsSource {
  singleMetric(): SingleMetric;
}

export interface PipelineMetrics {
  /** Adds to a per-pipeline count, published by `flush()`. */
  count(pipeline: string, name: PipelineMetricName, value?: number): void;
  /** A failed run, counted per pipeline and per failure class. */
  runFailed(pipeline: string, failureClass: string): void;
  /** A measured value (duration, records): published at once, never summed. */
  value(pipeline: string, name: PipelineMetricName, unit: MetricUnitValue, value: number): void;
  /** Publishes the counts gathered since the last flush; call once at the end of an invocation. */
  flush(): void;
}

export function pipelineMetrics(source: MetricsSource): PipelineMetrics {
  let counts = new Map<string, { pipeline: string; name: string; extra?: [string, string]; value: number }>();
  const add = (pipeline: string, name: string, value: number, extra?: [string, string]): void => {
    const key = JSON.stringify([pipeline, name, extra ?? null]);
    const entry = counts.get(key);
    if (entry) entry.value += value;
    else counts.set(key, { pipeline, name, value, ...(extra ? { extra } : {}) });
  };
  const publish = (pipeline: string, name: string, unit: MetricUnitValue, value: number, extra?: [string, string]): void => {
    const single = source.singleMetric();
    single.addDimension(DIMENSION.pipeline, pipeline);
    if (extra) single.addDimension(extra[0], extra[1]);
    single.addMetric(name, unit, value);
  };
  return {
    count: (pipeline, name, value = 1) => add(pipeline, name, value),
    runFailed(pipeline, failureClass) {
      add(pipeline, 'RunsFailed', 1);
      add(pipeline, RUNS_FAILED_BY_CLASS, 1, [DIMENSION.failureClass, failureClass]);
    },
    value: (pipeline, name, unit, value) => publish(pipeline, name, unit, value),
    flush() {
      const pending = counts;
      counts = new Map();
      for (const { pipeline, name, value, extra } of pending.values()) publish(pipeline, name, 'Count', value, extra);
    },
  };
}
