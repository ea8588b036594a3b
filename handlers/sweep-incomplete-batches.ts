/**
 * Every few minutes (functions/operations.yml): incomplete, stuck and late batches, and runs
 * past their max runtime, each reported once to the operators' topic (lib/pipelines/sweeper/sweep.ts).
 * Also by hand: npx sls invoke -f sweepIncompleteBatches --stage <stage>
 */
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import middy from '@middy/core';
import { dynamoDocumentClient } from '../lib/shared/clients/dynamodb';
import { snsClient } from '../lib/shared/clients/sns';
import { readEnv } from '../lib/shared/config';
import { snsNoticePublisher } from '../lib/shared/notices/sns-publisher';
import { logger, metrics, perPipeline } from '../lib/shared/observability';
import { pipelines } from '../lib/registry';
import { batchesSweepTable } from '../lib/pipelines/adapters/batches-sweep-table';
import { runsIndex } from '../lib/pipelines/adapters/runs-index';
import { DEFAULT_RUN_LOOKBACK_HOURS, DEFAULT_STUCK_AFTER_SECONDS, sweep, type SweepReport } from '../lib/pipelines/sweeper/sweep';

const env = readEnv(['BATCHES_TABLE', 'RUNS_TABLE', 'TOPIC_ARN', 'STAGE', 'SERVICE']);
const deps = {
  batches: batchesSweepTable(dynamoDocumentClient(), env.BATCHES_TABLE),
  runs: runsIndex(dynamoDocumentClient(), env.RUNS_TABLE),
  registry: pipelines(),
  publisher: snsNoticePublisher(snsClient(), env.TOPIC_ARN),
  clock: (): Date => new Date(),
  metrics: perPipeline,
  log: logger,
  stack: { service: env.SERVICE, stage: env.STAGE },
  stuckAfterSeconds: DEFAULT_STUCK_AFTER_SECONDS,
  runLookbackHours: DEFAULT_RUN_LOOKBACK_HOURS,
};

async function sweepOnce(): Promise<SweepReport> {
  try {
    const report = await sweep(deps);
    logger.info('sweep done', { report });
    return report;
  } finally {
    // Counts of what was reported go out even when a later notice failed.
    perPipeline.flush();
  }
}

export const handler = middy(sweepOnce).use(injectLambdaContext(logger)).use(logMetrics(metrics));
