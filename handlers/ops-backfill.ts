/**
 * Operating command: run the batches of a range (or the batches named) from the files in the
 * bucket; idempotent, within the concurrency limits (lib/pipelines/operations/backfill.ts).
 *   npx sls invoke -f opsBackfill --stage <stage> --data '{"pipeline":"orders-daily","from":"2026-11-01","to":"2026-11-30","dryRun":true}'
 *   npx sls invoke -f opsBackfill --stage <stage> --data '{"pipeline":"orders-daily","batches":["2026-11-20","2026-11-21"]}'
 */
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import middy from '@middy/core';
import { PIPELINE_METRIC } from '../lib/contracts/metric-names';
import { backfill, BackfillInputSchema } from '../lib/pipelines/operations/backfill';
import { BACKFILL_ENV, backfillDeps } from '../lib/pipelines/operations/deps';
import { parseCommand } from '../lib/pipelines/operations/runs';
import { readEnv } from '../lib/shared/config';
import { logger, metrics, perPipeline } from '../lib/shared/observability';

const deps = backfillDeps(readEnv(BACKFILL_ENV));

export const handler = middy(async (event: unknown) => {
  const input = parseCommand(
    'opsBackfill',
    '{"pipeline":"…","from":"…","to":"…","capture"?:"date","dryRun"?:true} or {"pipeline":"…","batches":["…"],"dryRun"?:true}',
    BackfillInputSchema,
    event,
  );
  const report = await backfill(input, deps);
  if (!report.dryRun) for (let i = 0; i < report.started.length; i++) perPipeline.count(input.pipeline, PIPELINE_METRIC.RunsStarted);
  perPipeline.flush();
  logger.info(
    `backfill${report.dryRun ? ' (dry run)' : ''}: ${report.started.length} ${report.dryRun ? 'would start' : 'started'}, ${report.queued.length} queued, ${report.alreadyRan.length} already ran, ${report.incomplete.length} incomplete, ${report.missing.length} missing`,
    { pipeline: input.pipeline, report },
  );
  return report;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
