/**
 * The two ways to start a run besides a complete batch: a pipeline's schedule, and by hand.
 */
import type { BatchesTable } from '../adapters/batches-table';
import { baseRunKey, batchObjects, missingFiles, uploadFingerprint } from '../batch';
import { BatchNotFoundError, NotScheduledError, UnknownPipelineError } from './errors';
import { startPipeline, type StartOutcome, type StartPipelineDeps } from './start-pipeline';

/** `2026-11-20T06:00Z`: schedules fire per minute at most, and a retry keeps the same minute. */
export const isoMinute = (date: Date): string => `${date.toISOString().slice(0, 16)}Z`;

export interface ScheduledStart {
  pipeline: string;
  /** The schedule's fire time (the EventBridge event's `time`); the clock when absent. */
  time?: Date;
}

/**
 * Run key `<pipeline>#schedule#<minute>`: the schedule's fire time, not the invocation time,
 * so Lambda's async retries of one firing land on the same run.
 */
export async function startScheduledRun(request: ScheduledStart, deps: StartPipelineDeps): Promise<StartOutcome> {
  const pipeline = deps.registry.get(request.pipeline);
  if (!pipeline) throw new UnknownPipelineError(request.pipeline, deps.registry.names);
  if (!pipeline.schedule) throw new NotScheduledError(request.pipeline);
  const scheduledTime = request.time ?? deps.clock();
  const batchKey = `schedule#${isoMinute(scheduledTime)}`;
  // No files: the container learns the trigger and fire time and decides what the period means.
  return startPipeline({ pipeline: request.pipeline, runKey: baseRunKey(request.pipeline, batchKey), batchKey, trigger: 'schedule', objects: [], scheduledTime }, deps);
}

export interface ManualStart {
  pipeline: string;
  /** A batch key: run that batch with the files that arrived. Absent: a run with no files. */
  batch?: string;
  /** Start a fresh attempt even though the run already ran. */
  force?: boolean;
}

export type ManualOutcome = StartOutcome & { missingFiles: string[] };

/**
 * By hand: a batch runs under the same run key the fan-in uses (so it cannot start twice),
 * with whatever files arrived; `force` starts a new attempt (new execution name) of a run
 * that finished. The batch is then marked started like the fan-in does.
 */
export async function startManualRun(request: ManualStart, deps: StartPipelineDeps & { batches: BatchesTable }): Promise<ManualOutcome> {
  const pipeline = deps.registry.get(request.pipeline);
  if (!pipeline) throw new UnknownPipelineError(request.pipeline, deps.registry.names);

  if (request.batch === undefined) {
    const batchKey = `manual#${deps.clock().toISOString()}`;
    const outcome = await startPipeline(
      { pipeline: request.pipeline, runKey: baseRunKey(request.pipeline, batchKey), batchKey, trigger: 'manual', objects: [] },
      deps,
    );
    return { ...outcome, missingFiles: [] };
  }

  const item = await deps.batches.get(request.pipeline, request.batch);
  if (!item) throw new BatchNotFoundError(request.pipeline, request.batch);
  const required = deps.registry.requiredFiles(request.pipeline);
  const runKey = request.force && item.startedRunKey ? item.startedRunKey : baseRunKey(request.pipeline, request.batch);
  const outcome = await startPipeline(
    { pipeline: request.pipeline, runKey, batchKey: request.batch, trigger: 'manual', objects: batchObjects(item, required), force: request.force ?? false },
    deps,
  );
  if (outcome.status !== 'in-progress') {
    await deps.batches.markStarted(request.pipeline, request.batch, { runKey, fingerprint: uploadFingerprint(item, required) });
  }
  return { ...outcome, missingFiles: missingFiles(item, required) };
}
