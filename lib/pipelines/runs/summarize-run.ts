/**
 * "Summarize Run": after the shards ran (or setup failed), decides the run's outcome and
 * builds what the next states write without further logic: the Runs item update (as
 * DynamoDB attribute values, for the direct integration) and, on failure or anomaly, a
 * readable notification.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import * as v from '../../shared/validation';
import { classifyFailure, FAILURE_HINTS, type ClassifiedFailure, type FailureClass } from './classify-failure';
import { mainContainer, parseEcsTask, parseEcsTaskCause, taskArchitecture, taskTime, type EcsTask } from './ecs-task';
import { estimateRunCost, runTransitions, type Architecture, type RunCost, type TaskUsage } from './run-cost';
import type { RegionPrices } from '../../shared/pricing/prices';
import { formatUsd } from '../../shared/pricing/format';
import { renderNotice, runNotice } from '../../shared/notices';
import { RunStepInputError } from './errors';
import { ShardAttemptSchema, type ShardAttempt } from '../../contracts/retry';

const FailureSchema = v.looseObject({ Error: v.string(), Cause: v.string().optional() });

/** The state as the state machine passes it: the execution input plus what the states added. */
export const SummarizeRunRequestSchema = v.strictObject({
  run: v.looseObject({
    pipeline: v.string(),
    runKey: v.string(),
    batchKey: v.string(),
    executionName: v.string(),
    task: v.looseObject({
      taskDefinition: v.string(),
      container: v.string(),
      launch: v.enum(['sync', 'callback', 'activity']),
      // What the cost estimate needs when the ECS task itself does not say (callback shards).
      cpu: v.number().optional(),
      memory: v.number().optional(),
      maxConcurrency: v.number().int().optional(),
      capacity: v.enum(['fargate', 'fargate-spot', 'ec2']).optional(),
      architecture: v.enum(['X86_64', 'ARM64']).optional(),
    }),
    shards: v.array(v.looseObject({ index: v.number().int(), count: v.number().int() })),
    alarms: v.looseObject({
      maxRuntimeSeconds: v.number().optional(),
      maxRecordsAffected: v.number().optional(),
      maxRunCostUsd: v.number().optional(),
    }),
    /** After Run Shards: one outcome per shard, in shard order (the Map replaced the launches). */
    prepared: v.looseObject({ shardRuns: v.array(v.unknown()) }).optional(),
    /** Set when a state before or around the shards failed. */
    failure: FailureSchema.optional(),
  }),
  executionArn: v.string(),
  startedAt: v.string(),
});
export type SummarizeRunRequest = v.Infer<typeof SummarizeRunRequestSchema>;

export interface ShardResult {
  index: number;
  status: 'SUCCEEDED' | 'FAILED';
  exitCode: number | null;
  stopReason: string | null;
  recordsAffected: number | null;
  errorClass?: FailureClass;
  errorMessage?: string;
  /** The shard's ECS task, when its outcome names it: the notification links its log. */
  taskArn?: string;
  /** Tries of the shard, the last one included (task.retry by failure class). */
  attempts: number;
  /** The failed tries that were tried again, oldest first (present when there were any). */
  retried?: ShardAttempt[];
}

export interface RunResult {
  status: 'SUCCEEDED' | 'FAILED';
  shards: ShardResult[];
  errorClass: FailureClass | null;
  errorMessage: string | null;
  recordsAffected: number | null;
  /** Estimated from the tasks' billed time and the execution's transitions; null without prices. */
  cost: RunCost | null;
}

export interface RunSummary {
  status: 'SUCCEEDED' | 'FAILED';
  result: RunResult;
  endedAt: string;
  durationMs: number;
  anomalies: string[];
  notify: boolean;
  notification: { subject: string; message: string };
  /** Error/Cause the execution ends with when the run failed. */
  error: string;
  cause: string;
  /** ExpressionAttributeValues of "Record Run Result" (SET status, endedAt, durationMs, result). */
  attributeValues: Record<string, AttributeValue>;
}

