/**
 * State machine step "Summarize Run" (Lambda invoke): the run's state in, its outcome,
 * Runs item values and notification out. See lib/runs/summarize-run.ts.
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { logger, metrics } from '../lib/observability';
import { summarizeRun, type RunSummary } from '../lib/runs/summarize-run';

const deps = { clock: (): Date => new Date() };

export const handler = middy(async (event: unknown): Promise<RunSummary> => {
  const summary = summarizeRun(event, deps);
  logger.info('run summarized', {
    status: summary.status,
    errorClass: summary.result.errorClass,
    durationMs: summary.durationMs,
    recordsAffected: summary.result.recordsAffected,
    anomalies: summary.anomalies,
  });
  metrics.addMetric(summary.status === 'FAILED' ? 'RunsFailed' : 'RunsSucceeded', MetricUnit.Count, 1);
  if (summary.anomalies.length) metrics.addMetric('RunAnomalies', MetricUnit.Count, summary.anomalies.length);
  return summary;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
