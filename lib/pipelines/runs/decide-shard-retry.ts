/**
 * "Decide Shard Retry": a shard's try failed; classify the failure (classify-failure.ts) and
 * decide, from the pipeline's retries by failure class (task.retry), whether the shard is
 * tried again, after how long, and on which capacity provider. Step Functions' own Retry
 * cannot do this: its counts and intervals are fixed in the definition (one state machine
 * serves every pipeline) and it cannot change the RunTask parameters between tries (a Spot
 * interruption falls back to FARGATE), so the state machine loops through this step instead.
 *
 * A callback shard's container that ECS stops (SIGTERM) reports `TaskStopped` itself before the
 * task has stopped, so its failure does not say why ECS stopped it: for that error the step
 * reads the shard's task from ECS, and a Spot interruption there is classified as one.
 *
 * Primary course: classify → the class's setting → tries of that class so far below its
 * `attempts` → wait intervalSeconds × backoff^(tries so far) (between half and all of it,
 * so shards that failed together do not retry together) → the next try's launch, with the
 * failed try appended to `retried`.
 */
import * as v from '../../shared/validation';
import { DEFAULT_RETRY, RETRY_KEY_OF_CLASS, RunRetrySettingsSchema, ShardAttemptSchema, type ShardAttempt } from '../../contracts/retry';
import { classifyFailure } from './classify-failure';
import { parseEcsTaskCause, taskTime } from './ecs-task';
import { RunStepInputError } from './errors';
import type { EcsTasks, RunningTask } from './stop-abandoned-task';
import { TASK_ENV } from '../../contracts/task-contract';

/** The Map item as the failed RunTask state left it: the launch plus the caught failure. */
export const DecideShardRetryRequestSchema = v.looseObject({
  shard: v.looseObject({ index: v.number().int(), count: v.number().int() }),
  launch: v.enum(['sync', 'callback']),
  taskDefinition: v.string(),
  group: v.string(),
  container: v.string(),
  capacityProvider: v.string(),
  attempt: v.number().int().min(1),
  retried: v.array(ShardAttemptSchema),
  retry: RunRetrySettingsSchema.optional(),
  failure: v.looseObject({ Error: v.string(), Cause: v.string().optional() }),
});

export interface ShardRetryDecision {
  retry: boolean;
  waitSeconds: number;
  /** The next try's Map item (retry), or the failed one with its class (no retry). */
  next: Record<string, unknown>;
  errorClass: string;
}

/** Error messages kept per try: 20 shards × a few tries stay far below Step Functions' 256 KB state. */
const MAX_MESSAGE_CHARS = 300;

export interface DecideShardRetryDeps {
  /** 0 ≤ random() < 1: the jitter. */
  random: () => number;
  /** Where a stopped callback shard's task is looked up (without it, the failure is taken as reported). */
  ecs?: { tasks: EcsTasks; cluster: string };
}

/** The worker library's error for a stop signal (container/worker/errors.ts TaskStoppedError). */
export const WORKER_STOPPED_ERROR = 'TaskStopped';