export interface SummarizeRunDeps {
  clock: () => Date;
  /** Names the stack in the notification subject. */
  stack?: { service: string; stage: string };
  /** Where the pipeline containers log (awslogs), for links to each task's log stream. */
  taskLogs?: { region: string; logGroup: string };
  /** The region's prices (lib/shared/pricing): without them the run carries no cost estimate. */
  prices?: RegionPrices;
}

const SyncOutcomeSchema = v.looseObject({ launch: v.literal('sync'), task: v.unknown() });
// An activity worker reports like a callback container: SendTaskSuccess with the result.
const CallbackOutcomeSchema = v.looseObject({ launch: v.enum(['callback', 'activity']), output: v.unknown() });
const CallbackOutputSchema = v.looseObject({ recordsAffected: v.number().int().nonnegative().optional() });

/**
 * A shard's outcome from the Map: `{outcome | failure, attempt, retried}` (Keep Shard Outcome /
 * Keep Shard Failure); a bare outcome (definitions before retries) is one try.
 */
const TriedOutcomeSchema = v.looseObject({
  outcome: v.unknown().optional(),
  failure: FailureSchema.optional(),
  attempt: v.number().int().min(1),
  retried: v.array(ShardAttemptSchema),
});

function unwrapOutcome(outcome: unknown): { outcome: unknown; attempts: number; retried: ShardAttempt[] } {
  const tried = TriedOutcomeSchema.safeParse(outcome);
  if (tried.success && (tried.data.outcome !== undefined || tried.data.failure !== undefined)) {
    return { outcome: tried.data.failure ?? tried.data.outcome, attempts: tried.data.attempt, retried: tried.data.retried };
  }
  return { outcome, attempts: 1, retried: [] };
}

function shardResult(index: number, tried: unknown, container: string): ShardResult {
  const { outcome, attempts, retried } = unwrapOutcome(tried);
  return { ...tryResult(index, outcome, container), attempts, ...(retried.length ? { retried } : {}) };
}

function tryResult(index: number, outcome: unknown, container: string): Omit<ShardResult, 'attempts'> {
  const failed = FailureSchema.safeParse(outcome);
  if (failed.success) {
    const classified = classifyFailure({ error: failed.data.Error, cause: failed.data.Cause }, container);
    return withTask(failedShard(index, classified), parseEcsTaskCause(failed.data.Cause)?.taskArn);
  }
  const sync = SyncOutcomeSchema.safeParse(outcome);
  if (sync.success) {
    const task = parseEcsTask(sync.data.task);
    const main = task ? mainContainer(task, container) : undefined;
    const exitCode = typeof main?.exitCode === 'number' ? main.exitCode : null;
    const stopReason = task ? [task.stopCode, task.stoppedReason].filter(Boolean).join(': ') || null : null;
    if (exitCode !== null && exitCode !== 0) {
      // Step Functions fails a .sync task on a non-zero essential exit; kept for other essentials.
      return withTask(
        failedShard(index, classifyFailure({ error: 'States.TaskFailed', cause: JSON.stringify(sync.data.task) }, container)),
        task?.taskArn,
      );
    }
    return withTask({ index, status: 'SUCCEEDED', exitCode, stopReason, recordsAffected: null }, task?.taskArn);
  }
  const callback = CallbackOutcomeSchema.safeParse(outcome);
  if (callback.success) {
    const output = CallbackOutputSchema.safeParse(callback.data.output);
    return {
      index,
      status: 'SUCCEEDED',
      exitCode: null,
      stopReason: null,
      recordsAffected: output.success ? (output.data.recordsAffected ?? null) : null,
    };
  }
  throw new RunStepInputError(`Summarize Run: shard ${index} has an outcome of unknown shape: ${JSON.stringify(outcome).slice(0, 300)}`);
}

/**
 * The awslogs stream prefix of a task definition: resources/ecs.yml uses the registry's
 * task definition name, i.e. the family without `<service>-<stage>-`.
 */
function logStreamPrefix(family: string, stack: { service: string; stage: string } | undefined): string {
  const prefix = stack ? `${stack.service}-${stack.stage}-` : '';
  return prefix && family.startsWith(prefix) ? family.slice(prefix.length) : family;
}

