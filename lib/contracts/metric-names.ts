/**
 * Every metric name of the system and the dimensions policy, in one place: the Lambda
 * functions (Powertools Metrics), the worker library in the container (its own EMF writer),
 * the alarms (stack/alarms.ts, generated per pipeline) and the dashboard (stack/dashboard.ts)
 * all read these.
 *
 * Dimensions policy (CloudWatch bills per unique name + dimension values, so every value set
 * must stay small and known in advance):
 *  - Lambda metrics: `service` (Powertools always adds it; one value per stack), `stage`, and
 *    `pipeline` for per-pipeline metrics. Stack-wide metrics carry service + stage only.
 *  - Container metrics (worker library EMF): `pipeline` + `stage`.
 *  - `failureClass` (7 values, lib/pipelines/runs/classify-failure.ts) only on RunsFailedByClass.
 *  - NEVER a batch key, run key, object key, execution or task ARN: those are unbounded. They
 *    go into log lines and EMF properties (searchable in Logs Insights), not dimensions.
 */
export const METRICS_NAMESPACE = 'EcsPipelines';

export const DIMENSION = {
  service: 'service',
  stage: 'stage',
  pipeline: 'pipeline',
  failureClass: 'failureClass',
} as const;

/** Dimension names of each metric family, in the order alarms and the dashboard list them. */
export const LAMBDA_STACK_DIMENSIONS = [DIMENSION.service, DIMENSION.stage] as const;
export const LAMBDA_PIPELINE_DIMENSIONS = [DIMENSION.service, DIMENSION.stage, DIMENSION.pipeline] as const;
export const CONTAINER_DIMENSIONS = [DIMENSION.pipeline, DIMENSION.stage] as const;

/** Per-pipeline metrics the functions emit (dimensions: LAMBDA_PIPELINE_DIMENSIONS). */
export const PIPELINE_METRIC = {
  /** Watcher: files matched to a pipeline and put on the stream. */
  FilesAccepted: 'FilesAccepted',
  /** Fan-in: a batch's last file arrived and its run was started (or found started). */
  BatchesCompleted: 'BatchesCompleted',
  /** Fan-in / start-pipeline: a start that found the run already started (redelivery, retry, duplicate upload). */
  DuplicateStartsSuppressed: 'DuplicateStartsSuppressed',
  /** A new upload of a batch that already ran, not re-run (rerunOnReupload off). */
  ReuploadsIgnored: 'ReuploadsIgnored',
  /** A batch completed after the sweeper had reported it overdue. */
  LateBatchesCompleted: 'LateBatchesCompleted',
  RunsStarted: 'RunsStarted',
  RunsSucceeded: 'RunsSucceeded',
  RunsFailed: 'RunsFailed',
  /** Run duration, start of the execution to its summary (Seconds). */
  RunDuration: 'RunDuration',
  /** Sum over the run's shards (Count). */
  RunRecordsAffected: 'RunRecordsAffected',
  /** The run's estimated cost in USD (lib/pipelines/runs/run-cost.ts; unit None). */
  RunCostUsd: 'RunCostUsd',
  /** Sweeper: batches past their window without all files (one per batch, when first found). */
  IncompleteBatches: 'IncompleteBatches',
  /** Sweeper: complete batches whose run never started (the start failed; see the fan-in DLQ). */
  StuckBatches: 'StuckBatches',
  /** Sweeper: runs still STARTING/RUNNING past alarms.maxRuntimeSeconds (one per run). */
  RunsOverMaxRuntime: 'RunsOverMaxRuntime',
} as const;
export type PipelineMetricName = (typeof PIPELINE_METRIC)[keyof typeof PIPELINE_METRIC];

/** Failed runs per failure class (dimensions: LAMBDA_PIPELINE_DIMENSIONS + failureClass). */
export const RUNS_FAILED_BY_CLASS = 'RunsFailedByClass';

