/**
 * State machine step "Stop Abandoned Task" (Lambda invoke): stops the container of a callback
 * shard that timed out, and returns the shard's failure. See lib/pipelines/runs/stop-abandoned-task.ts.
 */
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics, MetricUnit } from '../lib/shared/metrics';
import middy from '@middy/core';
import { ecsClient } from '../lib/shared/clients/ecs';
import { logger, metrics } from '../lib/shared/observability';
import { ecsTasks } from '../lib/pipelines/runs/ecs-tasks';
import { stopAbandonedTask, type ShardFailure } from '../lib/pipelines/runs/stop-abandoned-task';

const deps = { ecs: ecsTasks(ecsClient()) };

export const handler = middy(async (event: unknown): Promise<ShardFailure> => {
  const outcome = await stopAbandonedTask(event, deps);
  logger.warn('timed-out callback shard handled', { error: outcome.Error, stoppedTasks: outcome.stoppedTasks });
  if (outcome.stoppedTasks.length) metrics.addMetric('AbandonedTasksStopped', MetricUnit.Count, outcome.stoppedTasks.length);
  return outcome;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
