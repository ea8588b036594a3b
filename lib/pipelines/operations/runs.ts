/**
 * Operating commands about runs: list a pipeline's recent runs, show one run, re-run a batch.
 * Plain use cases over the tables; handlers/ops-*.ts give them to `sls invoke`.
 */
import * as v from '../../shared/validation';
import type { BatchesTable } from '../adapters/batches-table';
import { decideByRule, missingFiles, type BatchItem } from '../batch';
import type { CompletionRule } from '../../registry/pipeline-index';
import { executionConsoleUrl, logGroupUrl, taskLogStreamUrl } from '../../shared/notices/links';
import { formatDuration } from '../../shared/notices/notice';
import { describeRunCost } from '../../shared/notices/run-notice';
import { formatUsd } from '../../shared/pricing/format';
import type { PipelineIndex } from '../../registry/registry';
import { startManualRun, type ManualOutcome } from '../start/manual-run';
import { UnknownPipelineError } from '../start/errors';
import type { StartPipelineDeps } from '../start/start-pipeline';
import { parseListedRun, type ListedRun, type RunsIndex } from '../adapters/runs-index';

export class OperationInputError extends Error {
  override readonly name = 'OperationInputError';
}

/** Validates a command's input, naming the command and the expected shape on failure. */
export function parseCommand<T>(command: string, usage: string, schema: v.Schema<T>, input: unknown): T {
  const parsed = schema.safeParse(input ?? {});
  if (!parsed.success) {
    throw new OperationInputError(
      `${command} expects ${usage}; got ${JSON.stringify(input)?.slice(0, 200)}: ${v.prettifyError(parsed.error).replace(/\n/g, '; ')}`,
    );
  }
  return parsed.data;
}

export interface RunLine {
  runKey: string;
  batchKey: string;
  trigger: string;
  /** Batch runs: the rule that completed the batch (files, manifest, marker, quiet). */
  completedBy: string | null;
  status: string;
  attempt: number;
  requestedAt: string;
  duration: string | null;
  /** QUEUED runs: how long the run has waited for a concurrency slot. */
  waiting: string | null;
  recordsAffected: number | null;
  /** The run's estimated cost, "$0.0052" (Fargate time and transitions); null while running or without an estimate. */
  cost: string | null;
  errorClass: string | null;
  execution: string | null;
}

function runLine(run: ListedRun, now: Date): RunLine {
  const durationMs =
    run.durationMs ??
    (run.startedAt && (run.status === 'RUNNING' || run.status === 'STARTING') ? now.getTime() - Date.parse(run.startedAt) : undefined);
  return {
    runKey: run.pk,
    batchKey: run.batchKey,
    trigger: run.trigger,
    completedBy: run.completedBy ?? null,
    status: run.status,
    attempt: run.attempt,
    requestedAt: run.requestedAt,
    duration: durationMs === undefined ? null : `${formatDuration(durationMs)}${run.durationMs === undefined ? ' so far' : ''}`,
    waiting: run.status === 'QUEUED' && run.queuedAt ? formatDuration(now.getTime() - Date.parse(run.queuedAt)) : null,
    recordsAffected: run.result?.recordsAffected ?? null,
    cost: run.result?.cost ? formatUsd(run.result.cost.usd) : null,
    errorClass: run.result?.errorClass ?? null,
    execution: run.executionArn ? executionConsoleUrl(run.executionArn) : null,
  };
}

export const ListRunsInputSchema = v.strictObject({
  pipeline: v.string().min(1),
  limit: v.number().int().min(1).max(200).default(20),
  /** ISO time: only runs requested at or after it. */
  since: v.iso.datetime({ offset: true }).optional(),
});

export interface ListRunsDeps {
  runs: RunsIndex;
  registry: PipelineIndex;
  clock: () => Date;
}

/** A pipeline's most recent runs, newest first, with status and duration (Runs index query). */
export async function listRuns(
  input: v.Infer<typeof ListRunsInputSchema>,
  deps: ListRunsDeps,
): Promise<{ pipeline: string; runs: RunLine[] }> {
  if (!deps.registry.get(input.pipeline)) throw new UnknownPipelineError(input.pipeline, deps.registry.names);
  const runs = await deps.runs.recent(input.pipeline, { limit: input.limit, ...(input.since ? { since: input.since } : {}) });
  const now = deps.clock();
  return { pipeline: input.pipeline, runs: runs.map((run) => runLine(run, now)) };
}