const familyOf = (taskDefinition: string): string => taskDefinition.replace(/^arn:.*:task-definition\//, '').replace(/:\d+$/, '');

/** The newest task of this group and shard that ECS is stopping or stopped, if ECS still lists it. */
async function stoppedShardTask(
  item: { taskDefinition: string; group: string; shard: { index: number } },
  ecs: NonNullable<DecideShardRetryDeps['ecs']>,
): Promise<RunningTask | undefined> {
  const arns = await ecs.tasks.listStopped(ecs.cluster, familyOf(item.taskDefinition));
  const tasks: RunningTask[] = [];
  for (let i = 0; i < arns.length; i += 100) tasks.push(...(await ecs.tasks.describe(ecs.cluster, arns.slice(i, i + 100))));
  return tasks
    .filter(
      (t) => t.group === item.group && t.environment.some((e) => e.name === TASK_ENV.SHARD_INDEX && e.value === String(item.shard.index)),
    )
    .sort((a, b) => (b.createdAt ?? 0) - (a.createdAt ?? 0))[0];
}

/**
 * The failure to classify: as caught, except a callback container's own stop report, which is
 * replaced by its task's description when ECS says it stopped it for a Spot interruption.
 */
async function failureToClassify(
  item: v.Infer<typeof DecideShardRetryRequestSchema>,
  deps: DecideShardRetryDeps,
): Promise<{ error: string; cause: string | undefined }> {
  const caught = { error: item.failure.Error, cause: item.failure.Cause };
  if (item.launch !== 'callback' || item.failure.Error !== WORKER_STOPPED_ERROR || !deps.ecs) return caught;
  const task = await stoppedShardTask(item, deps.ecs);
  if (task?.stopCode !== 'SpotInterruption') return caught;
  // The stuck-callback guard's shape: what the classifier reads of a task.
  return {
    error: 'States.TaskFailed',
    cause: JSON.stringify({
      taskArn: task.taskArn,
      stopCode: task.stopCode,
      stoppedReason: task.stoppedReason,
      containers: task.containers ?? [],
    }),
  };
}

export async function decideShardRetry(request: unknown, deps: DecideShardRetryDeps): Promise<ShardRetryDecision> {
  const parsed = DecideShardRetryRequestSchema.safeParse(request);
  if (!parsed.success) {
    throw new RunStepInputError(`Decide Shard Retry: the shard's state is invalid: ${v.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const item = parsed.data;
  const settings = item.retry ?? DEFAULT_RETRY;
  const failure = await failureToClassify(item, deps);
  const classified = classifyFailure(failure, item.container);
  const key = (RETRY_KEY_OF_CLASS as Record<string, keyof typeof settings | undefined>)[classified.errorClass];
  const { failure: _failure, ...launch } = request as Record<string, unknown>;
  const noRetry: ShardRetryDecision = { retry: false, waitSeconds: 0, next: { ...(request as object) }, errorClass: classified.errorClass };
  if (!key) return noRetry;

  const setting = settings[key];
  const triesOfClass = item.retried.filter((a) => (RETRY_KEY_OF_CLASS as Record<string, string | undefined>)[a.errorClass] === key).length;
  if (triesOfClass >= setting.attempts) return noRetry;

  let waitSeconds = 0;
  let capacityProvider = item.capacityProvider;
  if (key === 'spotInterruption') {
    if (settings.spotInterruption.fallbackToOnDemand && capacityProvider === 'FARGATE_SPOT') capacityProvider = 'FARGATE';
  } else {
    const { intervalSeconds, backoff } = settings[key];
    const full = intervalSeconds * backoff ** triesOfClass;
    waitSeconds = Math.max(1, Math.round(full / 2 + (full / 2) * deps.random()));
  }
  const task = parseEcsTaskCause(failure.cause);
  // What the failed try's task was billed for (run-cost.ts), when the failure carries its times.
  const taskStartedAt = taskTime(task?.pullStartedAt) ?? taskTime(task?.startedAt) ?? taskTime(task?.createdAt);
  const taskStoppedAt = taskTime(task?.stoppedAt);
  const failed: ShardAttempt = {
    attempt: item.attempt,
    capacityProvider: item.capacityProvider,
    errorClass: classified.errorClass,
    errorMessage:
      classified.message.length > MAX_MESSAGE_CHARS ? `${classified.message.slice(0, MAX_MESSAGE_CHARS - 1)}…` : classified.message,
    stopReason: classified.stopReason,
    ...(task?.taskArn ? { taskArn: task.taskArn } : {}),
    ...(taskStartedAt !== undefined && taskStoppedAt !== undefined ? { taskStartedAt, taskStoppedAt } : {}),
    retryAfterSeconds: waitSeconds,
    ...(capacityProvider !== item.capacityProvider ? { nextCapacityProvider: capacityProvider } : {}),
  };
  return {
    retry: true,
    waitSeconds,
    next: { ...launch, capacityProvider, attempt: item.attempt + 1, retried: [...item.retried, failed] },
    errorClass: classified.errorClass,
  };
}
