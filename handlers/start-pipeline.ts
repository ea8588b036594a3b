/**
 * Starts a run on a pipeline's schedule or by hand:
 *   schedule (EventBridge input):  {"pipeline":"…","trigger":"schedule","time":"<event time>"}
 *   by hand:  npx sls invoke -f startPipeline --data '{"pipeline":"…","batch":"…"}'  (add "force":true for a fresh run)
 */
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import middy from '@middy/core';
import { readEnv } from '../lib/shared/config';
import { logger, metrics, perPipeline } from '../lib/shared/observability';
import { START_PIPELINE_ENV, startPipelineDeps } from '../lib/pipelines/start/deps';
import { startFromEvent } from '../lib/pipelines/start/start-event';
import { PIPELINE_METRIC } from '../lib/contracts/metric-names';
import type { StartOutcome } from '../lib/pipelines/start/start-pipeline';

export { InvalidStartEventError, StartEventSchema } from '../lib/pipelines/start/start-event';

const env = readEnv(START_PIPELINE_ENV);
const deps = startPipelineDeps(env);

async function startRun(event: unknown): Promise<StartOutcome> {
  const { request, outcome } = await startFromEvent(event, deps);
  const keys = { pipeline: request.pipeline, runKey: outcome.runKey, ...('batch' in request && request.batch ? { batchKey: request.batch } : {}) };
  if (outcome.status === 'started') perPipeline.count(request.pipeline, PIPELINE_METRIC.RunsStarted);
  else if (outcome.status === 'already-started') perPipeline.count(request.pipeline, PIPELINE_METRIC.DuplicateStartsSuppressed);
  perPipeline.flush();
  logger.info(`start ${outcome.status}`, { ...keys, ...('executionArn' in outcome && outcome.executionArn ? { executionArn: outcome.executionArn } : {}), request, outcome });
  return outcome;
}

export const handler = middy(startRun).use(injectLambdaContext(logger)).use(logMetrics(metrics));
