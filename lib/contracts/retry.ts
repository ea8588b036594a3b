/**
 * Retries by failure class: the settings a run carries (pipelines.yml task.retry, defaults
 * filled in) from the registry through the execution input to the shard launches, and what
 * each failed try of a shard leaves in the run's record. Shared by the registry schema, the
 * start side (task settings) and the state machine's steps.
 */
import * as v from '../shared/validation';

const BackoffRetrySchema = v.strictObject({
  attempts: v.number().int().min(0),
  intervalSeconds: v.number().int().min(1),
  backoff: v.number().min(1),
});

export const RunRetrySettingsSchema = v.strictObject({
  capacity: BackoffRetrySchema,
  spotInterruption: v.strictObject({ attempts: v.number().int().min(0), fallbackToOnDemand: v.boolean() }),
  imagePull: BackoffRetrySchema,
  containerError: BackoffRetrySchema,
});
export type RunRetrySettings = v.Infer<typeof RunRetrySettingsSchema>;

/** What a pipeline gets without `task.retry` (README "Retries by failure class"). */
export const DEFAULT_RETRY = {
  capacity: { attempts: 4, intervalSeconds: 30, backoff: 2 },
  spotInterruption: { attempts: 2, fallbackToOnDemand: true },
  imagePull: { attempts: 2, intervalSeconds: 30, backoff: 2 },
  containerError: { attempts: 0, intervalSeconds: 30, backoff: 2 },
} as const satisfies RunRetrySettings;

/** The retry setting (task.retry.<key>) that governs each failure class; classes without one are never retried. */
export const RETRY_KEY_OF_CLASS = {
  capacity: 'capacity',
  'spot-interruption': 'spotInterruption',
  'image-pull': 'imagePull',
  'container-error': 'containerError',
  'out-of-memory': 'containerError',
} as const satisfies Record<string, keyof RunRetrySettings>;

/** One failed try of a shard that was tried again: kept in the shard's outcome and the run's record. */
export const ShardAttemptSchema = v.strictObject({
  /** 1 for the first try. */
  attempt: v.number().int().min(1),
  capacityProvider: v.string(),
  errorClass: v.string(),
  errorMessage: v.string(),
  stopReason: v.string().nullish(),
  taskArn: v.string().optional(),
  /**
   * The try's task as Fargate bills it, epoch ms: from the start of its image pull (or its
   * start) to its stop, when the failure carried its task (a `.sync` shard). The run's cost
   * estimate counts every try's time, not only the last one's.
   */
  taskStartedAt: v.number().optional(),
  taskStoppedAt: v.number().optional(),
  /** How long the state machine waited before the next try. */
  retryAfterSeconds: v.number().int().min(0),
  /** Where the next try ran, when it changed (Spot interruption with fallbackToOnDemand). */
  nextCapacityProvider: v.string().optional(),
});
export type ShardAttempt = v.Infer<typeof ShardAttemptSchema>;
