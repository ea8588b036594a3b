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
import { batchesTable } from '../lib/adapters/batches-table';
import { runsTable } from '../lib/adapters/runs-table';
import { stepFunctions } from '../lib/adapters/step-functions';
import { dynamoDocumentClient, sfnClient } from '../lib/clients';
import { readEnv } from '../lib/config';
import { keyedQueue } from '../lib/fan-in/keyed-queue';
import { InvalidArrivalError, parseArrival } from '../lib/fan-in/parse-arrival';
import { recordArrival, type ArrivalOutcome } from '../lib/fan-in/record-arrival';
import { logger, metrics } from '../lib/observability';
import { pipelines } from '../lib/registry';
import { startPipeline } from '../lib/start-pipeline/start-pipeline';

const env = readEnv(['BATCHES_TABLE', 'RUNS_TABLE', 'STATE_MACHINE_ARN', 'RUN_LEASE_SECONDS', 'BATCH_TTL_DAYS', 'STAGE', 'SERVICE']);
const registry = pipelines();
const clock = (): Date => new Date();
const startDeps = {
  runs: runsTable(dynamoDocumentClient(), env.RUNS_TABLE),
  sfn: stepFunctions(sfnClient(), env.STATE_MACHINE_ARN),
  clock,
  registry,
  leaseSeconds: env.RUN_LEASE_SECONDS,
  service: env.SERVICE,
  stage: env.STAGE,
};
const deps = {
  batches: batchesTable(dynamoDocumentClient(), env.BATCHES_TABLE),
  registry,
  clock,
  ttlDays: env.BATCH_TTL_DAYS,
  start: (request: Parameters<typeof startPipeline>[0]) => startPipeline(request, startDeps),
};

const METRIC: Record<ArrivalOutcome['kind'], string> = {
  waiting: 'BatchWaiting',
  started: 'RunStarted',
  'already-started': 'RunAlreadyStarted',
  duplicate: 'DuplicateArrival',
  'reupload-ignored': 'ReuploadIgnored',
};

const processor = new BatchProcessor(EventType.KinesisDataStreams);

/** One record: parse, record, start; any failure is logged once here and reported for this record only. */
async function processRecord(record: KinesisStreamRecord, inOrder: ReturnType<typeof keyedQueue>): Promise<ArrivalOutcome> {
  const { sequenceNumber, data, partitionKey } = record.kinesis;
  let arrival;
  try {
    arrival = parseArrival(sequenceNumber, data);
  } catch (error) {
    if (!(error instanceof InvalidArrivalError)) throw error;
    logger.error('invalid arrival record', { sequenceNumber, partitionKey, problem: error.problem });
    metrics.addMetric('InvalidArrivalRecord', MetricUnit.Count, 1);
    throw error;
  }
  const where = { pipeline: arrival.pipeline, batchKey: arrival.batchKey, file: arrival.file, key: arrival.key, etag: arrival.etag, sequenceNumber };
  try {
    const outcome = await inOrder(`${arrival.pipeline}#${arrival.batchKey}`, () => recordArrival(arrival, deps));
    metrics.addMetric(METRIC[outcome.kind], MetricUnit.Count, 1);
    if ('reupload' in outcome && outcome.reupload) metrics.addMetric('ReuploadRerun', MetricUnit.Count, 1);
    if (outcome.kind === 'duplicate' || outcome.kind === 'reupload-ignored') logger.warn(`arrival for a batch that already ran: ${outcome.kind}`, { ...where, outcome });
    else logger.info(`arrival recorded: ${outcome.kind}`, { ...where, outcome });
    return outcome;
  } catch (error) {
    logger.error('arrival record failed', { ...where, error: error as Error });
    metrics.addMetric('ArrivalRecordFailed', MetricUnit.Count, 1);
    throw error;
  }
}

async function handleRecords(event: KinesisStreamEvent, context: Context): Promise<KinesisStreamBatchResponse> {
  // Per invocation: records of one batch run in stream order, batches run in parallel.
  const inOrder = keyedQueue();
  return processPartialResponse(event, (record: KinesisStreamRecord) => processRecord(record, inOrder), processor, { context });
}

export const handler = middy(handleRecords).use(injectLambdaContext(logger)).use(logMetrics(metrics));
