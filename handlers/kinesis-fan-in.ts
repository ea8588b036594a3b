/**
 * Kinesis → Batches table → start-pipeline. Each record is one FileArrival; failures are
 * reported per record (partial batch response), so a bad record is retried and finally sent
 * to the mapping's on-failure DLQ without blocking the good ones beside it.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import middy from '@middy/core';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { FAN_IN_ENV, fanInDeps } from '../lib/pipelines/fan-in/deps';
import { fanInRecord } from '../lib/pipelines/fan-in/fan-in-record';
import { keyedQueue } from '../lib/pipelines/fan-in/keyed-queue';
import { readEnv } from '../lib/shared/config';
import { logger, metrics, perPipeline } from '../lib/shared/observability';

const deps = fanInDeps(readEnv(FAN_IN_ENV));
const processor = new BatchProcessor(EventType.KinesisDataStreams);

async function handleRecords(event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> {
  const invocation = { inOrder: keyedQueue(), remainingMs: () => context.getRemainingTimeInMillis() };
  try {
    return await processPartialResponse(event, (record: KinesisStreamRecord) => fanInRecord(record.kinesis, invocation, deps), processor, {
      context,
    });
  } finally {
    perPipeline.flush();
  }
}

export const handler = middy(handleRecords).use(injectLambdaContext(logger)).use(logMetrics(metrics));
