/**
 * Starts a run per EventBridge event that matches a pipeline's `trigger.events.pattern`: the
 * pipeline's rule delivers {"pipeline":"…","event":<the event>} (stack/event-triggers.ts).
 * A repeated batch key starts nothing new. A failure (no batch key, a malformed delivery)
 * is thrown: after Lambda's retries the event goes to the pipeline events' dead-letter queue
 * with the error, as do events EventBridge could not deliver.
 */
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import middy from '@middy/core';
import { readEnv } from '../lib/shared/config';
import { logger, metrics, perPipeline } from '../lib/shared/observability';
import { START_KEYED_RUN_ENV, startKeyedRunDeps } from '../lib/pipelines/start/deps';
import { startEventRun } from '../lib/pipelines/start/event-trigger';
import type { StartOutcome } from '../lib/pipelines/start/start-pipeline';
import { PIPELINE_METRIC } from '../lib/contracts/metric-names';

const deps = startKeyedRunDeps(readEnv(START_KEYED_RUN_ENV));

async function startFromEvent(delivery: unknown): Promise<StartOutcome> {
  try {
    const outcome = await startEventRun(delivery, deps);
    const { pipeline, batchKey, runKey } = outcome;
    if (outcome.status === 'started') perPipeline.count(pipeline, PIPELINE_METRIC.RunsStarted);
    if (outcome.status === 'already-started') perPipeline.count(pipeline, PIPELINE_METRIC.DuplicateStartsSuppressed);
    perPipeline.flush();
    logger.info(`event start ${outcome.status}`, { pipeline, batchKey, runKey, trigger: 'events', outcome });
    return outcome;
  } catch (error) {
    logger.error('event started no run', { error, delivery });
    throw error;
  }
}

export const handler = middy(startFromEvent).use(injectLambdaContext(logger)).use(logMetrics(metrics));
