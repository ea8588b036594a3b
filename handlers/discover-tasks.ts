/**
 * Task discovery: one service-queue message → one task-queue message per running task.
 * A failure's reason goes to the audit table under `${eventId}#service#${serviceArn}`.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DISCOVER_TASKS_ENV, discoverTasksDeps } from '../lib/notifier/deps';
import { serviceMessageRecord } from '../lib/notifier/records';
import { readEnv } from '../lib/shared/config';
import { logger, metrics } from '../lib/shared/observability';

const deps = discoverTasksDeps(readEnv(DISCOVER_TASKS_ENV));
const processor = new BatchProcessor(EventType.SQS);

async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return processPartialResponse(event, (record: SQSRecord) => serviceMessageRecord(record, deps), processor, { context });
}

export const handler = middy(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics));
