/**
 * The run context a pipeline container receives through ECS container overrides
 * (names in lib/contracts/task-contract.ts), read once and validated. A missing or malformed
 * variable fails with its name, so a bad task definition or override is obvious in the log.
 */
import * as v from '../../lib/shared/validation';
import { BatchObjectSchema, TriggerKindSchema, type BatchObject, type TriggerKind } from '../../lib/contracts/messages';
import { TASK_ENV } from '../../lib/contracts/task-contract';
import { TaskEnvError } from './errors';

export type ObjectsSource = { kind: 'inline'; objects: BatchObject[] } | { kind: 'runs-table'; table: string; runKey: string };

/** `events` and `queue` runs: the event inline (EVENT), or on the Runs item (EVENT_RUN_KEY). */
export type EventSource = { kind: 'inline'; event: unknown } | { kind: 'runs-table'; table: string; runKey: string };

/** `activity`: a worker's shard, its token from GetActivityTask; reported like a callback. */
export type Launch = { mode: 'sync' } | { mode: 'callback' | 'activity'; taskToken: string; heartbeatSeconds: number | undefined };

export interface TaskEnv {
  pipeline: string;
  runKey: string;
  batchKey: string;
  /** What started the run: `s3` (a complete batch), `schedule`, `manual`, `events` or `queue`. */
  trigger: TriggerKind;
  /** `events` and `queue` runs: where the event (or message body) is; undefined for other runs. */
  event: EventSource | undefined;
  /** Schedule runs: the schedule's fire time (the period the run is for), not the start of the task. */
  scheduledTime: Date | undefined;
  executionArn: string;
  /** Deployment stage: a metric dimension. Set by the task definition, not the overrides. */
  stage: string;
  shard: { index: number; count: number };
  objects: ObjectsSource;
  launch: Launch;
}

const text = v.string().min(1);
const shardIndex = v.coerce.number().int().min(0);
const shardCount = v.coerce.number().int().min(1).max(20);
const heartbeatSeconds = v.coerce.number().int().positive();
const objectsJson = v
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not JSON' });
      return v.NEVER;
    }
  })
  .pipe(v.array(BatchObjectSchema));
const eventJson = v.string().transform((raw, ctx) => {
  try {
    return JSON.parse(raw) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'is not JSON' });
    return v.NEVER;
  }
});
const scheduledTime = v.iso.datetime({ offset: true }).transform((value) => new Date(value));

/** The variable the worker reads besides the task contract's. */
export const STAGE_ENV = 'STAGE';

