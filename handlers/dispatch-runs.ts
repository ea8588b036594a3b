/**
 * Starts runs waiting for a concurrency slot: when a pipeline execution ends (its slots are
 * given back first) and every 5 minutes (lib/pipelines/start/run-control.ts).
 */
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import middy from '@middy/core';
import { PIPELINE_METRIC } from '../lib/contracts/metric-names';
import { DISPATCH_ENV, dispatchDeps } from '../lib/pipelines/start/deps';
import { parseDispatchEvent } from '../lib/pipelines/start/dispatch-event';
import { dispatchQueuedRuns, releaseRunSlots } from '../lib/pipelines/start/run-control';
import { readEnv } from '../lib/shared/config';
import { logger, metrics, perPipeline } from '../lib/shared/observability';

const deps = dispatchDeps(readEnv(DISPATCH_ENV));

export const handler = middy(async (event: unknown) => {
  const trigger = parseDispatchEvent(event);
  const outcome =
    trigger.kind === 'ended' && trigger.run
      ? await releaseRunSlots(trigger.run, deps)
      : // The periodic pass (or an end event without its input) also gives back slots of runs that ended unreleased.
        await dispatchQueuedRuns(deps, { reclaim: true });
  for (const started of outcome.started) perPipeline.count(started.pipeline, PIPELINE_METRIC.RunsStarted);
  perPipeline.flush();
  logger.info(`queued runs dispatched: ${outcome.started.length} started, ${outcome.waiting} waiting`, { trigger, outcome });
  return outcome;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
