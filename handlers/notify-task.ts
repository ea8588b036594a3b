/**
 * Notify one task per task-queue message (records of a batch in parallel). Each failure
 * is in the audit item `${eventId}#${taskArn}` (status FAILED/REJECTED, lastError) before
 * the record fails; after maxReceiveCount the queue's redrive moves it to the DLQ.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { dynamoDocumentClient } from '../lib/shared/clients/dynamodb';
import { secretsManagerClient } from '../lib/shared/clients/secrets-manager';
import { readEnv } from '../lib/shared/config';
import { createAuditStore } from '../lib/notifier/adapters/audit-table';
import { DeliveryInProgressError, NotifyFailedError, NotifyRejectedError } from '../lib/notifier/errors';
import { TaskMessageSchema } from '../lib/notifier/model';
import { notifyTask, type NotifyTaskResult } from '../lib/notifier/notify-task';
import { parseMessage } from '../lib/notifier/parse';
import { createSigningKeySource } from '../lib/notifier/adapters/signing-secret';
import { logger, metrics } from '../lib/shared/observability';

const env = readEnv(['NOTIFY_AUDIT_TABLE', 'NOTIFY_AUDIT_TTL_DAYS', 'NOTIFY_SECRET_ID', 'NOTIFY_KEY_CACHE_SECONDS', 'NOTIFY_TIMEOUT_MS', 'NOTIFY_MAX_ATTEMPTS']);
const clock = { now: () => new Date() };
const deps = {
  audit: createAuditStore(dynamoDocumentClient(), { tableName: env.NOTIFY_AUDIT_TABLE, ttlDays: env.NOTIFY_AUDIT_TTL_DAYS }),
  keys: createSigningKeySource(secretsManagerClient(), { secretId: env.NOTIFY_SECRET_ID, ttlMs: env.NOTIFY_KEY_CACHE_SECONDS * 1000, clock }),
  clock,
  policy: { maxAttempts: env.NOTIFY_MAX_ATTEMPTS, timeoutMs: env.NOTIFY_TIMEOUT_MS, baseDelayMs: 200, maxDelayMs: 2_000 },
};
const processor = new BatchProcessor(EventType.SQS);

const FAILURE_METRIC = new Map<Function, string>([
  [NotifyRejectedError, 'NotifyRejected'],
  [NotifyFailedError, 'NotifyFailed'],
  [DeliveryInProgressError, 'NotifyInProgressElsewhere'],
]);

async function processRecord(record: SQSRecord): Promise<NotifyTaskResult> {
  const message = parseMessage(TaskMessageSchema, record.body, `task queue message ${record.messageId}`);
  const where = { messageId: record.messageId, eventId: message.eventId, service: message.serviceName, taskArn: message.taskArn };
  try {
    const result = await notifyTask(message, deps);
    metrics.addMetric(result.outcome === 'delivered' ? 'TaskNotified' : 'TaskAlreadyNotified', MetricUnit.Count, 1);
    logger.info(`task ${result.outcome}`, { ...where, ...result });
    return result;
  } catch (error) {
    const metric = [...FAILURE_METRIC].find(([type]) => error instanceof type)?.[1] ?? 'NotifyError';
    metrics.addMetric(metric, MetricUnit.Count, 1);
    logger.error('task notification failed', { ...where, receiveCount: record.attributes.ApproximateReceiveCount, error: error as Error });
    throw error;
  }
}

async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return processPartialResponse(event, processRecord, processor, { context });
}

export const handler = middy(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics));