/** Reads the task's run context; throws TaskEnvError naming every variable at fault. */
export function readTaskEnv(env: NodeJS.ProcessEnv): TaskEnv {
  const problems: string[] = [];
  const get = <T>(name: string, schema: v.Schema<T>, required = true): T | undefined => {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      if (required) problems.push(`${name} is not set`);
      return undefined;
    }
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    const issue = parsed.error.issues[0];
    const where = issue && issue.path.length > 0 ? ` at ${issue.path.join('.')}` : '';
    problems.push(`${name}${where}: ${issue?.message ?? 'invalid'}`);
    return undefined;
  };

  const pipeline = get(TASK_ENV.PIPELINE, text);
  const runKey = get(TASK_ENV.RUN_KEY, text);
  const batchKey = get(TASK_ENV.BATCH_KEY, text);
  const trigger = get(TASK_ENV.TRIGGER, TriggerKindSchema);
  const fireTime = get(TASK_ENV.SCHEDULED_TIME, scheduledTime, trigger === 'schedule');
  const executionArn = get(TASK_ENV.EXECUTION_ARN, text);
  const stage = get(STAGE_ENV, text);
  const index = get(TASK_ENV.SHARD_INDEX, shardIndex);
  const count = get(TASK_ENV.SHARD_COUNT, shardCount);
  if (index !== undefined && count !== undefined && index >= count) {
    problems.push(`${TASK_ENV.SHARD_INDEX}=${index} is not below ${TASK_ENV.SHARD_COUNT}=${count}`);
  }

  let objects: ObjectsSource | undefined;
  const hasInline = Boolean(env[TASK_ENV.OBJECTS]);
  const hasPointer = Boolean(env[TASK_ENV.OBJECTS_RUN_KEY]);
  if (hasInline && hasPointer) {
    problems.push(`set either ${TASK_ENV.OBJECTS} or ${TASK_ENV.OBJECTS_RUN_KEY}, not both`);
  } else if (hasInline) {
    const list = get(TASK_ENV.OBJECTS, objectsJson);
    // A run of a batch has its files; only schedule and manual runs may come without any.
    if (list && list.length === 0 && trigger === 's3')
      problems.push(`${TASK_ENV.OBJECTS} is empty, but a run of an uploaded batch (${TASK_ENV.TRIGGER}=s3) has files`);
    else if (list) objects = { kind: 'inline', objects: list };
  } else if (hasPointer) {
    const pointer = get(TASK_ENV.OBJECTS_RUN_KEY, text);
    const table = get(TASK_ENV.RUNS_TABLE, text);
    if (pointer && table) objects = { kind: 'runs-table', table, runKey: pointer };
  } else {
    problems.push(`neither ${TASK_ENV.OBJECTS} nor ${TASK_ENV.OBJECTS_RUN_KEY} is set`);
  }

  let event: EventSource | undefined;
  const eventTrigger = trigger === 'events' || trigger === 'queue';
  if (env[TASK_ENV.EVENT] && env[TASK_ENV.EVENT_RUN_KEY]) {
    problems.push(`set either ${TASK_ENV.EVENT} or ${TASK_ENV.EVENT_RUN_KEY}, not both`);
  } else if (env[TASK_ENV.EVENT]) {
    const parsed = get(TASK_ENV.EVENT, eventJson);
    if (parsed !== undefined) event = { kind: 'inline', event: parsed };
  } else if (env[TASK_ENV.EVENT_RUN_KEY]) {
    const pointer = get(TASK_ENV.EVENT_RUN_KEY, text);
    const table = get(TASK_ENV.RUNS_TABLE, text);
    if (pointer && table) event = { kind: 'runs-table', table, runKey: pointer };
  } else if (eventTrigger) {
    problems.push(
      `neither ${TASK_ENV.EVENT} nor ${TASK_ENV.EVENT_RUN_KEY} is set, but a run of ${TASK_ENV.TRIGGER}=${trigger} has an event`,
    );
  }

  let launch: Launch | undefined;
  const mode = get(TASK_ENV.LAUNCH, v.enum(['sync', 'callback', 'activity']));
  if (mode === 'sync') launch = { mode };
  if (mode === 'callback' || mode === 'activity') {
    const taskToken = get(TASK_ENV.TASK_TOKEN, text);
    const beat = get(TASK_ENV.HEARTBEAT_SECONDS, heartbeatSeconds, false);
    if (taskToken) launch = { mode, taskToken, heartbeatSeconds: beat };
  }

  if (problems.length > 0) throw new TaskEnvError(`task environment is incomplete: ${problems.join('; ')}`);
  // Every field is defined once no problem was recorded.
  return {
    pipeline: pipeline!,
    runKey: runKey!,
    batchKey: batchKey!,
    trigger: trigger!,
    event,
    scheduledTime: fireTime,
    executionArn: executionArn!,
    stage: stage!,
    shard: { index: index!, count: count! },
    objects: objects!,
    launch: launch!,
  };
}

/**
 * The token alone, for reporting a failure when the rest of the environment is broken:
 * the execution should learn at once instead of waiting for its heartbeat timeout.
 */
export function taskTokenOf(env: NodeJS.ProcessEnv): string | undefined {
  const mode = env[TASK_ENV.LAUNCH];
  return (mode === 'callback' || mode === 'activity') && env[TASK_ENV.TASK_TOKEN] ? env[TASK_ENV.TASK_TOKEN] : undefined;
}
