/**
 * The worker library's high-resolution backlog metric, for a queue service's burst path
 * (registry `burst:`): every `periodSeconds` each task reads its queue's visible messages
 * and in-flight messages (one GetQueueAttributes call: ApproximateNumberOfMessages and
 * ApproximateNumberOfMessagesNotVisible) and writes one EMF line with
 * StorageResolution 1, so CloudWatch keeps the metrics at one-second resolution and a
 * 10-second alarm can evaluate them (a regular-resolution metric has one datapoint a minute).
 *
 * Three metrics per line: VisibleMessages, WorkerAlive = 1 and InFlightMessages. Over one
 * alarm period, Maximum(VisibleMessages) / SampleCount(WorkerAlive) is backlog per running
 * task; the template's burst alarm computes it with metric math (stack/queue-services.ts).
 * Over a minute, (Average visible + Average in flight) / (reporting tasks × concurrency) is
 * busy slots, the metric of the burst path's scale-in alarm. A task that is still starting or
 * already stopping does not report, so the divisors count consuming tasks.
 */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import {
  QUEUE_IN_FLIGHT_MESSAGES_METRIC,
  QUEUE_METRICS_NAMESPACE,
  QUEUE_SERVICE_DIMENSION,
  QUEUE_VISIBLE_MESSAGES_METRIC,
  QUEUE_WORKER_ALIVE_METRIC,
} from '../../lib/contracts/metric-names';
import { errorFields, type LineSink, type Log } from './log';

/** What one task read from its queue: messages waiting, and messages received and not yet deleted. */
export interface QueueDepth {
  visible: number;
  inFlight: number;
}

/** One EMF document: the queue depth one task read, and its presence, at one-second resolution. */
export function backlogEmf(namespace: string, dimension: string, depth: QueueDepth, timestamp: number): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [[QUEUE_SERVICE_DIMENSION]],
          Metrics: [
            { Name: QUEUE_VISIBLE_MESSAGES_METRIC, Unit: 'Count', StorageResolution: 1 },
            { Name: QUEUE_WORKER_ALIVE_METRIC, Unit: 'Count', StorageResolution: 1 },
            { Name: QUEUE_IN_FLIGHT_MESSAGES_METRIC, Unit: 'Count', StorageResolution: 1 },
          ],
        },
      ],
    },
    [QUEUE_SERVICE_DIMENSION]: dimension,
    [QUEUE_VISIBLE_MESSAGES_METRIC]: depth.visible,
    [QUEUE_WORKER_ALIVE_METRIC]: 1,
    [QUEUE_IN_FLIGHT_MESSAGES_METRIC]: depth.inFlight,
  });
}

export interface BacklogMetricOptions {
  sqs: SQSClient;
  queueUrl: string;
  /** 10, 20 or 30: the alarm's period (registry `burst.periodSeconds`). */
  periodSeconds: number;
  /** EMF dimension value identifying the service (`<stack>-<queue service>`). */
  metricDimension: string;
  namespace?: string;
  sink: LineSink;
  log: Log;
  now?: () => number;
}

/**
 * Reads the queue's visible and in-flight messages in one call (the numbers the alarms divide
 * by the reporting tasks). Both are approximate (SQS GetQueueAttributes).
 */
export async function readQueueDepth(sqs: SQSClient, queueUrl: string): Promise<QueueDepth> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return {
    visible: Number(Attributes?.ApproximateNumberOfMessages ?? 0),
    inFlight: Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0),
  };
}

/** Emits one backlog line now and every period after; returns the function that stops it. */
export function startBacklogMetric(options: BacklogMetricOptions): () => void {
  if (![10, 20, 30].includes(options.periodSeconds)) {
    throw new RangeError(
      `backlog metric period must be 10, 20 or 30 seconds (a high-resolution alarm period), got ${options.periodSeconds}`,
    );
  }
  const now = options.now ?? Date.now;
  let stopped = false;
  const emit = async () => {
    try {
      const depth = await readQueueDepth(options.sqs, options.queueUrl);
      if (!stopped) options.sink(backlogEmf(options.namespace ?? QUEUE_METRICS_NAMESPACE, options.metricDimension, depth, now()));
    } catch (error) {
      // A missed datapoint is missing data to the alarm (treated as not breaching), not a crash.
      options.log.error('backlog metric: reading the queue failed', errorFields(error));
    }
  };
  void emit();
  const timer = setInterval(() => void emit(), options.periodSeconds * 1000);
  timer.unref();
  return () => {
    stopped = true;
    clearInterval(timer);
  };
}
