/** The worker library: what a pipeline container needs to run as a Step Functions task. */
export { runTask, EXIT_CODES, DEFAULT_NAMESPACE } from './run-task';
export { runActivityWorker, runPipelineWorker, POLL_SOCKET_TIMEOUT_MS } from './activity-worker';
export type { ActivityWorkerDeps } from './activity-worker';
export type { TaskContext, TaskOutcome, TaskResult, TaskWork, WorkerDeps, SignalSource } from './run-task';
export { readTaskEnv, STAGE_ENV } from './env';
export type { TaskEnv, Launch, ObjectsSource } from './env';
export {
  TaskEnvError,
  TaskStoppedError,
  TaskTokenRejectedError,
  BatchObjectsError,
  WorkerDrainingError,
  ActivityInputError,
} from './errors';
export { toTaskFailure, truncate, MAX_CAUSE_CHARS, MAX_ERROR_CHARS } from './failure';
export { StepTimings } from './timings';
export type { Step, StepTimingsMs } from './timings';
export { createLog, errorFields, stdoutSink } from './log';
export type { Log, LineSink } from './log';
export { emfDocument, writeMetrics } from './emf';
// Queue mode (queue services): the consumer, and the burst path's high-resolution backlog metric.
export { QueueConsumer } from './queue-consumer';
export type { QueueConsumerOptions, MessageHandler, QueueMessage } from './queue-consumer';
export { startBacklogMetric, backlogEmf, readQueueDepth } from './backlog-metric';
export type { BacklogMetricOptions, QueueDepth } from './backlog-metric';
