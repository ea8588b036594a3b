/**
 * Starts runs on a pipeline's schedule or by hand:
 *   schedule (the scheduler's input):  {"pipeline":"…","trigger":"schedule","time":"<scheduled time>"}
 *   by hand:  npx sls invoke -f startPipeline --data '{"pipeline":"…","batch":"…"}'  (add "force":true for a fresh run)
 */
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import middy from '@middy/core';
import { readEnv } from '../lib/shared/config';
import { logger, metrics, perPipeline } from '../lib/shared/observability';
import { START_FROM_EVENT_ENV, startFromEventDeps } from '../lib/pipelines/start/deps';
import { startFromEvent, type StartEventOutcome } from '../lib/pipelines/start/start-event';
import { PIPELINE_METRIC } from '../lib/contracts/metric-names';

export { InvalidStartEventError, StartEventSchema } from '../lib/pipelines/start/start-event';

const env = readEnv(START_FROM_EVENT_ENV);
const deps = startFromEventDeps(env);

async function startRun(event: unknown): Promise<StartEventOutcome['outcome']> {
  const result = await startFromEvent(event, deps);
  const { pipeline } = result.request;
  const statuses = result.kind === 'schedule' ? result.outcome.actions.map((a) => a.action) : [result.outcome.status];
  for (const status of statuses) {
    if (status === 'started') perPipeline.count(pipeline, PIPELINE_METRIC.RunsStarted);
    else if (status === 'already-started') perPipeline.count(pipeline, PIPELINE_METRIC.DuplicateStartsSuppressed);
  }
  perPipeline.flush();
  if (result.kind === 'schedule') {
    logger.info(`schedule fired: ${statuses.join(', ')}`, {
      pipeline,
      scheduledTime: result.outcome.scheduledTime,
      request: result.request,
      outcome: result.outcome,
    });
  } else {
    const { outcome, request } = result;
    const keys = {
      pipeline,
      runKey: outcome.runKey,
      ...(request.batch ? { batchKey: request.batch } : {}),
      ...('executionArn' in outcome && outcome.executionArn ? { executionArn: outcome.executionArn } : {}),
    };
    logger.info(`start ${outcome.status}`, { ...keys, request, outcome });
  }
  return result.outcome;
}

export const handler = middy(startRun).use(injectLambdaContext(logger)).use(logMetrics(metrics));
