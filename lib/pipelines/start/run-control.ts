/**
 * Concurrency limits: at most `task.maxConcurrentRuns` runs of a pipeline, and at most the
 * stack-wide limit of all runs, at once. A run beyond a limit waits as QUEUED, in arrival
 * order, and starts when a slot frees (README "Run control").
 *
 * Primary course of a dispatch: read the queued runs in arrival order → for each, take a slot
 * in every scope that limits it (its pipeline, the stack) → take the run (QUEUED → STARTING,
 * conditional, so two dispatchers never both start it) → StartExecution under the name it was
 * queued with (Step Functions refuses a second execution of a name) → the run leaves the queue
 * index. A pipeline whose slots are full is passed over, so its later runs wait too; a full
 * stack ends the pass.
 *
 * Alternatives: a scope may hold runs that ended without their release (the end event is best
 * effort): the dispatcher's periodic pass (`reclaim`) gives their slots back (finished, gone, or
 * execution closed) before it judges a scope full; the passes on the hot path do not read them. A run admitted in one scope that then waits for the other keeps the
 * first slot: it is the next to go there anyway.
 *
 * Order: a taken run stays in the queue index until its execution has begun, so a dispatcher
 * that reads the queue while another is still starting an earlier run sees that run, and lets
 * its execution begin before it starts any later run of the same scopes: it waits for it
 * (briefly), and when the other dispatcher died or stalls it takes the run over (a conditional
 * write: one dispatcher wins) and starts it itself under the same name and input, which Step
 * Functions answers with the one execution of that name. A run it can neither see begun nor
 * take over holds its scopes for the rest of the pass (the next pass tries again).
 */
import type { RunQueue, QueuedRun, TakeResult } from '../adapters/run-queue';
import { slotScope } from '../adapters/run-queue';
import type { RunsTable } from '../adapters/runs-table';
import type { StepFunctions } from '../adapters/step-functions';
import type { PipelineIndex } from '../../registry/registry';
import { StartExecutionError } from './errors';

export interface RunControl {
  queue: RunQueue;
  /** Runs of the whole stack at once; 0: no stack-wide limit. */
  stackLimit: number;
}

export interface DispatchDeps {
  runControl: RunControl;
  runs: RunsTable;
  sfn: StepFunctions;
  registry: PipelineIndex;
  clock: () => Date;
  leaseSeconds: number;
}

export interface DispatchOutcome {
  /** `takenOver`: another dispatcher had taken it and did not get its execution going. */
  started: Array<{ runKey: string; pipeline: string; executionArn: string; takenOver?: true }>;
  /** Runs still queued after this pass (of those it read; runs other dispatchers started are not). */
  waiting: number;
  /** Slots given back because their run had ended without releasing them. */
  reclaimed: string[];
}

/** Queued runs read at a time; a pass reads on while slots may be free, up to DISPATCH_PAGES pages. */
export const DISPATCH_PAGE = 25;
export const DISPATCH_PAGES = 40;

/** The slot scopes that limit a pipeline's runs, with their limits. */
export function limitsOf(pipeline: string, deps: Pick<DispatchDeps, 'registry' | 'runControl'>): Array<{ scope: string; limit: number }> {
  const perPipeline = deps.registry.get(pipeline)?.task.maxConcurrentRuns;
  return [
    ...(perPipeline !== undefined ? [{ scope: slotScope.pipeline(pipeline), limit: perPipeline }] : []),
    ...(deps.runControl.stackLimit > 0 ? [{ scope: slotScope.stack, limit: deps.runControl.stackLimit }] : []),
  ];
}

