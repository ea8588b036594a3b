/**
 * Operating command: after a fix, send a dead-letter queue's messages back through their
 * source's use case (lib/pipelines/operations/redrive.ts); redriven messages are deleted, the others
 * stay and the answer says why.
 *   npx sls invoke -f opsRedriveDlq --stage <stage> --data '{"queue":"fan-in"}'      (or "watcher", "start"; "dryRun":true, "max":N)
 */
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import * as z from 'zod';
import { createKinesisPublisher } from '../lib/pipelines/adapters/kinesis-publisher';
import { kinesisClient } from '../lib/shared/clients/kinesis';
import { sqsClient } from '../lib/shared/clients/sqs';
import { readEnv } from '../lib/shared/config';
import { parseArrival } from '../lib/pipelines/fan-in/parse-arrival';
import { recordArrival } from '../lib/pipelines/fan-in/record-arrival';
import { logger, metrics, perPipeline } from '../lib/shared/observability';
import { kinesisStreamReader, sqsDeadLetterQueue } from '../lib/pipelines/adapters/dead-letter-queues';
import { DLQ_NAMES, redriveDeadLetters, RedriveInputSchema } from '../lib/pipelines/operations/redrive';
import { parseCommand } from '../lib/pipelines/operations/runs';
import { pipelines } from '../lib/registry';
import { startFromEvent } from '../lib/pipelines/start/start-event';
import { startPipelineDeps } from '../lib/pipelines/start/deps';
import { startPipeline } from '../lib/pipelines/start/start-pipeline';
import { MalformedEventError } from '../lib/pipelines/watcher/errors';
import { readWatcherEvent, watchUploads } from '../lib/pipelines/watcher';

const env = readEnv(['DEAD_LETTER_QUEUES', 'STREAM_NAME', 'UPLOADS_BUCKET', 'BATCHES_TABLE', 'RUNS_TABLE', 'STATE_MACHINE_ARN', 'RUN_LEASE_SECONDS', 'BATCH_TTL_DAYS', 'STAGE', 'SERVICE']);
const queueUrls = z.record(z.enum(DLQ_NAMES), z.string().min(1)).parse(JSON.parse(env.DEAD_LETTER_QUEUES));
const registry = pipelines();
const clock = (): Date => new Date();
const startDeps = startPipelineDeps(env, registry, clock);
const watcherDeps = {
  publisher: createKinesisPublisher(kinesisClient(), { streamName: env.STREAM_NAME }),
  registry,
  uploadsBucket: env.UPLOADS_BUCKET,
  log: logger,
  metrics,
  perPipeline,
};
const queue = (name: (typeof DLQ_NAMES)[number]) => {
  const url = queueUrls[name];
  if (!url) throw new Error(`DEAD_LETTER_QUEUES names no "${name}" queue`);
  return sqsDeadLetterQueue(sqsClient(), url);
};
const deps = {
  queues: { watcher: queue('watcher'), 'fan-in': queue('fan-in'), start: queue('start') },
  watcher: async (event: unknown) => {
    const outcome = await watchUploads(readWatcherEvent(event), watcherDeps);
    if (outcome.malformed.length) throw new MalformedEventError(outcome.malformed);
  },
  start: async (event: unknown) => void (await startFromEvent(event, startDeps)),
  fanIn: async (record: { sequenceNumber: string; data: string }) =>
    void (await recordArrival(parseArrival(record.sequenceNumber, record.data), {
      batches: startDeps.batches,
      registry,
      clock,
      ttlDays: env.BATCH_TTL_DAYS,
      start: (request) => startPipeline(request, startDeps),
    })),
  stream: kinesisStreamReader(kinesisClient(), env.STREAM_NAME),
};

export const handler = middy(async (event: unknown) => {
  const input = parseCommand('opsRedriveDlq', '{"queue":"watcher"|"fan-in"|"start","max"?:50,"dryRun"?:false}', RedriveInputSchema, event);
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
