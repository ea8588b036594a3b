/**
 * Kinesis → Batches table → start-pipeline. Each record is one FileArrival; failures are
 * reported per record (partial batch response), so a bad record is retried and finally sent
 * to the mapping's on-failure DLQ without blocking the good ones beside it.
 */
import { BatchProcessor, EventType, processPartialResponse } from '@aws-lambda-powertools/batch';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent, KinesisStreamRecord } from 'aws-lambda';
import { batchesTable } from '../lib/pipelines/adapters/batches-table';
import { dynamoDocumentClient } from '../lib/shared/clients/dynamodb';
import { readEnv } from '../lib/shared/config';
import { keyedQueue } from '../lib/pipelines/fan-in/keyed-queue';
import { InvalidArrivalError, parseArrival } from '../lib/pipelines/fan-in/parse-arrival';
import { recordArrival, type ArrivalOutcome } from '../lib/pipelines/fan-in/record-arrival';
import { correlatedLogger, logger, metrics, perPipeline } from '../lib/shared/observability';
import { pipelines } from '../lib/registry';
import { startPipelineDeps } from '../lib/pipelines/start/deps';
import { startPipeline } from '../lib/pipelines/start/start-pipeline';
import { PIPELINE_METRIC, STACK_METRIC } from '../lib/contracts/metric-names';

const env = readEnv(['BATCHES_TABLE', 'RUNS_TABLE', 'STATE_MACHINE_ARN', 'RUN_LEASE_SECONDS', 'BATCH_TTL_DAYS', 'STAGE', 'SERVICE']);
const registry = pipelines();
const clock = (): Date => new Date();
const startDeps = startPipelineDeps(env, registry, clock);
const deps = {
  batches: batchesTable(dynamoDocumentClient(), env.BATCHES_TABLE),
  registry,
  clock,
  ttlDays: env.BATCH_TTL_DAYS,
  start: (request: Parameters<typeof startPipeline>[0]) => startPipeline(request, startDeps),
};

/** Per-pipeline counts of each outcome (names: lib/contracts/metric-names.ts). */
function countOutcome(pipeline: string, outcome: ArrivalOutcome): void {
  switch (outcome.kind) {
    case 'started':
      perPipeline.count(pipeline, PIPELINE_METRIC.BatchesCompleted);
      perPipeline.count(pipeline, PIPELINE_METRIC.RunsStarted);
      if (outcome.late) perPipeline.count(pipeline, PIPELINE_METRIC.LateBatchesCompleted);
      break;
    case 'already-started':
      perPipeline.count(pipeline, PIPELINE_METRIC.BatchesCompleted);
      perPipeline.count(pipeline, PIPELINE_METRIC.DuplicateStartsSuppressed);
      break;
    case 'duplicate':
      perPipeline.count(pipeline, PIPELINE_METRIC.DuplicateStartsSuppressed);
      break;
    case 'reupload-ignored':
      perPipeline.count(pipeline, PIPELINE_METRIC.ReuploadsIgnored);
      break;
    case 'waiting':
      break;
  }
}

const processor = new BatchProcessor(EventType.KinesisDataStreams);

/** One record: parse, record, start; any failure is logged once here and reported for this record only. */
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

async function processRecord(record: KinesisStreamRecord, inOrder: ReturnType<typeof keyedQueue>, context: Context): Promise<ArrivalOutcome> {
  const { sequenceNumber, data, partitionKey } = record.kinesis;
  let arrival;
  try {
    arrival = parseArrival(sequenceNumber, data);
  } catch (error) {
    if (!(error instanceof InvalidArrivalError)) throw error;
    logger.error('invalid arrival record', { sequenceNumber, partitionKey, problem: error.problem });
    metrics.addMetric(STACK_METRIC.InvalidArrivalRecords, MetricUnit.Count, 1);
    throw error;
  }
  // Every line about this file carries the correlation keys (runKey/executionArn once known).
  const log = correlatedLogger({ pipeline: arrival.pipeline, batchKey: arrival.batchKey, objectKey: arrival.key });
  const where = { file: arrival.file, etag: arrival.etag, sequenceNumber };
  try {
    const lockWait = { sleep, remainingMs: () => context.getRemainingTimeInMillis() };
    const outcome = await inOrder(`${arrival.pipeline}#${arrival.batchKey}`, () => recordArrival(arrival, { ...deps, lockWait }));
    countOutcome(arrival.pipeline, outcome);
    const run = 'runKey' in outcome ? { runKey: outcome.runKey, ...('executionArn' in outcome ? { executionArn: outcome.executionArn } : {}) } : {};
    if (outcome.kind === 'duplicate' || outcome.kind === 'reupload-ignored') log.warn(`arrival for a batch that already ran: ${outcome.kind}`, { ...where, ...run, outcome });
    else if ('late' in outcome && outcome.late) log.warn('late batch completed: its run started after the batch was reported overdue', { ...where, ...run, outcome });
    else log.info(`arrival recorded: ${outcome.kind}`, { ...where, ...run, outcome });
    return outcome;
  } catch (error) {
    log.error('arrival record failed', { ...where, error: error as Error });
    metrics.addMetric(STACK_METRIC.ArrivalRecordsFailed, MetricUnit.Count, 1);
    throw error;
  }
}

async function handleRecords(event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> {
  // Per invocation: records of one batch run in stream order, batches run in parallel.
  const inOrder = keyedQueue();
  try {
    return await processPartialResponse(event, (record: KinesisStreamRecord) => processRecord(record, inOrder, context), processor, { context });
  } finally {
    perPipeline.flush();
  }
}

export const handler = middy(handleRecords).use(injectLambdaContext(logger)).use(logMetrics(metrics));
