/**
 * Notify one task per task-queue message (records of a batch in parallel). Each failure
 * is in the audit item `${eventId}#${taskArn}` (status FAILED/REJECTED, lastError) before
 * the record fails; after maxReceiveCount the queue's redrive moves it to the DLQ.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { NOTIFY_TASK_ENV, notifyTaskDeps } from '../lib/notifier/deps';
import { taskMessageRecord } from '../lib/notifier/records';
import { readEnv } from '../lib/shared/config';
import { logger, metrics } from '../lib/shared/observability';

const deps = notifyTaskDeps(readEnv(NOTIFY_TASK_ENV));
const processor = new BatchProcessor(EventType.SQS);

const processRecord = (record: SQSRecord) =>
  taskMessageRecord({ messageId: record.messageId, body: record.body, receiveCount: record.attributes.ApproximateReceiveCount }, deps);

async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return processPartialResponse(event, processRecord, processor, { context });
}

export const handler = middy(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics));
