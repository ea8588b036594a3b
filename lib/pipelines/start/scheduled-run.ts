/**
 * A schedule firing: what it runs follows from its fire time (README "Schedules").
 *
 * Primary course (`schedule.batch` set): render the batch templates at the fire time in the
 * schedule's time zone → the batch key (every capture mapped), or the batches whose mapped
 * captures match (a capture left out is open: every value that has a batch) → for each, a
 * complete batch not yet run starts under the batch's own run key, the one the fan-in uses,
 * so it never runs twice, and is marked started; a batch that already ran is left alone.
 *
 * Alternatives: a batch not complete at fire time follows `whenIncomplete`: `run` starts it
 * with the files that arrived under `<batch run key>#schedule#<fire minute>` and leaves the
 * batch open, so it still gets its own run when it completes; `skip` starts nothing; `notify`
 * tells the operators once per firing. No batch matching an open capture is handled the same
 * way (`run`: one run without files). Without `schedule.batch`, each firing is one run without
 * files keyed by the fire minute (cron jobs). Another caller holding a run's live lock →
 * RunStartInProgressError after the other batches, so the source retries the firing (every
 * start is idempotent) and notices go out only once the starts are settled.
 */
import type { BatchesTable } from '../adapters/batches-table';
import { baseRunKey, batchContents, batchObjects, uploadFingerprint, type BatchItem } from '../batch';
import type { CompletionRule } from '../../registry/pipeline-index';
import type { BatchObject } from '../../contracts/messages';
import { renderBatchTemplate } from '../../registry/batch-template';
import { batchKeyOf, capturesOfBatchKey, escapeCaptureValue } from '../../registry/registry';
import { DEFAULT_WHEN_INCOMPLETE, type WhenIncomplete } from '../../registry/schema';
import { incompleteAtScheduleNotice, renderNotice, type NoticePublisher } from '../../shared/notices';
import { NotScheduledError, RunStartInProgressError, UnknownPipelineError } from './errors';
import { startPipeline, type StartOutcome, type StartPipelineDeps } from './start-pipeline';

/** `2026-11-20T06:00Z`: schedules fire per minute at most, and a retry keeps the same minute. */
export const isoMinute = (date: Date): string => `${date.toISOString().slice(0, 16)}Z`;

export interface ScheduledStart {
  pipeline: string;
  /** The schedule's fire time (the scheduler's scheduled time); the clock when absent. */
  time?: Date;
}

export type ScheduledRunDeps = StartPipelineDeps & { batches: BatchesTable; notices: NoticePublisher };

/** One thing a firing did. */
export type ScheduledAction =
  | { action: 'started' | 'already-started'; runKey: string; batchKey: string; executionArn?: string; missingFiles: string[] }
  /** Waiting for a concurrency slot (task.maxConcurrentRuns or the stack-wide limit). */
  | { action: 'queued'; runKey: string; batchKey: string; missingFiles: string[] }
  /** The batch ran before (fan-in, an earlier firing, by hand): nothing to do. */
  | { action: 'already-ran'; runKey: string; batchKey: string }
  | { action: 'skipped' | 'notified'; batchKey?: string; missingFiles: string[] };

export interface ScheduledOutcome {
  pipeline: string;
  scheduledTime: string;
  timeZone: string;
  /** The capture values the firing selected (schedule.batch rendered); absent for runs without files. */
  selected?: Record<string, string>;
  actions: ScheduledAction[];
}

/** What a firing does with one selected batch key: a pure reading of its Batches item. */
export type BatchAtSchedule =
  | { state: 'ran'; runKey: string }
  | { state: 'complete'; objects: BatchObject[]; fingerprint: string }
  | { state: 'incomplete'; objects: BatchObject[]; missing: string[] };

export function batchAtSchedule(
  item: BatchItem | undefined,
  required: readonly string[],
  rule: CompletionRule = { kind: 'files' },
): BatchAtSchedule {
  if (!item) return { state: 'incomplete', objects: [], missing: rule.kind === 'files' ? [...required] : [] };
  if (item.startedRunKey) return { state: 'ran', runKey: item.startedRunKey };
  const { members, missing } = batchContents(item, rule, required);
  if (missing.length) return { state: 'incomplete', objects: batchObjects(item, members), missing };
  return { state: 'complete', objects: batchObjects(item, members), fingerprint: uploadFingerprint(item, members) };
}

/** The leading mapped captures as a batch key prefix (several captures), so the index read is narrowed when it can be. */
function batchKeyPrefix(order: string[], selected: Record<string, string>): string | undefined {
  const leading: string[] = [];
  for (const name of order) {
    if (!(name in selected)) break;
    leading.push(escapeCaptureValue(selected[name]!));
  }
  return leading.length ? `${leading.join('_')}_` : undefined;
}

/** The batch keys a firing selects: one when every capture is mapped, else those with a matching batch. */
async function selectBatchKeys(
  pipeline: string,
  order: string[],
  selected: Record<string, string>,
  batches: BatchesTable,
): Promise<string[]> {
  if (order.every((name) => name in selected)) return [batchKeyOf(order, selected)];
  const keys = await batches.listBatchKeys(pipeline, batchKeyPrefix(order, selected));
  return keys.filter((key) => {
    const captures = capturesOfBatchKey(order, key);
    return captures !== undefined && Object.entries(selected).every(([name, value]) => captures[name] === value);
  });
}

