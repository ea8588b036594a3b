/**
 * The messages that cross a boundary between parts of the system, each with its zod
 * schema: what the watcher puts on Kinesis, what start-pipeline hands the state machine,
 * and what the Runs table holds. Validate at every edge; never `JSON.parse(x) as T`.
 */
import * as z from 'zod';

/** One accepted S3 object, as the watcher writes it to Kinesis (partition key `pipeline#batchKey`). */
export const FileArrivalSchema = z.strictObject({
  pipeline: z.string(),
  batchKey: z.string(),
  file: z.string(),
  bucket: z.string(),
  /** Decoded key, exactly as stored in S3. */
  key: z.string(),
  size: z.number().int().nonnegative(),
  etag: z.string(),
  versionId: z.string().optional(),
  /** Hex string ordering events of one key; compare with `compareSequencers`. */
  sequencer: z.string().optional(),
  eventTime: z.string(),
  /** Which delivery path brought it: for logs and metrics. */
  source: z.enum(['s3', 'eventbridge', 'sqs', 'sns', 'manual']),
});
export type FileArrival = z.infer<typeof FileArrivalSchema>;

/** One object of a batch as the run sees it. */
export const BatchObjectSchema = z.strictObject({
  file: z.string(),
  bucket: z.string(),
  key: z.string(),
  size: z.number().int().nonnegative(),
  etag: z.string(),
  versionId: z.string().optional(),
  sequencer: z.string().optional(),
});
export type BatchObject = z.infer<typeof BatchObjectSchema>;

export const TriggerKindSchema = z.enum(['s3', 'schedule', 'manual']);
export type TriggerKind = z.infer<typeof TriggerKindSchema>;

/** Task settings resolved from the registry for one run. */
export const RunTaskSettingsSchema = z.strictObject({
  /** Task definition family (`<service>-<stage>-<name>`); ECS runs its latest ACTIVE revision. */
  taskDefinition: z.string(),
  container: z.string(),
  command: z.array(z.string()).optional(),
  cpu: z.number().int(),
  memory: z.number().int(),
  shards: z.number().int().min(1).max(20),
  maxConcurrency: z.number().int().min(1).max(20),
  launch: z.enum(['sync', 'callback']),
  timeoutSeconds: z.number().int(),
  heartbeatSeconds: z.number().int(),
  spot: z.boolean(),
  environment: z.array(z.strictObject({ name: z.string(), value: z.string() })),
});
export type RunTaskSettings = z.infer<typeof RunTaskSettingsSchema>;

/**
 * The Step Functions execution input. `objects` is inline when small; for a large
 * batch it is empty and `objectsPointer` names where the container reads the list
 * (ECS container overrides are limited to 8,192 characters).
 */
export const ExecutionInputSchema = z.strictObject({
  pipeline: z.string(),
  runKey: z.string(),
  batchKey: z.string(),
  trigger: TriggerKindSchema,
  requestedAt: z.string(),
  executionName: z.string(),
  objects: z.array(BatchObjectSchema),
  objectsPointer: z.strictObject({ table: z.literal('runs'), runKey: z.string() }).optional(),
  task: RunTaskSettingsSchema,
  /** One entry per shard, the Map state's items. */
  shards: z.array(z.strictObject({ index: z.number().int(), count: z.number().int() })),
  /** Thresholds the state machine and alarms compare against. */
  alarms: z.strictObject({ maxRuntimeSeconds: z.number().int().optional(), maxRecordsAffected: z.number().int().optional() }),
});
export type ExecutionInput = z.infer<typeof ExecutionInputSchema>;

export const RunStatusSchema = z.enum(['STARTING', 'RUNNING', 'SUCCEEDED', 'FAILED']);
export type RunStatus = z.infer<typeof RunStatusSchema>;

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
 *   startedRunKey, startedFingerprint (set after the run started: the second write per start).
 *
 * Runs, pk = run key (`pipeline#batchKey`, `pipeline#schedule#<time>`, `pipeline#manual#...`):
 *   pipeline, batchKey, trigger, status (RunStatus), leaseExpiresAt (epoch s, while STARTING),
 *   attempt, executionName, executionArn, requestedAt (ISO), startedAt, endedAt, durationMs,
 *   objects (list, only when the execution input carries objectsPointer), result (map, written
 *   by the state machine: status, shards [{index, exitCode, stopReason, recordsAffected}],
 *   errorClass, errorMessage, recordsAffected).
 */
