/**
 * What the state machine passes a pipeline container through ECS container overrides,
 * and what the worker library reads. One list, used by both sides.
 */
export const TASK_ENV = {
  PIPELINE: 'PIPELINE',
  RUN_KEY: 'RUN_KEY',
  BATCH_KEY: 'BATCH_KEY',
  /** What started the run: `s3` (a complete batch), `schedule`, `manual`, `events` or `queue`. */
  TRIGGER: 'TRIGGER',
  /** Schedule runs only: the schedule's fire time (ISO 8601, UTC), not the moment the task started. */
  SCHEDULED_TIME: 'SCHEDULED_TIME',
  EXECUTION_ARN: 'EXECUTION_ARN',
  SHARD_INDEX: 'SHARD_INDEX',
  SHARD_COUNT: 'SHARD_COUNT',
  /**
   * JSON array of BatchObject when it fits the 8,192-character overrides limit. Empty (`[]`)
   * only for `schedule` and `manual` runs that carry no files.
   */
  OBJECTS: 'OBJECTS',
  /** Set instead of OBJECTS for large batches: read `objects` from the Runs item with this key. */
  OBJECTS_RUN_KEY: 'OBJECTS_RUN_KEY',
  /** `events` and `queue` runs: the event (or message body) as JSON text, when it fits the overrides. */
  EVENT: 'EVENT',
  /** Set instead of EVENT for a large event: read `event` (JSON text) from the Runs item with this key. */
  EVENT_RUN_KEY: 'EVENT_RUN_KEY',
  RUNS_TABLE: 'RUNS_TABLE',
  /** `sync`, `callback` or `activity`. */
  LAUNCH: 'LAUNCH',
  /**
   * Activity workers only, set by their task definition: the activity they poll
   * (GetActivityTask); each shard's run context arrives as the activity task's input.
   */
  ACTIVITY_ARN: 'ACTIVITY_ARN',
  /** Callback launches only: the Step Functions task token. */
  TASK_TOKEN: 'TASK_TOKEN',
  /** Callback launches only: the state's HeartbeatSeconds; the worker beats well inside it. */
  HEARTBEAT_SECONDS: 'HEARTBEAT_SECONDS',
} as const;

/** Inline object lists above this many characters go through OBJECTS_RUN_KEY instead. */
export const MAX_INLINE_OBJECTS_CHARS = 4_000;
/**
 * An event whose JSON text, as it stands quoted inside the overrides' JSON, is longer than this
 * goes through EVENT_RUN_KEY instead (an event run carries no objects, so it takes their room).
 */
export const MAX_INLINE_EVENT_CHARS = 4_000;

/** Whether an event's JSON text travels inline (EVENT) rather than on the Runs item (EVENT_RUN_KEY). */
export const eventFitsInline = (eventJson: string): boolean => JSON.stringify(eventJson).length <= MAX_INLINE_EVENT_CHARS;
