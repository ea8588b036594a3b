/**
 * Task discovery: one service-queue message → one task-queue message per running task.
 * A failure's reason goes to the audit table under `${eventId}#service#${serviceArn}`.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { dynamoDocumentClient } from '../lib/shared/clients/dynamodb';
import { ec2Client } from '../lib/shared/clients/ec2';
import { ecsClient } from '../lib/shared/clients/ecs';
import { sqsClient } from '../lib/shared/clients/sqs';
import { readEnv } from '../lib/shared/config';
import { createAuditStore } from '../lib/notifier/adapters/audit-table';
import { discoverTasks, type DiscoverTasksResult } from '../lib/notifier/discover-tasks';
import { createInstanceAddresses } from '../lib/notifier/adapters/ec2';
import { createEcsReader } from '../lib/notifier/adapters/ecs';
import { describeError } from '../lib/notifier/errors';
import { ServiceMessageSchema, serviceAuditKey } from '../lib/notifier/model';
import { parseMessage } from '../lib/notifier/parse';
import { createQueueSender } from '../lib/notifier/adapters/queues';
import { logger, metrics } from '../lib/shared/observability';

const env = readEnv(['NOTIFY_TASK_QUEUE_URL', 'NOTIFY_AUDIT_TABLE', 'NOTIFY_AUDIT_TTL_DAYS']);
const deps = {
  ecs: createEcsReader(ecsClient()),
  ec2: createInstanceAddresses(ec2Client()),
  taskQueue: createQueueSender(sqsClient(), env.NOTIFY_TASK_QUEUE_URL),
};
const audit = createAuditStore(dynamoDocumentClient(), { tableName: env.NOTIFY_AUDIT_TABLE, ttlDays: env.NOTIFY_AUDIT_TTL_DAYS });
const processor = new BatchProcessor(EventType.SQS);

async function processRecord(record: SQSRecord): Promise<DiscoverTasksResult> {
  const message = parseMessage(ServiceMessageSchema, record.body, `service queue message ${record.messageId}`);
  const where = { messageId: record.messageId, eventId: message.eventId, service: message.serviceName };
  try {
    const result = await discoverTasks(message, deps);
    metrics.addMetric('TasksQueued', MetricUnit.Count, result.queued);
    if (result.unaddressable.length) {
      metrics.addMetric('TasksUnaddressable', MetricUnit.Count, result.unaddressable.length);
      logger.warn('running tasks without a usable address', { ...where, unaddressable: result.unaddressable });
    }
    logger.info('service tasks discovered', { ...where, tasksListed: result.tasksListed, queued: result.queued, skipped: result.skipped });
    return result;
  } catch (error) {
    logger.error('task discovery failed', { ...where, error: error as Error });
    metrics.addMetric('TaskDiscoveryFailed', MetricUnit.Count, 1);
    await audit
      .recordDiscoveryFailure(
        serviceAuditKey(message.eventId, message.serviceArn),
        { kind: 'service', eventId: message.eventId, cluster: message.cluster, service: message.serviceName, lastError: describeError(error) },
        new Date(),
      )
      .catch((auditError: unknown) => logger.error('could not record the failure in the audit table', { error: auditError as Error }));
    throw error;
  }
}

async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  return processPartialResponse(event, processRecord, processor, { context });
}

export const handler = middy(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics));
