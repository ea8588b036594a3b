/**
 * Operating command: one run, its files (arrived and missing), tasks, result and links.
 *   npx sls invoke -f opsShowRun --stage <stage> --data '{"pipeline":"orders-daily","batch":"2026-11-20"}'
 *   npx sls invoke -f opsShowRun --stage <stage> --data '{"runKey":"orders-daily#2026-11-20"}'
 */
import { injectLambdaContext } from '../lib/shared/logger';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { batchesTable } from '../lib/pipelines/adapters/batches-table';
import { dynamoDocumentClient } from '../lib/shared/clients/dynamodb';
import { readEnv } from '../lib/shared/config';
import { logger } from '../lib/shared/observability';
import { parseCommand, showRun, ShowRunInputSchema } from '../lib/pipelines/operations/runs';
import { pipelines } from '../lib/registry';

const env = readEnv(['RUNS_TABLE', 'BATCHES_TABLE', 'TASK_LOG_GROUP', 'AWS_REGION']);
const client = dynamoDocumentClient();
const deps = {
  getRun: async (runKey: string) =>
    (await client.send(new GetCommand({ TableName: env.RUNS_TABLE, Key: { pk: runKey }, ConsistentRead: true }))).Item,
  batches: batchesTable(client, env.BATCHES_TABLE),
  registry: pipelines(),
  clock: (): Date => new Date(),
  taskLogs: { region: env.AWS_REGION, logGroup: env.TASK_LOG_GROUP },
};

export const handler = middy(async (event: unknown) => {
  const input = parseCommand('opsShowRun', '{"runKey":"…"} or {"pipeline":"…","batch":"…"}', ShowRunInputSchema, event);
  return showRun(input, deps);
}).use(injectLambdaContext(logger));
