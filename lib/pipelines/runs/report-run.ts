/**
 * What Summarize Run reports about each run: one log line with the run's correlation keys and
 * the per-pipeline metrics the alarms watch (succeeded / failed by class, duration, records
 * affected, estimated cost; names in lib/contracts/metric-names.ts).
 */
import { PIPELINE_METRIC } from '../../contracts/metric-names';
import { MetricUnit } from '../../shared/metrics';
import { correlatedLogger, metrics, perPipeline } from '../../shared/observability';
import { type RunSummary, SummarizeRunRequestSchema } from './summarize-run';

export function reportRun(request: unknown, summary: RunSummary): void {
  // summarizeRun validated the request: this parse cannot fail.
  const { run, executionArn } = SummarizeRunRequestSchema.parse(request);
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
}