/** Stack-wide metrics the functions emit (dimensions: LAMBDA_STACK_DIMENSIONS). */
export const STACK_METRIC = {
  /** Watcher: events that were not a registered pipeline's new object; one name per reason (`Ignored<Reason>`). */
  FilesIgnoredPrefix: 'Ignored',
  /** Watcher: files put on the stream, all pipelines (FilesAccepted is the per-pipeline count). */
  FilesPublished: 'FilesPublished',
  /** Watcher: age of the oldest upload when its batch was published (Milliseconds). */
  UploadToPublishLag: 'UploadToPublishLag',
  MalformedMessages: 'MalformedMessages',
  FilesNotPublished: 'FilesNotPublished',
  /** Fan-in: records that failed (retried, finally sent to the DLQ). */
  ArrivalRecordsFailed: 'ArrivalRecordsFailed',
  InvalidArrivalRecords: 'InvalidArrivalRecords',
  /** Messages found in dead-letter queues by the sweeper (cheap arrivals count beside the SQS depth alarms). */
  DeadLetterMessages: 'DeadLetterMessages',
  /** Alarm formatter: notifications sent. */
  AlarmNotificationsSent: 'AlarmNotificationsSent',
} as const;

/** `outside-prefix` → `IgnoredOutsidePrefix`: reasons are a closed set (lib/pipelines/watcher/read-event.ts), so one metric each. */
export function filesIgnoredMetric(reason: string): string {
  return `${STACK_METRIC.FilesIgnoredPrefix}${reason.replace(/(^|-)([a-z])/g, (_, __, letter: string) => letter.toUpperCase())}`;
}

/**
 * Container metrics: the worker library writes these names (container/worker/run-task.ts)
 * with CONTAINER_DIMENSIONS, one document per task (shard).
 */
export const CONTAINER_METRIC = {
  TaskDuration: 'TaskDuration',
  ExtractDuration: 'ExtractDuration',
  TransformDuration: 'TransformDuration',
  LoadDuration: 'LoadDuration',
  RecordsAffected: 'RecordsAffected',
  RowsRejected: 'RowsRejected',
  Errors: 'Errors',
} as const;

/** Task duration per step, in the order the dashboard shows them. */
export const STEP_DURATION_METRICS = [
  CONTAINER_METRIC.ExtractDuration,
  CONTAINER_METRIC.TransformDuration,
  CONTAINER_METRIC.LoadDuration,
] as const;

// Queue services: the worker emits processing durations, a CloudFormation metric filter turns
// those log lines into a metric, and the target updater reads it back.
export const QUEUE_METRICS_NAMESPACE = 'EcsPipelines/QueueServices';
export const PROCESSING_DURATION_METRIC = 'ProcessingDuration';
/** Dimension: `<stack>-<queue service>`, unique per deployed service. */
export const QUEUE_SERVICE_DIMENSION = 'QueueService';
/**
 * The burst path's high-resolution metrics (EMF StorageResolution 1), one set per task per
 * period: the queue's visible messages as the task read them, 1 (its SampleCount over a
 * period counts the tasks reporting) and the queue's in-flight messages (received, not yet
 * deleted). Backlog per task = Maximum(visible) / SampleCount(alive); busy slots, the burst
 * path's scale-in metric = (visible + in flight) / (reporting tasks × concurrency).
 */
export const QUEUE_VISIBLE_MESSAGES_METRIC = 'VisibleMessages';
export const QUEUE_WORKER_ALIVE_METRIC = 'WorkerAlive';
export const QUEUE_IN_FLIGHT_MESSAGES_METRIC = 'InFlightMessages';
/** Every metric a queue service's workers write for its burst path: one custom metric each per service. */
export const QUEUE_BURST_METRICS = [QUEUE_VISIBLE_MESSAGES_METRIC, QUEUE_WORKER_ALIVE_METRIC, QUEUE_IN_FLIGHT_MESSAGES_METRIC] as const;

/** Application Auto Scaling's resource id of an ECS service. */
export function ecsServiceResourceId(cluster: string, service: string): string {
  if (!cluster || !service || cluster.includes('/') || service.includes('/')) {
    throw new Error(`cannot build an ECS resource id from cluster "${cluster}" and service "${service}"`);
  }
  return `service/${cluster}/${service}`;
}
