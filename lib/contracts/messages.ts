/**
 * The messages that cross a boundary between parts of the system, each with its schema
 * (lib/shared/validation.ts): what the watcher puts on Kinesis, what start-pipeline hands
 * the state machine, and what the Runs table holds. Validate at every edge; never
 * `JSON.parse(x) as T`.
 */
import * as v from '../shared/validation';
import { RunRetrySettingsSchema } from './retry';

/** One accepted S3 object, as the watcher writes it to Kinesis (partition key `pipeline#batchKey`). */
export const FileArrivalSchema = v.strictObject({
  pipeline: v.string(),
  batchKey: v.string(),
  file: v.string(),
  bucket: v.string(),
  /** Decoded key, exactly as stored in S3. */
  key: v.string(),
  size: v.number().int().nonnegative(),
  etag: v.string(),
  versionId: v.string().optional(),
  /** Hex string ordering events of one key; compare with `compareSequencers`. */
  sequencer: v.string().optional(),
  eventTime: v.string(),
  /** Which delivery path brought it: for logs and metrics. */
  source: v.enum(['s3', 'eventbridge', 'sqs', 'sns', 'manual']),
  /** The batch's manifest or marker (trigger.complete), not one of its files. */
  role: v.enum(['manifest', 'marker']).optional(),
});
export type FileArrival = v.Infer<typeof FileArrivalSchema>;

/** One object of a batch as the run sees it. */
export const BatchObjectSchema = v.strictObject({
  file: v.string(),
  bucket: v.string(),
  key: v.string(),
  size: v.number().int().nonnegative(),
  etag: v.string(),
  versionId: v.string().optional(),
  sequencer: v.string().optional(),
});
export type BatchObject = v.Infer<typeof BatchObjectSchema>;

/**
 * What started a run: `s3` (a complete batch of files), `schedule`, `manual`, `events` (an
 * EventBridge event matching the pipeline's pattern) or `queue` (a message on its own queue).
 */
export const TriggerKindSchema = v.enum(['s3', 'schedule', 'manual', 'events', 'queue']);
export type TriggerKind = v.Infer<typeof TriggerKindSchema>;

/** Task settings resolved from the registry for one run. */
export const RunTaskSettingsSchema = v.strictObject({
  /** Task definition family (`<service>-<stage>-<name>`); ECS runs its latest ACTIVE revision. */
  taskDefinition: v.string(),
  container: v.string(),
  command: v.array(v.string()).optional(),
  cpu: v.number().int(),
  memory: v.number().int(),
  shards: v.number().int().min(1).max(20),
  maxConcurrency: v.number().int().min(1).max(20),
  launch: v.enum(['sync', 'callback', 'activity']),
  timeoutSeconds: v.number().int(),
  heartbeatSeconds: v.number().int(),
  /** pipelines.yml task.architecture (what the run's cost estimate prices). */
  architecture: v.enum(['ARM64', 'X86_64']),
  /** pipelines.yml task.capacity: EC2 runs take another RunTask state (placement, no awsvpc). */
  capacity: v.enum(['fargate', 'fargate-spot', 'ec2']),
  /** What RunTask's capacity provider strategy names: FARGATE, FARGATE_SPOT or the stack's EC2 provider. */
  capacityProvider: v.string().min(1),
  /** EC2 runs: ECS placement constraints and strategies, as pipelines.yml declares them. */
  placement: v
    .strictObject({
      constraints: v.array(v.strictObject({ type: v.string(), expression: v.string().optional() })),
      strategy: v.array(v.strictObject({ type: v.string(), field: v.string().optional() })),
    })
    .optional(),
  environment: v.array(v.strictObject({ name: v.string(), value: v.string() })),
  /** pipelines.yml task.retry with its defaults; absent in runs queued before retries existed (the defaults apply). */
  retry: RunRetrySettingsSchema.optional(),
});
export type RunTaskSettings = v.Infer<typeof RunTaskSettingsSchema>;

/**
 * The Step Functions execution input. `objects` is inline when small; for a large
 * batch it is empty and `objectsPointer` names where the container reads the list
 * (ECS container overrides are limited to 8,192 characters).
 */
