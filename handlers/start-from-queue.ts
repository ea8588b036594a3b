/**
 * Starts a run per message on a pipeline's own queue (`trigger.queue`; the queue's name says
 * whose it is). A repeated batch key starts nothing new. A message that cannot start a run
 * (not JSON, no batch key) is logged with the reason and reported as a batch item failure,
 * so after maxReceiveCount receives the queue's redrive moves it to its dead-letter queue.
 */
import { BatchProcessor, EventType, processPartialResponse, SqsFifoPartialProcessorAsync } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import middy from '@middy/core';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';
import { readEnv } from '../lib/shared/config';
import { logger, metrics, perPipeline } from '../lib/shared/observability';
import { START_KEYED_RUN_ENV, startKeyedRunDeps } from '../lib/pipelines/start/deps';
import { pipelineOfQueue, startQueueRun } from '../lib/pipelines/start/event-trigger';
import { PIPELINE_METRIC } from '../lib/contracts/metric-names';

const env = readEnv([...START_KEYED_RUN_ENV, 'TRIGGER_QUEUE_PREFIX'] as const);
const deps = startKeyedRunDeps(env);
const processor = new BatchProcessor(EventType.SQS);
// A FIFO queue's batch: one message after the other; after a failure, the rest of that message
// group is reported failed too, so its order holds (other groups go on).
const fifoProcessor = new SqsFifoPartialProcessorAsync();

async function processRecord(record: SQSRecord): Promise<void> {
  const where = { messageId: record.messageId, queue: record.eventSourceARN, receiveCount: record.attributes.ApproximateReceiveCount };
  try {
    const pipeline = pipelineOfQueue(record.eventSourceARN, env.TRIGGER_QUEUE_PREFIX);
    const outcome = await startQueueRun({ pipeline, messageId: record.messageId, body: record.body }, deps);
    if (outcome.status === 'started') perPipeline.count(pipeline, PIPELINE_METRIC.RunsStarted);
    if (outcome.status === 'already-started') perPipeline.count(pipeline, PIPELINE_METRIC.DuplicateStartsSuppressed);
    logger.info(`queue start ${outcome.status}`, {
      ...where,
      pipeline,
      batchKey: outcome.batchKey,
      runKey: outcome.runKey,
      trigger: 'queue',
    });
  } catch (error) {
    logger.error('queue message started no run; it returns to the queue, then its dead-letter queue', { ...where, error });
    throw error;
  }
}

async function handle(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  try {
    // A batch where every message failed is reported item by item too, like any other.
    if (event.Records[0]?.eventSourceARN.endsWith('.fifo')) {
      return await processPartialResponse(event, processRecord, fifoProcessor, {
        context,
        throwOnFullBatchFailure: false,
        skipGroupOnError: true,
      });
    }
    return await processPartialResponse(event, processRecord, processor, { context, throwOnFullBatchFailure: false });
  } finally {
    perPipeline.flush();
  }
}

export const handler = middy(handle).use(injectLambdaContext(logger)).use(logMetrics(metrics));