function settled(outcome: StartOutcome, batchKey: string, missing: string[], pending: string[]): ScheduledAction {
  if (outcome.status === 'in-progress') {
    pending.push(outcome.runKey);
    return { action: 'already-started', runKey: outcome.runKey, batchKey, missingFiles: missing };
  }
  if (outcome.status === 'queued') return { action: 'queued', runKey: outcome.runKey, batchKey, missingFiles: missing };
  return {
    action: outcome.status,
    runKey: outcome.runKey,
    batchKey,
    ...(outcome.executionArn ? { executionArn: outcome.executionArn } : {}),
    missingFiles: missing,
  };
}

export async function startScheduledRun(request: ScheduledStart, deps: ScheduledRunDeps): Promise<ScheduledOutcome> {
  const pipeline = deps.registry.get(request.pipeline);
  if (!pipeline) throw new UnknownPipelineError(request.pipeline, deps.registry.names);
  const schedule = pipeline.schedule;
  if (!schedule) throw new NotScheduledError(request.pipeline);
  const scheduledTime = request.time ?? deps.clock();
  const minute = isoMinute(scheduledTime);
  const timeZone = schedule.timezone;
  const outcome: ScheduledOutcome = { pipeline: request.pipeline, scheduledTime: scheduledTime.toISOString(), timeZone, actions: [] };
  const pending: string[] = [];

  const runWithoutFiles = async (batchKey: string, runKey: string) => {
    const started = await startPipeline(
      { pipeline: request.pipeline, runKey, batchKey, trigger: 'schedule', objects: [], scheduledTime },
      deps,
    );
    outcome.actions.push(settled(started, batchKey, [], pending));
  };

  if (!schedule.batch) {
    // A cron job: the container learns the trigger and fire time and decides what the period means.
    const batchKey = `schedule#${minute}`;
    await runWithoutFiles(batchKey, baseRunKey(request.pipeline, batchKey));
    return finish(outcome, pending);
  }

  const whenIncomplete: WhenIncomplete = schedule.whenIncomplete ?? DEFAULT_WHEN_INCOMPLETE;
  const selected = Object.fromEntries(
    Object.entries(schedule.batch).map(([name, template]) => [name, renderBatchTemplate(template, scheduledTime, timeZone)]),
  );
  outcome.selected = selected;
  const order = deps.registry.captures(request.pipeline);
  const required = deps.registry.requiredFiles(request.pipeline);
  const incomplete: Array<{ batchKey?: string; item?: BatchItem; missing: string[] }> = [];

  const batchKeys = await selectBatchKeys(request.pipeline, order, selected, deps.batches);
  for (const batchKey of batchKeys) {
    const item = await deps.batches.get(request.pipeline, batchKey);
    const state = batchAtSchedule(item, required, deps.registry.completion(request.pipeline));
    if (state.state === 'ran') {
      outcome.actions.push({ action: 'already-ran', runKey: state.runKey, batchKey });
    } else if (state.state === 'complete') {
      const runKey = baseRunKey(request.pipeline, batchKey);
      const started = await startPipeline(
        { pipeline: request.pipeline, runKey, batchKey, trigger: 'schedule', objects: state.objects, scheduledTime },
        deps,
      );
      if (started.status !== 'in-progress')
        await deps.batches.markStarted(request.pipeline, batchKey, { runKey, fingerprint: state.fingerprint });
      outcome.actions.push(settled(started, batchKey, [], pending));
    } else if (whenIncomplete === 'run') {
      // Not the batch's own run key: the batch stays open and still runs once when it completes.
      const runKey = `${baseRunKey(request.pipeline, batchKey)}#schedule#${minute}`;
      const started = await startPipeline(
        { pipeline: request.pipeline, runKey, batchKey, trigger: 'schedule', objects: state.objects, scheduledTime },
        deps,
      );
      outcome.actions.push(settled(started, batchKey, state.missing, pending));
    } else {
      incomplete.push({ batchKey, ...(item ? { item } : {}), missing: state.missing });
    }
  }

  if (batchKeys.length === 0) {
    // An open capture and no batch of the selected values at all.
    if (whenIncomplete === 'run') {
      const batchKey = `schedule#${minute}`;
      await runWithoutFiles(batchKey, baseRunKey(request.pipeline, batchKey));
    } else incomplete.push({ missing: required });
  }

  if (pending.length) {
    throw new RunStartInProgressError(
      `runs ${pending.join(', ')} are being started by another invocation; retry the firing (every start is idempotent)`,
    );
  }
  for (const { batchKey, item, missing } of incomplete) {
    if (whenIncomplete === 'notify') {
      await deps.notices.publish(
        renderNotice(
          incompleteAtScheduleNotice({
            stack: { service: deps.service, stage: deps.stage },
            pipeline: request.pipeline,
            ...(batchKey !== undefined ? { batchKey } : {}),
            selected,
            scheduledTime,
            timeZone,
            expression: schedule.expression,
            arrived: item ? item.arrived.map((file) => ({ file, key: item.objects[file]?.key ?? '' })) : [],
            missing,
          }),
        ),
      );
    }
    outcome.actions.push({
      action: whenIncomplete === 'notify' ? 'notified' : 'skipped',
      ...(batchKey !== undefined ? { batchKey } : {}),
      missingFiles: missing,
    });
  }
  return outcome;
}

function finish(outcome: ScheduledOutcome, pending: string[]): ScheduledOutcome {
  if (pending.length)
    throw new RunStartInProgressError(`run ${pending.join(', ')} is being started by another invocation; retry the firing`);
  return outcome;
}
