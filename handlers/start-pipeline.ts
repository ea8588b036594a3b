/**
 * Starts a run on a pipeline's schedule or by hand:
 *   schedule (EventBridge input):  {"pipeline":"…","trigger":"schedule","time":"<event time>"}
 *   by hand:  npx sls invoke -f startPipeline --data '{"pipeline":"…","batch":"…"}'  (add "force":true for a fresh run)
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
import { pipelines } from '../lib/registry';
import { startFromEvent } from '../lib/start-pipeline/start-event';
import { PIPELINE_METRIC } from '../lib/telemetry/metric-names';
import type { StartOutcome } from '../lib/start-pipeline/start-pipeline';

export { InvalidStartEventError, StartEventSchema } from '../lib/start-pipeline/start-event';

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

async function startRun(event: unknown): Promise<StartOutcome> {
  const { request, outcome } = await startFromEvent(event, deps);
  const keys = { pipeline: request.pipeline, runKey: outcome.runKey, ...('batch' in request && request.batch ? { batchKey: request.batch } : {}) };
  if (outcome.status === 'started') perPipeline.count(request.pipeline, PIPELINE_METRIC.RunsStarted);
  else if (outcome.status === 'already-started') perPipeline.count(request.pipeline, PIPELINE_METRIC.DuplicateStartsSuppressed);
  perPipeline.flush();
  logger.info(`start ${outcome.status}`, { ...keys, ...('executionArn' in outcome && outcome.executionArn ? { executionArn: outcome.executionArn } : {}), request, outcome });
  return outcome;
}

export const handler = middy(startRun).use(injectLambdaContext(logger)).use(logMetrics(metrics));