/** Gives back the slots of runs that have ended; returns the run keys released. */
async function reclaim(scope: string, deps: DispatchDeps): Promise<string[]> {
  const released: string[] = [];
  for (const runKey of await deps.runControl.queue.holders(scope)) {
    const run = await deps.runs.get(runKey);
    let ended = !run || run.status === 'SUCCEEDED' || run.status === 'FAILED';
    if (!ended && run && run.status === 'RUNNING') {
      // The execution closed without recording its outcome (Run Outcome Not Recorded).
      const status = await deps.sfn.executionStatus(run.executionName);
      ended = status !== undefined && status !== 'RUNNING';
    }
    if (ended) {
      await deps.runControl.queue.release(scope, runKey);
      released.push(runKey);
    }
  }
  return released;
}

/** Starts the queued runs that fit, in arrival order; `reclaim` first checks the holders of full scopes. */
export async function dispatchQueuedRuns(deps: DispatchDeps, options: { reclaim?: boolean } = {}): Promise<DispatchOutcome> {
  const { queue } = deps.runControl;
  const outcome: DispatchOutcome = { started: [], waiting: 0, reclaimed: [] };
  const full = new Set<string>();
  const checked = new Set<string>();
  let stackFull = false;
  let read = 0;
  let elsewhere = 0;
  let afterSeq: number | undefined;
  for (let page = 0; page < DISPATCH_PAGES && !stackFull; page++) {
    const queued = await queue.listQueued(DISPATCH_PAGE, afterSeq);
    read += queued.length;
    for (const run of queued) {
      if (stackFull) break;
      afterSeq = run.queueSeq;
      const scopes = limitsOf(run.pipeline, deps);
      let admitted = true;
      for (const { scope, limit } of scopes) {
        if (full.has(scope)) {
          admitted = false;
          break;
        }
        let ok = await queue.admit(scope, run.pk, limit);
        if (!ok && options.reclaim && !checked.has(scope)) {
          checked.add(scope);
          const released = await reclaim(scope, deps);
          outcome.reclaimed.push(...released);
          if (released.length) ok = await queue.admit(scope, run.pk, limit);
        }
        if (!ok) {
          full.add(scope);
          if (scope === slotScope.stack) stackFull = true;
          admitted = false;
          break;
        }
      }
      if (!admitted) continue;
      const turn = await startInTurn(run, scopes, deps, outcome);
      if (turn === 'elsewhere') elsewhere += 1;
      if (turn === 'blocked') {
        // An earlier run that has not begun: nothing later in its scopes starts before it.
        for (const { scope } of scopes) full.add(scope);
        if (scopes.some(({ scope }) => scope === slotScope.stack)) stackFull = true;
      }
    }
    if (queued.length < DISPATCH_PAGE) break;
  }
  outcome.waiting = read - outcome.started.length - elsewhere;
  return outcome;
}

/** An admitted run: started by this pass, begun (or ended) by another dispatcher, or not begun yet and in the way. */
type Turn = 'started' | 'elsewhere' | 'blocked';

const epochSeconds = (deps: Pick<DispatchDeps, 'clock'>): number => Math.floor(deps.clock().getTime() / 1000);

async function startInTurn(run: QueuedRun, scopes: Array<{ scope: string }>, deps: DispatchDeps, outcome: DispatchOutcome): Promise<Turn> {
  const { queue } = deps.runControl;
  const now = epochSeconds(deps);
  const taken = await queue.take(run, { now, leaseExpiresAt: now + deps.leaseSeconds });
  if (taken.result === 'taken') return startQueuedRun(run, taken, now + deps.leaseSeconds, deps, outcome);
  const { status } = taken;
  if (status === undefined || status === 'SUCCEEDED' || status === 'FAILED') {
    // Another dispatcher took it. While it starts or runs it holds these very slots (a set
    // holds a run key once); if it has ended, this admission came after its release (a stale
    // read of the queue) and must not keep a slot.
    for (const { scope } of scopes) await queue.release(scope, run.pk);
    // Still in the index: its dispatcher stopped between the start and the leave.
    if (taken.inQueue) await queue.leave(run);
    return 'elsewhere';
  }
  if (status === 'RUNNING') {
    if (taken.inQueue) await queue.leave(run);
    return 'elsewhere';
  }
  if (status === 'STARTING') return awaitStart(run, taken, deps, outcome);
  return 'blocked';
}

