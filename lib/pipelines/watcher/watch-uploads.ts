/**
 * Use case: turn one watcher invocation into FileArrival records on Kinesis.
 *
 * Primary course: read every message; keep objects created under a registered pipeline's
 * pattern in their bucket; publish them in one ordered PutRecords run; report the result.
 * Ignored events (test events, deletions, restores, lifecycle, replication, tiering, and
 * objects no pipeline claims: another bucket, outside the watched prefixes, or no file pattern
 * matched) are counted per reason and logged at debug. A malformed message gets
 * one error log; from SQS it becomes a batch item failure, otherwise the invocation fails
 * with MalformedEventError, but only after the good records beside it were published.
 */
import type { MetricUnitValue } from '../../shared/metrics';
import { KinesisPublishError, type ArrivalPublisher } from '../adapters/kinesis-publisher';
import type { FileArrival } from '../../contracts/messages';
import type { MissedMatch, PipelineIndex } from '../../registry';
import { MalformedEventError, type MalformedMessage } from './errors';
import type { IgnoreReason, UnclaimedReason, WatcherEvent } from './read-event';
import { filesIgnoredMetric, PIPELINE_METRIC, STACK_METRIC } from '../../contracts/metric-names';
import type { PipelineMetrics } from '../../shared/pipeline-metrics';

/** The parts of the Logger and Metrics (lib/shared/) the use case needs; tests pass fakes. */
export interface WatcherLog {
  debug(message: string, attributes: Record<string, unknown>): void;
  /** One line per accepted file, with its correlation keys (pipeline, batchKey, objectKey). */
  info?(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}
export interface WatcherMetrics {
  addMetric(name: string, unit: MetricUnitValue, value: number): void;
}

export interface WatchUploadsDeps {
  publisher: ArrivalPublisher;
  registry: PipelineIndex;
  /** The stack's bucket: pipelines that name no bucket watch this one. */
  uploadsBucket: string;
  clock?: () => Date;
  log: WatcherLog;
  metrics: WatcherMetrics;
  /** Per-pipeline counts (FilesAccepted); the handler passes lib/shared/observability's `perPipeline`. */
  perPipeline?: Pick<PipelineMetrics, 'count'>;
}

export interface WatchOutcome {
  delivery: WatcherEvent['delivery'];
  published: number;
  ignored: Partial<Record<IgnoreReason, number>>;
  malformed: MalformedMessage[];
  /** SQS message ids to report as batch item failures, in event order. */
  failedMessageIds: string[];
}

const metricName = filesIgnoredMetric;

/** The ignore reason of an object no pipeline claims, by the part of the trigger it missed. */
const UNCLAIMED_REASON: Record<MissedMatch['part'], UnclaimedReason> = {
  bucket: 'other-bucket',
  prefix: 'outside-prefix',
  pattern: 'no-pattern-match',
};

export async function watchUploads(input: WatcherEvent, deps: WatchUploadsDeps): Promise<WatchOutcome> {
  const { log, metrics } = deps;
  const arrivals: FileArrival[] = [];
  const originOf: string[] = [];
  const ignored: Partial<Record<IgnoreReason, number>> = {};
  const malformed: MalformedMessage[] = [];
  const ignore = (reason: IgnoreReason, what: string, messageId: string, detail?: string): void => {
    ignored[reason] = (ignored[reason] ?? 0) + 1;
    log.debug('Ignored S3 event', { reason, what, messageId, ...(detail ? { detail } : {}) });
  };

  for (const message of input.messages) {
    const problems: string[] = [];
    for (const notice of message.notices) {
      if (notice.kind === 'malformed') problems.push(notice.problem);
      else if (notice.kind === 'ignored') ignore(notice.reason, notice.what, message.messageId);
      else {
        const { object } = notice;
        const match = deps.registry.match(object.bucket, object.key, deps.uploadsBucket);
        if (!match) {
          const miss = deps.registry.explainMiss(object.bucket, object.key, deps.uploadsBucket);
          ignore(UNCLAIMED_REASON[miss.part], `s3://${object.bucket}/${object.key}`, message.messageId, miss.detail);
          continue;
        }
        arrivals.push({
          pipeline: match.pipeline,
          batchKey: match.batchKey,
          file: match.file,
          ...object,
          ...(match.role ? { role: match.role } : {}),
        });
        originOf.push(message.messageId);
      }
    }
    if (problems.length > 0) {
      const entry = { messageId: message.messageId, problem: problems.join('; ') };
      malformed.push(entry);
      log.error('Malformed message', { ...entry, delivery: input.delivery });
    }
  }

  for (const [reason, count] of Object.entries(ignored) as Array<[IgnoreReason, number]>)
    metrics.addMetric(metricName(reason), 'Count', count);
  if (malformed.length > 0) metrics.addMetric(STACK_METRIC.MalformedMessages, 'Count', malformed.length);

  const failed = new Set(malformed.map((m) => m.messageId));
  let published = 0;
  if (arrivals.length > 0) {
    let notAccepted = new Set<number>();
    try {
      await deps.publisher.publish(arrivals);
      published = arrivals.length;
    } catch (error) {
      const notWritten = error instanceof KinesisPublishError ? error.failed.length : arrivals.length;
      notAccepted = new Set(error instanceof KinesisPublishError ? error.failed.map((record) => record.index) : arrivals.map((_, i) => i));
      metrics.addMetric(STACK_METRIC.FilesNotPublished, 'Count', notWritten);
      countAccepted(arrivals, notAccepted, deps);
      if (!(input.delivery === 'sqs' && error instanceof KinesisPublishError)) throw error;
      // From SQS, only the messages whose records were not written go back to the queue.
      const messageIds = [...new Set(error.failed.map((record) => originOf[record.index]!))];
      log.error('Files not published; their messages return to the queue', { messageIds, error });
      for (const id of messageIds) failed.add(id);
      published = arrivals.length - notWritten;
    }
    if (notAccepted.size === 0) countAccepted(arrivals, notAccepted, deps);
    metrics.addMetric(STACK_METRIC.FilesPublished, 'Count', published);
    const now = (deps.clock ?? (() => new Date()))().getTime();
    const oldest = Math.min(...arrivals.map((arrival) => Date.parse(arrival.eventTime)).filter(Number.isFinite));
    if (Number.isFinite(oldest)) metrics.addMetric(STACK_METRIC.UploadToPublishLag, 'Milliseconds', Math.max(0, now - oldest));
  }

  if (input.delivery === 'async' && malformed.length > 0) throw new MalformedEventError(malformed);
  return {
    delivery: input.delivery,
    published,
    ignored,
    malformed,
    failedMessageIds: input.messages.map((m) => m.messageId).filter((id) => failed.has(id)),
  };
}

/** FilesAccepted per pipeline: the arrivals that reached the stream. */
function countAccepted(arrivals: FileArrival[], notAccepted: Set<number>, deps: WatchUploadsDeps): void {
  arrivals.forEach((arrival, index) => {
    if (notAccepted.has(index)) return;
    deps.perPipeline?.count(arrival.pipeline, PIPELINE_METRIC.FilesAccepted);
    deps.log.info?.('file accepted', {
      pipeline: arrival.pipeline,
      batchKey: arrival.batchKey,
      objectKey: arrival.key,
      file: arrival.file,
      source: arrival.source,
    });
  });
}