type TryResult = Omit<ShardResult, 'attempts'>;
const withTask = (shard: TryResult, taskArn: string | undefined): TryResult => (taskArn ? { ...shard, taskArn } : shard);

/** A state before or around the shards failed: no container ran, so no container class applies. */
function setupFailureOf(error: string, cause: string | undefined): ClassifiedFailure {
  let detail = cause ?? '';
  try {
    // A failed Lambda step's cause is {"errorType","errorMessage","trace"}.
    const lambda = v.looseObject({ errorMessage: v.string() }).safeParse(JSON.parse(detail));
    if (lambda.success) detail = lambda.data.errorMessage;
  } catch {
    // Plain text cause.
  }
  const message = `${error}${detail ? `: ${detail.slice(0, 500)}` : ''}`;
  return { errorClass: 'unknown', message, exitCode: null, stopReason: null, hint: FAILURE_HINTS.unknown };
}

function failedShard(index: number, classified: ClassifiedFailure): Omit<ShardResult, 'attempts'> {
  return {
    index,
    status: 'FAILED',
    exitCode: classified.exitCode,
    stopReason: classified.stopReason,
    recordsAffected: null,
    errorClass: classified.errorClass,
    errorMessage: classified.message,
  };
}

type RunRequest = SummarizeRunRequest['run'];

/** The ECS task an outcome names: the `.sync` result, or the task in a failure's cause. */
function outcomeTask(tried: unknown): EcsTask | undefined {
  const { outcome } = unwrapOutcome(tried);
  const failed = FailureSchema.safeParse(outcome);
  if (failed.success) return parseEcsTaskCause(failed.data.Cause);
  const sync = SyncOutcomeSchema.safeParse(outcome);
  return sync.success ? parseEcsTask(sync.data.task) : undefined;
}

/**
 * One shard's billed task, as far as the run knows it. A task description (`.sync`, or a
 * failure that carries it) gives its own times, size, provider and architecture. A callback
 * shard's output carries none: its task is taken to have run as long as the run, in waves of
 * task.maxConcurrency (each task is billed until it exits, seconds after its callback). A
 * shard that failed for want of capacity never had a task; an EC2 shard's cost is its
 * instance's, shared with whatever else ran there, so it has no estimate of its own.
 */
function shardUsage(
  outcome: unknown,
  shard: ShardResult,
  run: RunRequest,
  runSeconds: number,
): (TaskUsage & { estimated?: boolean }) | undefined {
  // EC2 tasks are billed through their instances (the stack's capacity), not per task.
  if (run.task.capacity === 'ec2') return undefined;
  const requested = {
    cpu: run.task.cpu ?? 256,
    memory: run.task.memory ?? 512,
    capacity: run.task.capacity === 'fargate-spot' ? ('FARGATE_SPOT' as const) : ('FARGATE' as const),
    architecture: (run.task.architecture ?? 'X86_64') as Architecture,
  };
  const task = outcomeTask(outcome);
  const stopped = taskTime(task?.stoppedAt);
  const began = taskTime(task?.pullStartedAt) ?? taskTime(task?.startedAt) ?? taskTime(task?.createdAt);
  if (task && stopped !== undefined && began !== undefined) {
    return {
      cpu: Number(task.cpu ?? requested.cpu) || requested.cpu,
      memory: Number(task.memory ?? requested.memory) || requested.memory,
      seconds: Math.max(0, (stopped - began) / 1000),
      capacity:
        task.capacityProviderName === 'FARGATE_SPOT'
          ? 'FARGATE_SPOT'
          : task.capacityProviderName === 'FARGATE'
            ? 'FARGATE'
            : requested.capacity,
      architecture: taskArchitecture(task) ?? requested.architecture,
    };
  }
  if (shard.errorClass === 'capacity') return undefined;
  const waves = Math.ceil(run.shards.length / Math.max(1, Math.min(run.task.maxConcurrency ?? run.shards.length, run.shards.length)));
  return { ...requested, seconds: runSeconds / waves, estimated: true };
}

