/**
 * Service discovery for a broadcast: from the observer queue (which the optional
 * EventBridge rule also feeds) or a direct invoke
 * (`sls invoke -f discoverServices --data '{"eventId":"reload-1","payload":{"action":"reload"}}'`).
 * Queue records fail one by one (partial batch response); a failure's reason is written
 * to the audit table under `${eventId}#cluster#${cluster}` before the record fails.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { dynamoDocumentClient } from '../lib/shared/clients/dynamodb';
import { ecsClient } from '../lib/shared/clients/ecs';
import { sqsClient } from '../lib/shared/clients/sqs';
import { readEnv } from '../lib/shared/config';
import { createAuditStore } from '../lib/notifier/adapters/audit-table';
import { discoverServices, type DiscoverServicesResult } from '../lib/notifier/discover-services';
import { createEcsReader } from '../lib/notifier/adapters/ecs';
import { describeError } from '../lib/notifier/errors';
import { BroadcastRequestSchema, broadcastAuditKey, type BroadcastRequest } from '../lib/notifier/model';
import { parseMessage } from '../lib/notifier/parse';
import { createQueueSender } from '../lib/notifier/adapters/queues';
import { logger, metrics } from '../lib/shared/observability';

const env = readEnv(['CLUSTER_NAME', 'NOTIFY_SERVICE_QUEUE_URL', 'NOTIFY_AUDIT_TABLE', 'NOTIFY_AUDIT_TTL_DAYS']);
const deps = {
  ecs: createEcsReader(ecsClient()),
  serviceQueue: createQueueSender(sqsClient(), env.NOTIFY_SERVICE_QUEUE_URL),
  cluster: env.CLUSTER_NAME,
};
const audit = createAuditStore(dynamoDocumentClient(), { tableName: env.NOTIFY_AUDIT_TABLE, ttlDays: env.NOTIFY_AUDIT_TTL_DAYS });

async function broadcast(request: BroadcastRequest, messageId?: string): Promise<DiscoverServicesResult> {
  try {
    const result = await discoverServices(request, deps);
    metrics.addMetric('ServicesQueued', MetricUnit.Count, result.queued.length);
    if (result.misconfigured.length) {
      metrics.addMetric('ServicesMisconfigured', MetricUnit.Count, result.misconfigured.length);
      logger.warn('services carry unusable notify labels', { eventId: request.eventId, misconfigured: result.misconfigured });
    }
    logger.info('broadcast discovered services', { messageId, ...result });
    return result;
  } catch (error) {
    logger.error('service discovery failed', { messageId, eventId: request.eventId, error: error as Error });
    metrics.addMetric('ServiceDiscoveryFailed', MetricUnit.Count, 1);
    await audit
      .recordDiscoveryFailure(broadcastAuditKey(request.eventId, deps.cluster), { kind: 'broadcast', eventId: request.eventId, cluster: deps.cluster, lastError: describeError(error) }, new Date())
      .catch((auditError: unknown) => logger.error('could not record the failure in the audit table', { error: auditError as Error }));
    throw error;
  }
}

const processor = new BatchProcessor(EventType.SQS);

async function processRecord(record: SQSRecord): Promise<DiscoverServicesResult> {
  const request = parseMessage(BroadcastRequestSchema, record.body, `observer queue message ${record.messageId}`);
  return broadcast(request, record.messageId);
}

async function handle(event: SQSEvent | unknown, context: Context): Promise<SQSBatchResponse | DiscoverServicesResult> {
  if (typeof event === 'object' && event !== null && 'Records' in event) {
    return processPartialResponse(event as SQSEvent, processRecord, processor, { context });
  }
  return broadcast(parseMessage(BroadcastRequestSchema, JSON.stringify(event), 'direct invoke'));
}

export const handler = middy(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics));
