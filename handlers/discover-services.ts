/**
 * Service discovery for a broadcast: from the observer queue (which the optional
 * EventBridge rule also feeds) or a direct invoke
 * (`sls invoke -f discoverServices --data '{"eventId":"reload-1","payload":{"action":"reload"}}'`).
 * Queue records fail one by one (partial batch response); a failure's reason is written
 * to the audit table under `${eventId}#cluster#${cluster}` before the record fails.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { DISCOVER_SERVICES_ENV, discoverServicesDeps } from '../lib/notifier/deps';
import type { DiscoverServicesResult } from '../lib/notifier/discover-services';
import { broadcastRecord } from '../lib/notifier/records';
import { readEnv } from '../lib/shared/config';
import { logger, metrics } from '../lib/shared/observability';

const deps = discoverServicesDeps(readEnv(DISCOVER_SERVICES_ENV));
const processor = new BatchProcessor(EventType.SQS);

const processRecord = (record: SQSRecord) =>
  broadcastRecord(record.body, `observer queue message ${record.messageId}`, record.messageId, deps);

async function handle(event: SQSEvent | unknown, context: Context): Promise<SQSBatchResponse | DiscoverServicesResult> {
  if (typeof event === 'object' && event !== null && 'Records' in event) {
    return processPartialResponse(event as SQSEvent, processRecord, processor, { context });
  }
  return broadcastRecord(JSON.stringify(event), 'direct invoke', undefined, deps);
}

export const handler = middy(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics));
