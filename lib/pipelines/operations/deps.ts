/**
 * The DLQ redrive wired to AWS: each dead-letter queue goes back through the use case of its
 * source, built by that use case's own dependency factory (watcher, fan-in, start).
 */
import * as v from '../../shared/validation';
import { kinesisClient } from '../../shared/clients/kinesis';
import { sqsClient } from '../../shared/clients/sqs';
import { pipelines, type PipelineIndex } from '../../registry';
import { kinesisStreamReader, sqsDeadLetterQueue } from '../adapters/dead-letter-queues';
import { FAN_IN_ENV, fanInDeps, type FanInConfig } from '../fan-in/deps';
import { parseArrival } from '../fan-in/parse-arrival';
import { recordArrival } from '../fan-in/record-arrival';
import { START_PIPELINE_ENV, startFromEventDeps, startPipelineDeps, type StartPipelineConfig } from '../start/deps';
import { startEventRun } from '../start/event-trigger';
import { triggerNamePrefix } from '../../contracts/stack-names';
import { uploadedObjects } from '../adapters/uploaded-objects';
import { s3Client } from '../../shared/clients/s3';
import type { BackfillDeps } from './backfill';
import { startFromEvent } from '../start/start-event';
import { MalformedEventError } from '../watcher/errors';
import { readWatcherEvent } from '../watcher/read-event';
import { watchUploads } from '../watcher/watch-uploads';
import { WATCHER_ENV, watcherDeps, type WatcherConfig } from '../watcher/deps';
import type { DlqName, RedriveDeps } from './redrive';

// TOPIC_ARN: a redriven schedule firing may tell the operators about an incomplete batch.
export const REDRIVE_ENV = ['DEAD_LETTER_QUEUES', ...WATCHER_ENV, ...FAN_IN_ENV, 'TOPIC_ARN'] as const;

export interface RedriveConfig extends WatcherConfig, FanInConfig {
  /** JSON {"fan-in":url,"watcher":url,"start":url,"events"?:url} ("events" where a pipeline has trigger.events). */
  DEAD_LETTER_QUEUES: string;
  TOPIC_ARN: string;
}

export function redriveDeps(
  config: RedriveConfig,
  registry: PipelineIndex = pipelines(),
  clock: () => Date = () => new Date(),
): RedriveDeps {
  const url = v.string().min(1);
  const queueUrls = v
    .strictObject({ watcher: url, 'fan-in': url, start: url, events: url.optional() })
    .parse(JSON.parse(config.DEAD_LETTER_QUEUES));
  const queue = (name: DlqName) => {
    const queueUrl = queueUrls[name];
    if (!queueUrl) throw new Error(`DEAD_LETTER_QUEUES names no "${name}" queue`);
    return sqsDeadLetterQueue(sqsClient(), queueUrl);
  };
  const watcher = watcherDeps(config, registry);
  const start = startFromEventDeps(config, registry, clock);
  const fanIn = fanInDeps(config, registry, clock);
  return {
    queues: {
      watcher: queue('watcher'),
      'fan-in': queue('fan-in'),
      start: queue('start'),
      ...(queueUrls.events ? { events: queue('events') } : {}),
    },
    watcher: async (event) => {
      const outcome = await watchUploads(readWatcherEvent(event), watcher);
      if (outcome.malformed.length) throw new MalformedEventError(outcome.malformed);
    },
    start: async (event) => void (await startFromEvent(event, start)),
    // A key that already ran answers already-started: nothing new starts, and the message is done.
    events: async (delivery) => void (await startEventRun(delivery, start)),
    ruleNamePrefix: triggerNamePrefix(config.SERVICE, config.STAGE),
    fanIn: async (record) => void (await recordArrival(parseArrival(record.sequenceNumber, record.data), fanIn)),
    stream: kinesisStreamReader(kinesisClient(), config.STREAM_NAME),
  };
}

/** Backfill: the start use case, the uploads bucket it lists and how long batch records live. */
export const BACKFILL_ENV = [...START_PIPELINE_ENV, 'UPLOADS_BUCKET', 'BATCH_TTL_DAYS'] as const;

export function backfillDeps(
  config: StartPipelineConfig & { UPLOADS_BUCKET: string; BATCH_TTL_DAYS: number },
  registry: PipelineIndex = pipelines(),
  clock: () => Date = () => new Date(),
): BackfillDeps {
  return {
    start: startPipelineDeps(config, registry, clock),
    objects: uploadedObjects(s3Client()),
    uploadsBucket: config.UPLOADS_BUCKET,
    ttlDays: config.BATCH_TTL_DAYS,
  };
}
