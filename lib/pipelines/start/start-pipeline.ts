/**
 * Starts exactly one execution of a pipeline for one run key.
 *
 * Primary course:
 *  1. take the run lock: one conditional PutItem on Runs (STARTING, with a lease);
 *  2. StartExecution with a name derived from run key and attempt.
 * The state machine's first state records the execution ARN, ends the lease and moves the
 * run to RUNNING (then SUCCEEDED / FAILED): this code never writes after the lock, so a
 * batch start costs two writes (this lock and the fan-in's started mark on the batch).
 *
 * A pipeline under a concurrency limit (task.maxConcurrentRuns, or the stack-wide limit): the
 * locked run waits as QUEUED in arrival order and a dispatch starts the queued runs that fit
 * (run-control.ts); this run is "started" if that was its turn, else "queued".
 *
 * Alternatives: the lock is held → report who holds it ("already-started"; while the
 * holder's lease is live and its execution does not exist yet, "in-progress", which the
 * caller retries). A crash after the lock → the lease expires, the
 * retry takes the lock over and derives the SAME execution name, so Step Functions
 * (`ExecutionAlreadyExists`, also success) prevents a second execution.
 */
import type { StepFunctions } from '../adapters/step-functions';
import type { RunItem, RunsTable } from '../adapters/runs-table';
import { executionName } from '../execution-name';
import { ExecutionInputSchema, type BatchObject, type ExecutionInput, type TriggerKind } from '../../contracts/messages';
import type { CompletedBy, PipelineIndex } from '../../registry/registry';
import { eventFitsInline, MAX_INLINE_OBJECTS_CHARS } from '../../contracts/task-contract';
import { RunNotFinishedError, StartExecutionError, UnknownPipelineError } from './errors';
import { dispatchQueuedRuns, limitsOf, type RunControl } from './run-control';
import { resolveTaskSettings } from './task-settings';

export interface StartRunRequest {
  pipeline: string;
  runKey: string;
  batchKey: string;
  trigger: TriggerKind;
  objects: BatchObject[];
  /** `events` and `queue` runs: the event or message body, passed to the container (ctx.event). */
  event?: unknown;
  /** Schedule runs: the fire time, passed to the container as SCHEDULED_TIME. */
  scheduledTime?: Date;
  /** A fresh attempt of a run key whose last attempt finished (manual `force: true`). */
  force?: boolean;
  /** Batch runs: the rule that completed the batch (recorded on the Runs item, listed by opsListRuns). */
  completedBy?: CompletedBy;
}

export interface StartPipelineDeps {
  runs: RunsTable;
  sfn: StepFunctions;
  clock: () => Date;
  registry: PipelineIndex;
  leaseSeconds: number;
  service: string;
  stage: string;
  /** Concurrency limits: the queue and the stack-wide limit (per pipeline: the registry). */
  runControl: RunControl;
}

interface RunRef {
  runKey: string;
  attempt: number;
  executionName: string;
}

export type StartOutcome =
  | (RunRef & { status: 'started'; executionArn: string })
  /** The run key has an execution (this or an earlier attempt): nothing to do. */
  | (RunRef & { status: 'already-started'; executionArn?: string; runStatus: RunItem['status'] })
  /** Another caller holds a live lease and is starting it right now. */
  | (RunRef & { status: 'in-progress'; leaseExpiresAt: number })
  /** Locked and waiting for a concurrency slot (QUEUED); `queueSeq` is its place in the arrival order. */
  | (RunRef & { status: 'queued'; queueSeq: number });

const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

/** How a lock loser reads the holder. */
function outcomeOfHolder(holder: RunItem, now: number): StartOutcome {
  const ref = { runKey: holder.pk, attempt: holder.attempt, executionName: holder.executionName };
  if (holder.status === 'STARTING' && !holder.executionArn && holder.leaseExpiresAt !== undefined && holder.leaseExpiresAt >= now) {
    return { ...ref, status: 'in-progress', leaseExpiresAt: holder.leaseExpiresAt };
  }
  return {
    ...ref,
    status: 'already-started',
    runStatus: holder.status,
    ...(holder.executionArn ? { executionArn: holder.executionArn } : {}),
  };
}

/** Attempt number and lock mode for a forced run, from the run key's current item. */
async function forcedAttempt(
  request: StartRunRequest,
  runs: RunsTable,
  now: number,
): Promise<{ attempt: number; replaces?: number } | StartOutcome> {
  const previous = await runs.get(request.runKey);
  if (!previous) return { attempt: 1 };
  if (previous.status === 'SUCCEEDED' || previous.status === 'FAILED') return { attempt: previous.attempt + 1, replaces: previous.attempt };
  if (previous.status === 'STARTING' && !previous.executionArn) {
    // A forced start that crashed after its lock: recover it under its own attempt (same name).
    if ((previous.leaseExpiresAt ?? 0) < now) return { attempt: previous.attempt };
    return outcomeOfHolder(previous, now);
  }
  throw new RunNotFinishedError(
    request.runKey,
    previous.attempt,
    previous.status === 'STARTING' ? 'starting' : previous.status,
    previous.executionArn,
  );
}

