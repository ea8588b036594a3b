/**
 * A run started by hand (schedules: scheduled-run.ts).
 */
import type { BatchesTable } from '../adapters/batches-table';
import { baseRunKey, batchContents, batchObjects, uploadFingerprint } from '../batch';
import { BatchNotFoundError, UnknownPipelineError } from './errors';
import { startPipeline, type StartOutcome, type StartPipelineDeps } from './start-pipeline';

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
  // A batch of unknown size runs with the files its rule selects (or what arrived of them).
  const { members, missing } = batchContents(
    item,
    deps.registry.completion(request.pipeline),
    deps.registry.requiredFiles(request.pipeline),
  );
  const runKey = request.force && item.startedRunKey ? item.startedRunKey : baseRunKey(request.pipeline, request.batch);
  const outcome = await startPipeline(
    {
      pipeline: request.pipeline,
      runKey,
      batchKey: request.batch,
      trigger: 'manual',
      objects: batchObjects(item, members),
      force: request.force ?? false,
    },
    deps,
  );
  if (outcome.status !== 'in-progress') {
    await deps.batches.markStarted(request.pipeline, request.batch, { runKey, fingerprint: uploadFingerprint(item, members) });
  }
  return { ...outcome, missingFiles: missing };
}
