/**
 * Operating command: run a batch again with the files that arrived (a fresh attempt through
 * the start-pipeline use case, `force` unless told otherwise).
 *   npx sls invoke -f opsRerunBatch --stage <stage> --data '{"pipeline":"orders-daily","batch":"2026-11-20"}'
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { batchesTable } from '../lib/adapters/batches-table';
import { runsTable } from '../lib/adapters/runs-table';
import { stepFunctions } from '../lib/adapters/step-functions';
import { dynamoDocumentClient } from '../lib/clients/dynamodb';
import { sfnClient } from '../lib/clients/sfn';
import { readEnv } from '../lib/config';
import { logger, metrics, perPipeline } from '../lib/observability';
import { parseCommand, rerunBatch, RerunBatchInputSchema } from '../lib/operations/runs';
import { pipelines } from '../lib/registry';
import { PIPELINE_METRIC } from '../lib/telemetry/metric-names';

const env = readEnv(['BATCHES_TABLE', 'RUNS_TABLE', 'STATE_MACHINE_ARN', 'RUN_LEASE_SECONDS', 'STAGE', 'SERVICE']);
const deps = {
  runs: runsTable(dynamoDocumentClient(), env.RUNS_TABLE),
  batches: batchesTable(dynamoDocumentClient(), env.BATCHES_TABLE),
  sfn: stepFunctions(sfnClient(), env.STATE_MACHINE_ARN),
  clock: (): Date => new Date(),
  registry: pipelines(),
  leaseSeconds: env.RUN_LEASE_SECONDS,
  service: env.SERVICE,
  stage: env.STAGE,
};

export const handler = middy(async (event: unknown) => {
  const input = parseCommand('opsRerunBatch', '{"pipeline":"…","batch":"…","force"?:true}', RerunBatchInputSchema, event);
  const outcome = await rerunBatch(input, deps);
  if (outcome.status === 'started') perPipeline.count(input.pipeline, PIPELINE_METRIC.RunsStarted);
  perPipeline.flush();
  logger.info(`re-run ${outcome.status}`, { pipeline: input.pipeline, batchKey: input.batch, runKey: outcome.runKey, ...('executionArn' in outcome ? { executionArn: outcome.executionArn } : {}), outcome });
  return outcome;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
