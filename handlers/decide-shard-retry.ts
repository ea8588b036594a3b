/**
 * State machine step "Decide Shard Retry" (Lambda invoke): a failed shard try in, whether and
 * how it is tried again out. See lib/pipelines/runs/decide-shard-retry.ts.
 */
import middy from '@middy/core';
import { ecsTasks } from '../lib/pipelines/runs/ecs-tasks';
import { decideShardRetry, type ShardRetryDecision } from '../lib/pipelines/runs/decide-shard-retry';
import { ecsClient } from '../lib/shared/clients/ecs';
import { readEnv } from '../lib/shared/config';
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics, MetricUnit } from '../lib/shared/metrics';
import { logger, metrics } from '../lib/shared/observability';

const env = readEnv(['CLUSTER_NAME']);
const deps = { random: Math.random, ecs: { tasks: ecsTasks(ecsClient()), cluster: env.CLUSTER_NAME } };

export const handler = middy(async (event: unknown): Promise<ShardRetryDecision> => {
  const decision = await decideShardRetry(event, deps);
  const { shard, attempt, capacityProvider } = decision.next as { shard?: { index: number }; attempt?: number; capacityProvider?: string };
  logger.info(decision.retry ? 'shard retried' : 'shard not retried', {
    shardIndex: shard?.index,
    errorClass: decision.errorClass,
    nextAttempt: decision.retry ? attempt : undefined,
    waitSeconds: decision.waitSeconds,
    capacityProvider,
  });
  if (decision.retry) metrics.addMetric('ShardRetries', MetricUnit.Count, 1);
  return decision;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