/**
 * Every try of a shard: the last one (shardUsage), and each failed try that was tried again,
 * as its task was billed (Decide Shard Retry records the times a `.sync` failure carries), on
 * the capacity it ran on. A last try estimated from the run's duration already spans the tries
 * before it, so their times are not added again; a try without recorded times (no task: no
 * capacity) adds nothing.
 */
function shardTries(outcome: unknown, shard: ShardResult, run: RunRequest, runSeconds: number): TaskUsage[] {
  // EC2 tasks are billed through their instances (shardUsage), whichever try.
  if (run.task.capacity === 'ec2') return [];
  const last = shardUsage(outcome, shard, run, runSeconds);
  if (last?.estimated) {
    const { estimated: _estimated, ...usage } = last;
    return [usage];
  }
  const tries: TaskUsage[] = (shard.retried ?? []).flatMap((attempt) =>
    attempt.taskStartedAt !== undefined && attempt.taskStoppedAt !== undefined
      ? [
          {
            cpu: run.task.cpu ?? 256,
            memory: run.task.memory ?? 512,
            seconds: Math.max(0, (attempt.taskStoppedAt - attempt.taskStartedAt) / 1000),
            capacity: attempt.capacityProvider === 'FARGATE_SPOT' ? ('FARGATE_SPOT' as const) : ('FARGATE' as const),
            architecture: (run.task.architecture ?? 'X86_64') as Architecture,
            retried: true,
          },
        ]
      : [],
  );
  return last ? [...tries, last] : tries;
}

function runCostOf(
  run: RunRequest,
  shards: ShardResult[],
  setupFailed: boolean,
  notified: boolean,
  durationMs: number,
  prices: RegionPrices,
): RunCost {
  const outcomes = run.prepared?.shardRuns ?? [];
  const tasks = setupFailed ? [] : shards.flatMap((shard, i) => shardTries(outcomes[i], shard, run, durationMs / 1000));
  const transitions = runTransitions({
    shards: shards.length,
    retries: shards.reduce((sum, shard) => sum + (shard.retried?.length ?? 0), 0),
    failedShards: shards.filter((s) => s.status === 'FAILED').length,
    notified,
    shardsRan: !setupFailed,
  });
  return estimateRunCost({ tasks, transitions }, prices);
}

/** "spot-interruption on FARGATE_SPOT, image-pull on FARGATE": the class of each try, last included. */
function attemptClasses(shard: ShardResult): string {
  const tries = [...(shard.retried ?? []).map((a) => `${a.errorClass} on ${a.capacityProvider}`), shard.errorClass ?? 'unknown'];
  return tries.join(', then ');
}

