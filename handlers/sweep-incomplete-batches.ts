/**
 * Every few minutes (functions/operations.yml): incomplete, stuck and late batches, and runs
 * past their max runtime, each reported once to the operators' topic; batches whose quiet
 * period passed start their run (lib/pipelines/sweeper/sweep.ts).
 * Also by hand: npx sls invoke -f sweepIncompleteBatches --stage <stage>
 */
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import middy from '@middy/core';
import { readEnv } from '../lib/shared/config';
import { logger, metrics, perPipeline } from '../lib/shared/observability';
import { sweep, type SweepReport } from '../lib/pipelines/sweeper/sweep';
import { SWEEP_ENV, sweepDeps } from '../lib/pipelines/sweeper/deps';

const deps = sweepDeps(readEnv(SWEEP_ENV));

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
