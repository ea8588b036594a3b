/**
 * State machine step "Summarize Run" (Lambda invoke): the run's state in, its outcome,
 * Runs item values and notification out. See lib/pipelines/runs/summarize-run.ts.
 * Emits the run's metrics per pipeline (lib/contracts/metric-names.ts): succeeded / failed
 * (and by failure class), duration and records affected, which the per-pipeline alarms watch.
 */
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics, MetricUnit } from '../lib/shared/metrics';
import middy from '@middy/core';
import { readEnv } from '../lib/shared/config';
import { correlatedLogger, logger, metrics, perPipeline } from '../lib/shared/observability';
import { summarizeRun, SummarizeRunRequestSchema, type RunSummary } from '../lib/pipelines/runs/summarize-run';
import { PIPELINE_METRIC } from '../lib/contracts/metric-names';
import { regionPrices, type RegionPrices } from '../lib/shared/pricing/prices';

const env = readEnv(['SERVICE', 'STAGE', 'AWS_REGION', 'TASK_LOG_GROUP']);
const deps = {
  clock: (): Date => new Date(),
  stack: { service: env.SERVICE, stage: env.STAGE },
  taskLogs: { region: env.AWS_REGION, logGroup: env.TASK_LOG_GROUP },
  // A region the price table lacks leaves runs without a cost estimate; it never fails a run.
  ...pricesFor(env.AWS_REGION),
};

function pricesFor(region: string): { prices?: RegionPrices } {
  try {
    return { prices: regionPrices(region) };
  } catch (error) {
    logger.warn('runs carry no cost estimate: no prices for this region', { region, error: error as Error });
    return {};
  }
}

export const handler = middy(async (event: unknown): Promise<RunSummary> => {
  const summary = summarizeRun(event, deps);
  // summarizeRun validated the request: this parse cannot fail.
  const { run, executionArn } = SummarizeRunRequestSchema.parse(event);
  const log = correlatedLogger({ pipeline: run.pipeline, batchKey: run.batchKey, runKey: run.runKey, executionArn });
  log.info('run summarized', {
    status: summary.status,
    errorClass: summary.result.errorClass,
    durationMs: summary.durationMs,
    recordsAffected: summary.result.recordsAffected,
    costUsd: summary.result.cost?.usd ?? null,
    anomalies: summary.anomalies,
  });
  if (summary.status === 'FAILED') perPipeline.runFailed(run.pipeline, summary.result.errorClass ?? 'unknown');
  else perPipeline.count(run.pipeline, PIPELINE_METRIC.RunsSucceeded);
  perPipeline.value(run.pipeline, PIPELINE_METRIC.RunDuration, MetricUnit.Seconds, Math.round(summary.durationMs / 1000));
  if (summary.result.recordsAffected !== null)
    perPipeline.value(run.pipeline, PIPELINE_METRIC.RunRecordsAffected, MetricUnit.Count, summary.result.recordsAffected);
  if (summary.result.cost) perPipeline.value(run.pipeline, PIPELINE_METRIC.RunCostUsd, MetricUnit.NoUnit, summary.result.cost.usd);
  perPipeline.flush();
  if (summary.anomalies.length) metrics.addMetric('RunAnomalies', MetricUnit.Count, summary.anomalies.length);
  return summary;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
