/**
 * Operating command: run a batch again with the files that arrived (a fresh attempt through
 * the start-pipeline use case, `force` unless told otherwise).
 *   npx sls invoke -f opsRerunBatch --stage <stage> --data '{"pipeline":"orders-daily","batch":"2026-11-20"}'
 */
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import middy from '@middy/core';
import { readEnv } from '../lib/shared/config';
import { logger, metrics, perPipeline } from '../lib/shared/observability';
import { parseCommand, rerunBatch, RerunBatchInputSchema } from '../lib/pipelines/operations/runs';
import { START_PIPELINE_ENV, startPipelineDeps } from '../lib/pipelines/start/deps';
import { PIPELINE_METRIC } from '../lib/contracts/metric-names';

const env = readEnv(START_PIPELINE_ENV);
const deps = startPipelineDeps(env);

export const handler = middy(async (event: unknown) => {
  const input = parseCommand('opsRerunBatch', '{"pipeline":"…","batch":"…","force"?:true}', RerunBatchInputSchema, event);
  const outcome = await rerunBatch(input, deps);
  if (outcome.status === 'started') perPipeline.count(input.pipeline, PIPELINE_METRIC.RunsStarted);
  perPipeline.flush();
  logger.info(`re-run ${outcome.status}`, {
    pipeline: input.pipeline,
    batchKey: input.batch,
    runKey: outcome.runKey,
    ...('executionArn' in outcome ? { executionArn: outcome.executionArn } : {}),
    outcome,
  });
  return outcome;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
