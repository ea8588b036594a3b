/**
 * One logger and one metrics instance per function, shared by every module of it.
 * Service name comes from POWERTOOLS_SERVICE_NAME, namespace from POWERTOOLS_METRICS_NAMESPACE,
 * log level from POWERTOOLS_LOG_LEVEL (the stage's `logLevel` parameter) and the share of
 * invocations logged at debug from POWERTOOLS_LOGGER_SAMPLE_RATE. Metric names and the
 * dimensions policy live in lib/contracts/metric-names.ts.
 *
 * The logger and metrics write what Powertools for AWS Lambda writes (same JSON keys, same
 * EMF documents, same variables) from ./logger.ts and ./metrics.ts: Powertools' own cost each
 * function about 35 KiB and several milliseconds of cold start.
 */
import { Logger } from './logger';
import { Metrics } from './metrics';
import { correlationKeys, type CorrelationKeys } from './correlation';
import { METRICS_NAMESPACE } from '../contracts/metric-names';
import { pipelineMetrics } from './pipeline-metrics';

export const logger = new Logger({
  // Correlation keys first after the message, so a line reads the same in every function.
  logRecordOrder: ['level', 'message', 'pipeline', 'batchKey', 'objectKey', 'runKey', 'executionArn', 'taskArn'],
});

// The stage is a dimension of every metric (dev and prod alarms must not mix); the Lambda
// environment sets STAGE, tests and tools without it get "unknown" rather than a crash.
// Its warnings ("No application metrics to publish" after an invocation that counted
// nothing, ...) go through the logger: a structured WARN line at the stage's log level, not
// a bare stderr line in every function's log and every test's output.
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE,
  defaultDimensions: { stage: process.env.STAGE || 'unknown' },
  logger: { warn: (message: string) => logger.warn(message) },
});

/** Per-pipeline counts and values through the same metrics instance (flush at the end of each invocation). */
export const perPipeline = pipelineMetrics(metrics);

/**
 * A child logger whose every line carries these correlation keys: for work on one file,
 * batch or run inside an invocation that handles many (children do not leak keys to each other).
 */
export function correlatedLogger(keys: CorrelationKeys): Logger {
  const child = logger.createChild();
  child.appendPersistentKeys(correlationKeys(keys));
  return child;
}
