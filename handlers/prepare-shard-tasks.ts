/**
 * State machine step "Prepare Shard Tasks" (Lambda invoke): the execution input in, one
 * RunTask launch per shard out. See lib/pipelines/runs/prepare-shard-tasks.ts.
 */
import { injectLambdaContext } from '../lib/shared/logger';
import middy from '@middy/core';
import { readEnv } from '../lib/shared/config';
import { logger } from '../lib/shared/observability';
import { parseTaskNetwork, prepareShardTasks, type PreparedShards } from '../lib/pipelines/runs/prepare-shard-tasks';

const env = readEnv(['RUNS_TABLE', 'TASK_SUBNETS', 'TASK_SECURITY_GROUPS', 'TASK_ASSIGN_PUBLIC_IP']);
const deps = {
  runsTable: env.RUNS_TABLE,
  network: parseTaskNetwork(env.TASK_SUBNETS, env.TASK_SECURITY_GROUPS, env.TASK_ASSIGN_PUBLIC_IP),
};

export const handler = middy(async (event: unknown): Promise<PreparedShards> => {
  const prepared = prepareShardTasks(event, deps);
  logger.info('shard tasks prepared', { shards: prepared.shardRuns.length, launch: prepared.shardRuns[0]?.launch });
  return prepared;
}).use(injectLambdaContext(logger));