export async function startPipeline(request: StartRunRequest, deps: StartPipelineDeps): Promise<StartOutcome> {
  const { runs, sfn, clock, registry } = deps;
  const pipeline = registry.get(request.pipeline);
  if (!pipeline) throw new UnknownPipelineError(request.pipeline, registry.names);

  const nowDate = clock();
  const now = epochSeconds(nowDate);
  let attempt = 1;
  let replaces: number | undefined;
  if (request.force) {
    const forced = await forcedAttempt(request, runs, now);
    if ('status' in forced) return forced;
    ({ attempt, replaces } = forced);
  }

  const name = executionName({ pipeline: request.pipeline, batchKey: request.batchKey, runKey: request.runKey, attempt });
  // ECS container overrides hold 8,192 characters: a long object list travels on the Runs item.
  const inline = JSON.stringify(request.objects).length <= MAX_INLINE_OBJECTS_CHARS;
  const scheduledTime = request.scheduledTime?.toISOString();
  // The event travels like the object list: inline when it fits the overrides, else on the Runs item.
  const eventJson = request.event === undefined ? undefined : JSON.stringify(request.event);
  const eventInline = eventJson !== undefined && eventFitsInline(eventJson);
  const input: ExecutionInput = ExecutionInputSchema.parse({
    pipeline: request.pipeline,
    runKey: request.runKey,
    batchKey: request.batchKey,
    trigger: request.trigger,
    ...(scheduledTime ? { scheduledTime } : {}),
    requestedAt: nowDate.toISOString(),
    executionName: name,
    objects: inline ? request.objects : [],
    ...(inline ? {} : { objectsPointer: { table: 'runs', runKey: request.runKey } }),
    ...(eventJson === undefined ? {} : eventInline ? { event: eventJson } : { eventPointer: { table: 'runs', runKey: request.runKey } }),
    ...resolveTaskSettings(request.pipeline, pipeline, deps),
  });

  const lock = await runs.acquireLock({
    runKey: request.runKey,
    pipeline: request.pipeline,
    batchKey: request.batchKey,
    trigger: request.trigger,
    attempt,
    executionName: name,
    requestedAt: input.requestedAt,
    ...(scheduledTime ? { scheduledTime } : {}),
    ...(request.completedBy ? { completedBy: request.completedBy } : {}),
    now,
    leaseExpiresAt: now + deps.leaseSeconds,
    ...(inline ? {} : { objects: request.objects }),
    ...(eventJson !== undefined && !eventInline ? { event: eventJson } : {}),
    ...(replaces !== undefined ? { replacesFinishedAttempt: replaces } : {}),
  });
  if (!lock.acquired) {
    if (!lock.holder) {
      // The condition failed on an item that is gone now (deleted by hand): let the caller retry.
      throw new StartExecutionError(`run lock on "${request.runKey}" was refused but the Runs item is gone; retry`);
    }
    const outcome = outcomeOfHolder(lock.holder, now);
    if (outcome.status !== 'in-progress') return outcome;
    // A live lease also covers the moment between a successful start and the state
    // machine's first write: the execution itself says which it is (a read, not a write).
    const executionArn = await sfn.findExecution(outcome.executionName);
    return executionArn
      ? {
          runKey: outcome.runKey,
          attempt: outcome.attempt,
          executionName: outcome.executionName,
          status: 'already-started',
          runStatus: 'STARTING',
          executionArn,
        }
      : outcome;
  }

  if (limitsOf(request.pipeline, deps).length > 0)
    return queueRun({ runKey: request.runKey, attempt, executionName: name, input, now }, deps);

  let started;
  try {
    started = await sfn.startExecution({ name, input: JSON.stringify(input) });
  } catch (error) {
    // Not started (or unknown: a timeout may have started it; the same name covers that).
    // Releasing the lease lets the source's retry take over at once instead of after it.
    const message = `StartExecution of "${name}" for run "${request.runKey}" failed: ${(error as Error).message}`;
    try {
      await runs.releaseLease(request.runKey, attempt);
    } catch (releaseError) {
      throw new StartExecutionError(`${message} (and releasing the lease failed; a retry takes over when it expires)`, {
        cause: new AggregateError([error, releaseError]),
      });
    }
    throw new StartExecutionError(message, { cause: error });
  }
  // No write here: the state machine's first state records the execution ARN and ends the
  // lease, which keeps a batch start at two writes (the lock and the batch's started mark).
  const ref = { runKey: request.runKey, attempt, executionName: name, executionArn: started.executionArn };
  return started.alreadyExisted ? { ...ref, status: 'already-started', runStatus: 'STARTING' } : { ...ref, status: 'started' };
}

/** The locked run waits for a slot; the dispatch then starts whatever fits, this run perhaps. */
async function queueRun(run: RunRef & { input: ExecutionInput; now: number }, deps: StartPipelineDeps): Promise<StartOutcome> {
  const { queue } = deps.runControl;
  const queueSeq = await queue.nextSeq();
  const queued = await queue.enqueue({
    runKey: run.runKey,
    executionName: run.executionName,
    seq: queueSeq,
    input: JSON.stringify(run.input),
    queuedAt: run.input.requestedAt,
  });
  if (!queued) {
    // The lease ran out and another caller took the lock over: it is theirs to queue.
    const holder = await deps.runs.get(run.runKey);
    if (!holder) throw new StartExecutionError(`run lock on "${run.runKey}" was lost and the Runs item is gone; retry`);
    return outcomeOfHolder(holder, run.now);
  }
  const dispatched = await dispatchQueuedRuns(deps);
  const mine = dispatched.started.find((started) => started.runKey === run.runKey);
  const ref = { runKey: run.runKey, attempt: run.attempt, executionName: run.executionName };
  return mine ? { ...ref, status: 'started', executionArn: mine.executionArn } : { ...ref, status: 'queued', queueSeq };
}
