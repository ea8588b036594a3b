/**
 * State machine step "Decide Shard Retry" (Lambda invoke): a failed shard try in, whether and
 * how it is tried again out. See lib/pipelines/runs/decide-shard-retry.ts.
 */
import middy from '@middy/core';
import { decideShardRetry, type ShardRetryDecision } from '../lib/pipelines/runs/decide-shard-retry';
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics, MetricUnit } from '../lib/shared/metrics';
import { logger, metrics } from '../lib/shared/observability';

const deps = { random: Math.random };

export const handler = middy(async (event: unknown): Promise<ShardRetryDecision> => {
  const decision = decideShardRetry(event, deps);
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
