/**
 * State machine step "Summarize Run" (Lambda invoke): the run's state in, its outcome,
 * Runs item values and notification out. See lib/pipelines/runs/summarize-run.ts; what it
 * reports (log line, per-pipeline metrics) is lib/pipelines/runs/report-run.ts.
 */
import middy from '@middy/core';
import { SUMMARIZE_RUN_ENV, summarizeRunDeps } from '../lib/pipelines/runs/deps';
import { reportRun } from '../lib/pipelines/runs/report-run';
import { type RunSummary, summarizeRun } from '../lib/pipelines/runs/summarize-run';
import { readEnv } from '../lib/shared/config';
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import { logger, metrics } from '../lib/shared/observability';

const deps = summarizeRunDeps(readEnv(SUMMARIZE_RUN_ENV));

export const handler = middy(async (event: unknown): Promise<RunSummary> => {
  const summary = summarizeRun(event, deps);
  reportRun(event, summary);
  return summary;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