export const ShowRunInputSchema = v.union([
  v.strictObject({ runKey: v.string().min(1) }),
  v.strictObject({ pipeline: v.string().min(1), batch: v.string().min(1) }),
]);

export interface ShowRunDeps {
  getRun: (runKey: string) => Promise<Record<string, unknown> | undefined>;
  batches: BatchesTable;
  registry: PipelineIndex;
  clock: () => Date;
  taskLogs: { region: string; logGroup: string };
}

/** What the batch still waits for: named files, or what its completion rule names (a quiet batch: nothing). */
function missingOf(batch: BatchItem, rule: CompletionRule, required: string[]): string[] {
  if (rule.kind === 'files') return missingFiles(batch, required);
  const decision = decideByRule({ ...batch, startedRunKey: undefined }, rule);
  return decision.action === 'wait' ? decision.missing : [];
}

/** One run: its files (and which are missing), its tasks per shard, its result and links. */
export async function showRun(input: v.Infer<typeof ShowRunInputSchema>, deps: ShowRunDeps): Promise<Record<string, unknown>> {
  const runKey = 'runKey' in input ? input.runKey : `${input.pipeline}#${input.batch}`;
  const raw = await deps.getRun(runKey);
  if (!raw) throw new OperationInputError(`no run "${runKey}" in the Runs table (list them with opsListRuns)`);
  const run = parseListedRun(raw);
  const pipeline = deps.registry.get(run.pipeline);
  // Runs of a batch (any trigger) show its files; a run without one (`schedule#…`, `manual#…`) has none.
  const ofBatch = !/^(schedule|manual)#/.test(run.batchKey);
  const batch = ofBatch ? await deps.batches.get(run.pipeline, run.batchKey) : undefined;
  const required = deps.registry.requiredFiles(run.pipeline);
  const container = pipeline?.task.container ?? 'pipeline';
  const shards = ((raw.result as { shards?: Array<Record<string, unknown>> } | undefined)?.shards ?? []).map((shard) => ({
    ...shard,
    ...(typeof shard.taskArn === 'string'
      ? { logs: taskLogStreamUrl({ region: deps.taskLogs.region, logGroup: deps.taskLogs.logGroup, container, taskArn: shard.taskArn }) }
      : {}),
  }));
  return {
    run: runLine(run, deps.clock()),
    files: batch
      ? {
          arrived: batch.arrived.map((file) => ({
            file: batch.objects[file]?.file ?? file,
            key: batch.objects[file]?.key,
            size: batch.objects[file]?.size,
            eventTime: batch.objects[file]?.eventTime,
          })),
          missing: missingOf(batch, deps.registry.completion(run.pipeline), required),
          ...(batch.completedBy ? { completedBy: batch.completedBy } : {}),
          ...(batch.manifestKeys ? { manifest: batch.manifestKeys } : {}),
          firstArrivalAt: batch.firstArrivalAt,
          ...(batch.overdueNotifiedAt ? { overdueNotifiedAt: batch.overdueNotifiedAt } : {}),
        }
      : (run.objects ?? null),
    result: run.result ?? null,
    ...(run.result?.cost ? { cost: { estimate: describeRunCost(run.result.cost), ...run.result.cost } } : {}),
    tasks: shards,
    timing: { requestedAt: run.requestedAt, startedAt: run.startedAt ?? null, endedAt: run.endedAt ?? null },
    links: {
      execution: run.executionArn ? executionConsoleUrl(run.executionArn) : null,
      taskLogs: logGroupUrl(deps.taskLogs.region, deps.taskLogs.logGroup),
    },
  };
}

export const RerunBatchInputSchema = v.strictObject({
  pipeline: v.string().min(1),
  batch: v.string().min(1),
  /** Default true: a fresh attempt even though the batch already ran. */
  force: v.boolean().default(true),
});

/** Re-runs a batch with the files that arrived, through the start-pipeline use case (`force`). */
export async function rerunBatch(
  input: v.Infer<typeof RerunBatchInputSchema>,
  deps: StartPipelineDeps & { batches: BatchesTable },
): Promise<ManualOutcome> {
  return startManualRun({ pipeline: input.pipeline, batch: input.batch, force: input.force }, deps);
}
