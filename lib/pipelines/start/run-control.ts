/**
 * Concurrency limits: at most `task.maxConcurrentRuns` runs of a pipeline, and at most the
 * stack-wide limit of all runs, at once. A run beyond a limit waits as QUEUED, in arrival
 * order, and starts when a slot frees (README "Run control").
 *
 * Primary course of a dispatch: read the queued runs in arrival order → for each, take a slot
 * in every scope that limits it (its pipeline, the stack) → take the run (QUEUED → STARTING,
 * conditional, so two dispatchers never both start it) → StartExecution under the name it was
 * queued with (Step Functions refuses a second execution of a name). A pipeline whose slots are
 * full is passed over, so its later runs wait too; a full stack ends the pass.
 *
 * Alternatives: a scope may hold runs that ended without their release (the end event is best
 * effort): the dispatcher's periodic pass (`reclaim`) gives their slots back (finished, gone, or
 * execution closed) before it judges a scope full; the passes on the hot path do not read them. A run admitted in one scope that then waits for the other keeps the
 * first slot: it is the next to go there anyway. Runs leave the queue in arrival order (a
 * dispatcher reaches a run only after the earlier ones were taken); one that finds an earlier
 * run taken by another dispatcher waits (briefly) for that run's execution to begin, so the
 * executions begin in that order as well.
 */
import type { RunQueue, QueuedRun } from '../adapters/run-queue';
import { slotScope } from '../adapters/run-queue';
import type { RunsTable } from '../adapters/runs-table';
import type { StepFunctions } from '../adapters/step-functions';
import type { PipelineIndex } from '../../registry/registry';

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
  started: Array<{ runKey: string; pipeline: string; executionArn: string }>;
  /** Runs still queued after this pass (of those it read). */
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
      if (admitted) await startTaken(run, scopes, deps, outcome);
    }
    if (queued.length < DISPATCH_PAGE) break;
  }
  outcome.waiting = read - outcome.started.length;
  return outcome;
}

async function startTaken(run: QueuedRun, scopes: Array<{ scope: string }>, deps: DispatchDeps, outcome: DispatchOutcome): Promise<void> {
  const { queue } = deps.runControl;
  const now = Math.floor(deps.clock().getTime() / 1000);
  const taken = await queue.take(run, now + deps.leaseSeconds);
  if (taken.result === 'not-queued') {
    // Another dispatcher took it. While it starts or runs it holds these very slots (a set
    // holds a run key once); if it has ended, this admission came after its release (a stale
    // read of the queue) and must not keep a slot.
    if (taken.status === undefined || taken.status === 'SUCCEEDED' || taken.status === 'FAILED') {
      for (const { scope } of scopes) await queue.release(scope, run.pk);
    } else if (taken.status === 'STARTING') {
      // It left the queue before the next one: let its execution begin first, so executions
      // start in arrival order too (bounded: a dispatcher that died leaves its lease behind).
      await awaitExecution(run.executionName, deps);
    }
    return;
  }
  const started = await deps.sfn.startExecution({ name: run.executionName, input: taken.input });
  outcome.started.push({ runKey: run.pk, pipeline: run.pipeline, executionArn: started.executionArn });
}

/** How long a dispatcher waits for another's execution of an earlier run to begin. */
export const START_WAIT_MS = 5_000;

async function awaitExecution(executionName: string, deps: DispatchDeps): Promise<void> {
  const deadline = Date.now() + START_WAIT_MS;
  for (let pause = 10; Date.now() < deadline; pause = Math.min(pause * 2, 250)) {
    if (await deps.sfn.findExecution(executionName)) return;
    await new Promise((resolve) => setTimeout(resolve, pause));
  }
}

/** A run ended: its slots are free for the next queued runs. */
export async function releaseRunSlots(run: { runKey: string; pipeline: string }, deps: DispatchDeps): Promise<DispatchOutcome> {
  const scopes = limitsOf(run.pipeline, deps);
  for (const { scope } of scopes) await deps.runControl.queue.release(scope, run.runKey);
  // Nothing limits this pipeline: nothing it held, nothing waiting on it (other pipelines' ends dispatch theirs).
  return scopes.length ? dispatchQueuedRuns(deps) : { started: [], waiting: 0, reclaimed: [] };
}