function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}h ${m}m ${s}s` : m ? `${m}m ${s}s` : `${s}s`;
}

/**
 * Summarizes a finished run.
 * Primary course: one result per shard (classified when failed), overall status, records
 * affected, duration and anomalies against the pipeline's alarm thresholds, the Runs item
 * values and a notification when the run failed or looks wrong.
 */
export function summarizeRun(request: unknown, deps: SummarizeRunDeps): RunSummary {
  const parsed = SummarizeRunRequestSchema.safeParse(request);
  if (!parsed.success) {
    throw new RunStepInputError(`Summarize Run: the state is invalid: ${v.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  const { run, executionArn, startedAt } = parsed.data;
  const ended = deps.clock();
  const durationMs = Math.max(0, ended.getTime() - Date.parse(startedAt));

  let shards: ShardResult[] = [];
  let setupFailure: ClassifiedFailure | undefined;
  if (run.failure) {
    setupFailure = setupFailureOf(run.failure.Error, run.failure.Cause);
  } else if (run.prepared) {
    const outcomes = run.prepared.shardRuns;
    if (outcomes.length !== run.shards.length) {
      throw new RunStepInputError(`Summarize Run: ${outcomes.length} shard outcomes for ${run.shards.length} shards`);
    }
    shards = outcomes.map((outcome, i) => shardResult(run.shards[i]!.index, outcome, run.task.container));
  } else {
    throw new RunStepInputError('Summarize Run: neither shard outcomes nor a failure in the state');
  }

  const failedShards = shards.filter((s) => s.status === 'FAILED');
  const status = setupFailure || failedShards.length ? 'FAILED' : 'SUCCEEDED';
  const firstFailed = failedShards[0];
  const errorClass = setupFailure?.errorClass ?? firstFailed?.errorClass ?? null;
  const errorMessage = setupFailure
    ? `the run could not start its tasks: ${setupFailure.message}`
    : firstFailed
      ? `${failedShards.length} of ${shards.length} shard(s) failed; shard ${firstFailed.index}: ${firstFailed.errorMessage}` +
        ` (${firstFailed.errorClass}${firstFailed.attempts > 1 ? `, after ${firstFailed.attempts} attempts: ${attemptClasses(firstFailed)}` : ', 1 attempt'})`
      : null;
  const known = shards.map((s) => s.recordsAffected).filter((n): n is number => n !== null);
  const recordsAffected = known.length ? known.reduce((a, b) => a + b, 0) : null;
  const anomalies: string[] = [];
  const { maxRuntimeSeconds, maxRecordsAffected, maxRunCostUsd } = run.alarms;
  if (maxRuntimeSeconds !== undefined && durationMs > maxRuntimeSeconds * 1000) {
    anomalies.push(
      `ran ${formatDuration(durationMs)}, above the ${formatDuration(maxRuntimeSeconds * 1000)} threshold (alarms.maxRuntimeSeconds)`,
    );
  }
  if (maxRecordsAffected !== undefined && recordsAffected !== null && recordsAffected > maxRecordsAffected) {
    anomalies.push(`affected ${recordsAffected} records, above the ${maxRecordsAffected} threshold (alarms.maxRecordsAffected)`);
  }
  // The cost counts the notify state only when one follows; the threshold is checked without it.
  const costOf = (notified: boolean) =>
    deps.prices ? runCostOf(run, shards, setupFailure !== undefined, notified, durationMs, deps.prices) : null;
  if (maxRunCostUsd !== undefined) {
    const estimate = costOf(false);
    if (estimate && estimate.usd > maxRunCostUsd) {
      anomalies.push(
        `cost an estimated ${formatUsd(estimate.usd)}, above the ${formatUsd(maxRunCostUsd)} threshold (alarms.maxRunCostUsd)`,
      );
    }
  }
  const notify = status === 'FAILED' || anomalies.length > 0;
  const cost = costOf(notify);
  const result: RunResult = { status, shards, errorClass, errorMessage, recordsAffected, cost };

  const hint = setupFailure?.hint ?? (firstFailed?.errorClass ? FAILURE_HINTS[firstFailed.errorClass] : undefined);
  // One format for every notice people get (lib/shared/notices): alarms, batches, runs.
  const rendered = renderNotice(
    runNotice({
      stack: deps.stack,
      pipeline: run.pipeline,
      batchKey: run.batchKey,
      runKey: run.runKey,
      status,
      errorClass,
      errorMessage,
      hint,
      anomalies,
      shards,
      startedAt,
      endedAt: ended.toISOString(),
      durationMs,
      recordsAffected,
      cost,
      executionArn,
      ...(deps.taskLogs
        ? {
            taskLogs: {
              ...deps.taskLogs,
              container: run.task.container,
              streamPrefix: logStreamPrefix(run.task.taskDefinition, deps.stack),
            },
          }
        : {}),
    }),
  );

  const error = status === 'FAILED' ? `Run.${errorClass ?? 'unknown'}` : '';
  const cause = errorMessage ?? '';
  return {
    status,
    result,
    endedAt: ended.toISOString(),
    durationMs,
    anomalies,
    notify,
    notification: { subject: rendered.subject, message: rendered.message },
    error,
    cause,
    attributeValues: {
      ':status': { S: status },
      ':endedAt': { S: ended.toISOString() },
      ':durationMs': { N: String(durationMs) },
      ':result': { M: marshall(result, { removeUndefinedValues: true }) },
      ':executionName': { S: run.executionName },
    },
  };
}
