/**
 * Entry point of the sample queue service container: consume QUEUE_URL until SIGTERM,
 * then drain and exit 0 (1 when messages had to be released at the deadline).
 */
import { SQSClient } from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { startBacklogMetric } from '../worker/backlog-metric';
import { createLog, stdoutSink } from '../worker/log';
import { QueueConsumer } from '../worker/queue-consumer';
import { sampleHandler } from './work';

const Env = z.object({
  QUEUE_URL: z.string().min(1),
  QUEUE_SERVICE: z.string().min(1),
  METRIC_DIMENSION: z.string().min(1),
  VISIBILITY_TIMEOUT_SECONDS: z.coerce.number().int().min(1),
  CONCURRENCY: z.coerce.number().int().min(1).default(1),
  DRAIN_DEADLINE_SECONDS: z.coerce.number().min(0.1).default(25),
  WAIT_TIME_SECONDS: z.coerce.number().int().min(0).max(20).default(20),
  /** Set by the template when the service has `burst:`: the high-resolution backlog metric's period. */
  BACKLOG_METRIC_SECONDS: z.coerce.number().int().optional(),
});

async function main(): Promise<number> {
  const parsed = Env.safeParse(process.env);
  if (!parsed.success) {
    process.stderr.write(`environment is incomplete: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}\n`);
    return 2;
  }
  const env = parsed.data;
  const log = createLog(stdoutSink, { queueService: env.QUEUE_SERVICE });
  const sqs = new SQSClient({});
  const consumer = new QueueConsumer({
    sqs,
    queueUrl: env.QUEUE_URL,
    handler: sampleHandler((done) => log.info('message processed', done)),
    visibilityTimeoutSeconds: env.VISIBILITY_TIMEOUT_SECONDS,
    concurrency: env.CONCURRENCY,
    waitTimeSeconds: env.WAIT_TIME_SECONDS,
    drainDeadlineMs: env.DRAIN_DEADLINE_SECONDS * 1000,
    metricDimension: env.METRIC_DIMENSION,
    log,
    sink: stdoutSink,
    signals: process,
  });
  log.info('consuming', { queueUrl: env.QUEUE_URL, concurrency: env.CONCURRENCY });
  const stopMetric = env.BACKLOG_METRIC_SECONDS
    ? startBacklogMetric({
        sqs,
        queueUrl: env.QUEUE_URL,
        periodSeconds: env.BACKLOG_METRIC_SECONDS,
        metricDimension: env.METRIC_DIMENSION,
        sink: stdoutSink,
        log,
      })
    : undefined;
  // A draining task stops reporting at once: the alarm's divisor counts consuming tasks.
  process.once('SIGTERM', () => stopMetric?.());
  try {
    const result = await consumer.run();
    return result.released > 0 ? 1 : 0;
  } finally {
    stopMetric?.();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
