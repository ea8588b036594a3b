/**
 * Operating command: a pipeline's recent runs with status and duration.
 *   npx sls invoke -f opsListRuns --stage <stage> --data '{"pipeline":"orders-daily","limit":10}'
 */
import { injectLambdaContext } from '../lib/shared/logger';
import middy from '@middy/core';
import { dynamoDocumentClient } from '../lib/shared/clients/dynamodb';
import { readEnv } from '../lib/shared/config';
import { logger } from '../lib/shared/observability';
import { listRuns, ListRunsInputSchema, parseCommand } from '../lib/pipelines/operations/runs';
import { pipelines } from '../lib/registry';
import { runsIndex } from '../lib/pipelines/adapters/runs-index';

const env = readEnv(['RUNS_TABLE']);
const deps = { runs: runsIndex(dynamoDocumentClient(), env.RUNS_TABLE), registry: pipelines(), clock: (): Date => new Date() };

export const handler = middy(async (event: unknown) => {
  const input = parseCommand('opsListRuns', '{"pipeline":"…","limit"?:20,"since"?:"<ISO time>"}', ListRunsInputSchema, event);
  const result = await listRuns(input, deps);
  logger.info('runs listed', { pipeline: input.pipeline, count: result.runs.length });
  return result;
}).use(injectLambdaContext(logger));
