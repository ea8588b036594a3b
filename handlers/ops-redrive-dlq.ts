/**
 * Operating command: after a fix, send a dead-letter queue's messages back through their
 * source's use case (lib/pipelines/operations/redrive.ts); redriven messages are deleted, the others
 * stay and the answer says why.
 *   npx sls invoke -f opsRedriveDlq --stage <stage> --data '{"queue":"fan-in"}'      (or "watcher", "start", "events"; "dryRun":true, "max":N)
 */
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import middy from '@middy/core';
import { readEnv } from '../lib/shared/config';
import { logger, metrics, perPipeline } from '../lib/shared/observability';
import { REDRIVE_ENV, redriveDeps } from '../lib/pipelines/operations/deps';
import { redriveDeadLetters, RedriveInputSchema } from '../lib/pipelines/operations/redrive';
import { parseCommand } from '../lib/pipelines/operations/runs';

const deps = redriveDeps(readEnv(REDRIVE_ENV));

export const handler = middy(async (event: unknown) => {
  const input = parseCommand(
    'opsRedriveDlq',
    '{"queue":"watcher"|"fan-in"|"start"|"events","max"?:50,"dryRun"?:false}',
    RedriveInputSchema,
    event,
  );
  try {
    const report = await redriveDeadLetters(input, deps);
    logger.info('dead-letter queue redriven', { queue: input.queue, redriven: report.redriven.length, kept: report.kept });
    return report;
  } finally {
    perPipeline.flush();
  }
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