export const ExecutionInputSchema = v.strictObject({
  pipeline: v.string(),
  runKey: v.string(),
  batchKey: v.string(),
  trigger: TriggerKindSchema,
  /** Schedule runs: the schedule's fire time (ISO 8601, UTC); the container reads it as SCHEDULED_TIME. */
  scheduledTime: v.iso.datetime().optional(),
  requestedAt: v.string(),
  executionName: v.string(),
  objects: v.array(BatchObjectSchema),
  objectsPointer: v.strictObject({ table: v.literal('runs'), runKey: v.string() }).optional(),
  /**
   * Runs of an event or a queue message: the event (or the message body) as JSON text when it
   * fits the container overrides; otherwise empty and `eventPointer` names the Runs item holding it.
   */
  event: v.string().optional(),
  eventPointer: v.strictObject({ table: v.literal('runs'), runKey: v.string() }).optional(),
  task: RunTaskSettingsSchema,
  /** One entry per shard, the Map state's items. */
  shards: v.array(v.strictObject({ index: v.number().int(), count: v.number().int() })),
  /** Thresholds the state machine and alarms compare against. */
  alarms: v.strictObject({
    maxRuntimeSeconds: v.number().int().optional(),
    maxRecordsAffected: v.number().int().optional(),
    maxRunCostUsd: v.number().optional(),
  }),
});
export type ExecutionInput = v.Infer<typeof ExecutionInputSchema>;

/** QUEUED: waiting for a concurrency slot (task.maxConcurrentRuns or the stack-wide limit). */
export const RunStatusSchema = v.enum(['QUEUED', 'STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED']);
export type RunStatus = v.Infer<typeof RunStatusSchema>;

/**
 * Orders two S3 sequencers of the same key. Per the S3 User Guide: right-pad the shorter
 * value with zeros, then compare as text.
 */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const pa = a.toUpperCase().padEnd(width, '0');
  const pb = b.toUpperCase().padEnd(width, '0');
  return pa < pb ? -1 : pa > pb ? 1 : 0;
}

/*
 * Table items (both tables: partition key `pk`, TTL attribute `ttl` in epoch seconds).
 *
 * Batches, pk = `${pipeline}#${batchKey}`:
 *   pipeline, batchKey; arrived (string set of logical file names, `ADD`);
 *   `obj_${file}` (map: bucket, key, size, etag, versionId, sequencer, sequencerOrder (the
 *   sequencer right-padded: an arrival writes only when newer), eventTime);
 *   firstArrivalAt (ISO, if_not_exists); deadline (epoch s = first arrival + window, if_not_exists);
 *   openState = 'OPEN' while the batch waits for files (sparse: REMOVEd when its run starts;
 *   the incomplete-batch sweeper's index is openState + deadline);
 *   startedRunKey, startedFingerprint (set after the run started: the second write per start);
 *   completedBy (files | manifest | marker | quiet: the rule that completed it, with the start).
 *   Batches of unknown size (trigger.complete) hold one `obj_<object key>` per file (its map
 *   also names the logical `file`) and `arrived` holds object keys; a manifest batch adds
 *   manifestKeys (string set: the files its manifest lists) and manifestObject; a marker batch
 *   markerAt and markerObject; a quiet batch moves `deadline` to last arrival + quietMinutes.
 *
 * Runs, pk = run key (`pipeline#batchKey`, `pipeline#schedule#<time>`, `pipeline#manual#...`):
 *   pipeline, batchKey, trigger, completedBy (batch runs: the rule that completed the batch), scheduledTime (schedule runs), status (RunStatus), leaseExpiresAt (epoch s, while STARTING),
 *   attempt, executionName, executionArn, requestedAt (ISO), startedAt, endedAt, durationMs,
 *   objects (list, only when the execution input carries objectsPointer), event (JSON text, only
 *   when the execution input carries eventPointer), result (map, written
 *   by the state machine: status, shards [{index, exitCode, stopReason, recordsAffected}],
 *   errorClass, errorMessage, recordsAffected).
 *   While QUEUED (a concurrency limit): queue = 'QUEUED' (sparse index queue-queueSeq),
 *   queueSeq (arrival order), queuedAt (ISO), input (the execution input, started as it is).
 *
 * Run control items in Runs (lib/pipelines/adapters/run-queue.ts): `queue#seq` (counter n:
 * the arrival order of queued runs); `slots#pipeline#<name>` and `slots#stack` (holders: the
 * string set of run keys admitted under that limit and not yet released).
 */
