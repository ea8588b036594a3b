/**
 * S3 upload watcher: S3 notifications, EventBridge "Object Created" events, and either
 * wrapped in SQS (or SNS in SQS) → FileArrival records on the Kinesis stream.
 * From SQS it answers with partial batch failures; other sources get a thrown error.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import { readEnv } from '../lib/shared/config';
import { logger, metrics, perPipeline } from '../lib/shared/observability';
import { readWatcherEvent, watchUploads } from '../lib/pipelines/watcher';
import { WATCHER_ENV, watcherDeps } from '../lib/pipelines/watcher/deps';

const deps = watcherDeps(readEnv(WATCHER_ENV));

export interface BatchResponse {
  batchItemFailures: Array<{ itemIdentifier: string }>;
}

export const handler = middy(async (event: unknown): Promise<BatchResponse | undefined> => {
  let outcome;
  try {
    outcome = await watchUploads(readWatcherEvent(event), deps);
  } finally {
    perPipeline.flush();
  }
  if (outcome.delivery !== 'sqs') return undefined;
  return { batchItemFailures: outcome.failedMessageIds.map((itemIdentifier) => ({ itemIdentifier })) };
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics, { captureColdStartMetric: true }));
