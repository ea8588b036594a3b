/**
 * Starts a run on a pipeline's schedule or by hand:
 *   schedule (EventBridge input):  {"pipeline":"…","trigger":"schedule","time":"<event time>"}
 *   by hand:  npx sls invoke -f startPipeline --data '{"pipeline":"…","batch":"…"}'  (add "force":true for a fresh run)
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { z } from 'zod';
import { batchesTable } from '../lib/adapters/batches-table';
import { runsTable } from '../lib/adapters/runs-table';
import { stepFunctions } from '../lib/adapters/step-functions';
import { dynamoDocumentClient, sfnClient } from '../lib/clients';
import { readEnv } from '../lib/config';
import { logger, metrics } from '../lib/observability';
import { pipelines } from '../lib/registry';
import { startManualRun, startScheduledRun } from '../lib/start-pipeline/entries';
import type { StartOutcome } from '../lib/start-pipeline/start-pipeline';

const ScheduledEventSchema = z.strictObject({
  pipeline: z.string().min(1),
  trigger: z.literal('schedule'),
  /** The schedule's fire time, passed by the rule's input transformer (`<aws.events.event.time>` / `$.time`). */
  time: z.iso.datetime({ offset: true }).optional(),
});
const ManualEventSchema = z.strictObject({
  pipeline: z.string().min(1),
  batch: z.string().min(1).optional(),
  force: z.boolean().optional(),
});
export const StartEventSchema = z.union([ScheduledEventSchema, ManualEventSchema]);

export class InvalidStartEventError extends Error {
  override readonly name = 'InvalidStartEventError';
}

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
  const parsed = StartEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidStartEventError(
      'startPipeline expects {"pipeline":"…","trigger":"schedule","time"?:"…"} or {"pipeline":"…","batch"?:"…","force"?:true}; ' +
        `got ${JSON.stringify(event)?.slice(0, 300)}: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`,
    );
  }
  const request = parsed.data;
  const outcome =
    'trigger' in request
      ? await startScheduledRun({ pipeline: request.pipeline, ...(request.time ? { time: new Date(request.time) } : {}) }, deps)
      : await startManualRun(request, deps);
  metrics.addMetric(outcome.status === 'started' ? 'RunStarted' : outcome.status === 'in-progress' ? 'RunStartInProgress' : 'RunAlreadyStarted', MetricUnit.Count, 1);
  logger.info(`start ${outcome.status}`, { request, outcome });
  return outcome;
}

export const handler = middy(startRun).use(injectLambdaContext(logger)).use(logMetrics(metrics));