/** Starts a run this dispatcher holds (the lease `leaseExpiresAt`); it leaves the queue once its execution exists. */
async function startQueuedRun(
  run: QueuedRun,
  taken: Extract<TakeResult, { result: 'taken' }>,
  leaseExpiresAt: number,
  deps: DispatchDeps,
  outcome: DispatchOutcome,
): Promise<Turn> {
  const { queue } = deps.runControl;
  let started;
  try {
    started = await deps.sfn.startExecution({ name: run.executionName, input: taken.input });
  } catch (error) {
    // Not started (or unknown: the same name covers that): the next dispatcher takes it over at once.
    try {
      await queue.dropLease(run, leaseExpiresAt);
    } catch (dropError) {
      throw new StartExecutionError(
        `StartExecution of "${run.executionName}" for queued run "${run.pk}" failed (and dropping its lease failed; it is taken over when the lease ends)`,
        { cause: new AggregateError([error, dropError]) },
      );
    }
    throw error;
  }
  await queue.leave(run);
  outcome.started.push({
    runKey: run.pk,
    pipeline: run.pipeline,
    executionArn: started.executionArn,
    ...(taken.takenOver ? { takenOver: true as const } : {}),
  });
  return 'started';
}

/** How long a dispatcher waits for another's execution of an earlier run to begin before it takes the run over. */
export const START_WAIT_MS = 5_000;

/**
 * Another dispatcher took this earlier run and has not finished starting it: wait for its
 * execution to begin; when its lease ends or the wait runs out, take it over and start it.
 */
async function awaitStart(
  run: QueuedRun,
  seen: Extract<TakeResult, { result: 'not-queued' }>,
  deps: DispatchDeps,
  outcome: DispatchOutcome,
): Promise<Turn> {
  const { queue } = deps.runControl;
  const deadline = Date.now() + START_WAIT_MS;
  for (let pause = 10; ; pause = Math.min(pause * 2, 250)) {
    if (await deps.sfn.findExecution(run.executionName)) {
      // Begun: help its dispatcher finish (idempotent).
      if (seen.inQueue) await queue.leave(run);
      return 'elsewhere';
    }
    // Out of the queue yet not begun: locked again by a retry of its start, which queues it anew.
    if (!seen.inQueue) return 'blocked';
    if (Date.now() >= deadline || (seen.leaseExpiresAt ?? 0) < epochSeconds(deps)) break;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
  // Its dispatcher died or stalls. One conditional write picks one taker among the dispatchers
  // waiting here; the stalled one may still call StartExecution too, and Step Functions answers
  // a repeated name and input with the same single execution.
  const now = epochSeconds(deps);
  const live = seen.leaseExpiresAt !== undefined && seen.leaseExpiresAt >= now;
  const taken = await queue.take(run, {
    now,
    leaseExpiresAt: now + deps.leaseSeconds,
    ...(live ? { overdueLease: seen.leaseExpiresAt } : {}),
  });
  if (taken.result === 'taken') return startQueuedRun(run, taken, now + deps.leaseSeconds, deps, outcome);
  return (await deps.sfn.findExecution(run.executionName)) ? 'elsewhere' : 'blocked';
}

/** A run ended: its slots are free for the next queued runs. */
export async function releaseRunSlots(run: { runKey: string; pipeline: string }, deps: DispatchDeps): Promise<DispatchOutcome> {
  const scopes = limitsOf(run.pipeline, deps);
  for (const { scope } of scopes) await deps.runControl.queue.release(scope, run.runKey);
  // Nothing limits this pipeline: nothing it held, nothing waiting on it (other pipelines' ends dispatch theirs).
  return scopes.length ? dispatchQueuedRuns(deps) : { started: [], waiting: 0, reclaimed: [] };
}
