/**
 * The scheduled sweeper: finds what never finished and tells people once.
 *
 * Primary course, every few minutes:
 *  1. QUERY the Batches index for OPEN batches past their deadline. An incomplete one is
 *     marked OVERDUE (conditional: still open, not started, still missing a file) and one
 *     notice lists the files that arrived and those missing. A complete one that never
 *     started (its start failed; the record may sit in the fan-in DLQ) is "stuck": marked
 *     and reported the same way, once its last file is `stuckAfterSeconds` old (younger, its
 *     start may still be in flight).
 *  2. QUERY the index for LATE batches (overdue, then completed and started by the fan-in):
 *     one notice says it ran after all, and the batch leaves the index.
 *  3. Per pipeline with alarms.maxRuntimeSeconds: QUERY the Runs index for runs requested
 *     before now - max runtime and still STARTING / RUNNING; report each once.
 * Each notice is preceded by its conditional write, so two sweeps never both notify; when
 * publishing fails the write is undone, so the next sweep retries, and the sweep fails.
 *
 * A batch of a quiet-period pipeline (trigger.complete.quietMinutes) has its deadline moved by
 * every arrival, so step 1 finds it once no file came for the quiet period: the sweeper claims
 * it (conditional: the deadline it read is still the batch's, nothing started it) and starts
 * its run with every file that arrived, under the batch's run lock and execution name.
 */
import type { BatchItem } from '../batch';
import { batchObjects, decideByRule, missingFiles } from '../batch';
import { windowMinutesOf } from '../../registry/pipeline-index';
import type { BatchesTable } from '../adapters/batches-table';
import type { StartOutcome, StartRunRequest } from '../start/start-pipeline';
import { incompleteBatchNotice, lateBatchNotice, runOverMaxRuntimeNotice, stuckBatchNotice } from '../../shared/notices/batch-notices';
import { renderNotice, type Notice } from '../../shared/notices/notice';
import type { NoticePublisher } from '../../shared/notices/sns-publisher';
import type { PipelineIndex } from '../../registry/registry';
import { fileTriggerOf } from '../../registry/pipeline-index';
import { PIPELINE_METRIC } from '../../contracts/metric-names';
import type { PipelineMetrics } from '../../shared/pipeline-metrics';
import type { BatchesSweepTable } from '../adapters/batches-sweep-table';
import type { RunsIndex } from '../adapters/runs-index';

export interface SweepLog {
  info(message: string, attributes: Record<string, unknown>): void;
  warn(message: string, attributes: Record<string, unknown>): void;
  error(message: string, attributes: Record<string, unknown>): void;
}

/** A complete batch without a run this long after its last file is stuck (the fan-in retries for minutes, not this long). */
export const DEFAULT_STUCK_AFTER_SECONDS = 900;
/** Runs requested longer ago than this are not checked for overruns (the task timeouts are far shorter). */
export const DEFAULT_RUN_LOOKBACK_HOURS = 48;

export interface SweepDeps {
  batches: BatchesSweepTable;
  runs: RunsIndex;
  registry: PipelineIndex;
  publisher: NoticePublisher;
  clock: () => Date;
  metrics: PipelineMetrics;
  log: SweepLog;
  stack: { service: string; stage: string };
  /** A complete, unstarted batch counts as stuck once its last file is this old. */
  stuckAfterSeconds: number;
  /** How far back to look for runs still going (the Runs index query's lower bound). */
  runLookbackHours: number;
  /** Starts the batches whose quiet period passed (quiet-period pipelines); without it they are left open. */
  quiet?: { start: (request: StartRunRequest) => Promise<StartOutcome>; markStarted: BatchesTable['markStarted'] };
}

export interface SweepReport {
  incomplete: string[];
  stuck: string[];
  late: string[];
  overrunning: string[];
  /** Quiet batches whose run the sweep started (or found started). */
  quiet: string[];
  /** Found but already handled by someone else between query and write. */
  skipped: string[];
}

export class SweepError extends Error {
  override readonly name = 'SweepError';
}

const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

function arrivedList(item: BatchItem): Array<{ file: string; key: string }> {
  return item.arrived.map((file) => ({ file, key: item.objects[file]?.key ?? '(key not recorded)' }));
}

function lastArrival(item: BatchItem): number {
  const times = Object.values(item.objects)
    .map((o) => (o.eventTime ? Date.parse(o.eventTime) : NaN))
    .filter(Number.isFinite);
  return times.length ? Math.max(...times) : Date.parse(item.firstArrivalAt);
}

/**
 * Claims a quiet batch (only if no file moved its deadline since it was read and nothing
 * started it) and starts its run with the files that arrived. False when it changed first,
 * or another caller is starting the run right now (the next sweep looks again).
 */
async function startQuietBatch(item: BatchItem, deps: SweepDeps, quiet: NonNullable<SweepDeps['quiet']>): Promise<boolean> {
  const claimed = await deps.batches.claimQuiet(item, deps.clock());
  if (!claimed) return false;
  const decision = decideByRule(claimed, { kind: 'quiet', minutes: 0 }, true);
  if (decision.action !== 'start') return false;
  const keys = { pipeline: item.pipeline, batchKey: item.batchKey, runKey: decision.runKey };
  const outcome = await quiet.start({
    pipeline: claimed.pipeline,
    runKey: decision.runKey,
    batchKey: claimed.batchKey,
    trigger: 's3',
    objects: batchObjects(claimed, decision.members),
    completedBy: 'quiet',
  });
  if (outcome.status === 'in-progress') {
    deps.log.info('quiet batch being started by another caller; the next sweep looks again', keys);
    return false;
  }
  await quiet.markStarted(claimed.pipeline, claimed.batchKey, {
    runKey: decision.runKey,
    fingerprint: decision.fingerprint,
    completedBy: 'quiet',
  });
  deps.metrics.count(item.pipeline, PIPELINE_METRIC.BatchesCompleted);
  if (outcome.status === 'started') deps.metrics.count(item.pipeline, PIPELINE_METRIC.RunsStarted);
  deps.log.info(`quiet batch complete: ${outcome.status}`, { ...keys, files: decision.members.length });
  return true;
}

export async function sweep(deps: SweepDeps): Promise<SweepReport> {
  const { batches, registry, log, metrics } = deps;
  const now = deps.clock();
  const report: SweepReport = { incomplete: [], stuck: [], late: [], overrunning: [], quiet: [], skipped: [] };
  const failures: Array<{ what: string; error: unknown }> = [];

  /** Sends one notice; on failure undoes the mark so the next sweep retries. */
  const send = async (what: string, notice: Notice, undo: () => Promise<void>): Promise<boolean> => {
    try {
      await deps.publisher.publish(renderNotice(notice));
      return true;
    } catch (error) {
      failures.push({ what, error });
      log.error('notice not sent; the next sweep retries it', {
        what,
        pipeline: notice.pipeline,
        batchKey: notice.batchKey,
        runKey: notice.runKey,
        error,
      });
      await undo();
      return false;
    }
  };

  for (const item of await batches.openPastDeadline(epochSeconds(now))) {
    const keys = { pipeline: item.pipeline, batchKey: item.batchKey };
    if (item.startedRunKey) {
      // Its run started; a later duplicate delivery re-opened it in the index.
      if (await batches.closeStarted(item)) log.info('started batch closed in the open index', keys);
      continue;
    }
    const trigger = fileTriggerOf(registry.get(item.pipeline));
    if (!trigger) {
      // A pipeline removed from the registry while its batch was open: say so, once per sweep.
      log.warn('open batch of a pipeline the registry no longer has; left as it is', keys);
      continue;
    }
    const rule = registry.completion(item.pipeline);
    if (rule.kind === 'quiet') {
      if (deps.quiet && (await startQuietBatch(item, deps, deps.quiet))) report.quiet.push(item.pk);
      else report.skipped.push(item.pk);
      continue;
    }
    // A manifest or marker batch waits for what its rule names: its manifest (then the files it
    // lists) or its marker, not for named files.
    const ruled = rule.kind === 'files' ? undefined : decideByRule(item, rule);
    const missing = ruled ? (ruled.action === 'wait' ? ruled.missing : []) : missingFiles(item, registry.requiredFiles(item.pipeline));
    const waitingFor = rule.kind === 'files' ? undefined : item.manifestKeys || rule.kind === 'marker' ? rule.kind : 'manifest';
    const required =
      rule.kind === 'files' ? registry.requiredFiles(item.pipeline) : rule.kind === 'manifest' ? (item.manifestKeys ?? []) : [];
    if (missing.length === 0 && epochSeconds(now) - Math.floor(lastArrival(item) / 1000) < deps.stuckAfterSeconds) {
      continue; // Complete moments ago: its start is most likely in flight.
    }
    const reason = missing.length ? 'incomplete' : 'not-started';
    const marked = await batches.markOverdue(item, {
      at: now,
      reason,
      requiredFiles: required,
      ...(waitingFor && !(waitingFor === 'manifest' && item.manifestKeys) ? { waitingFor } : {}),
    });
    if (!marked) {
      report.skipped.push(item.pk);
      log.info('batch changed before it could be reported; skipped', { ...keys, reason });
      continue;
    }
    const input = {
      stack: deps.stack,
      pipeline: marked.pipeline,
      batchKey: marked.batchKey,
      firstArrivalAt: marked.firstArrivalAt,
      deadline: marked.deadline,
      windowMinutes: windowMinutesOf(trigger),
      arrived: arrivedList(marked),
      missing: ruled ? missing : missingFiles(marked, required),
      now,
    };
    const notice =
      reason === 'incomplete'
        ? incompleteBatchNotice(input)
        : stuckBatchNotice({ ...input, lastArrivalAt: new Date(lastArrival(marked)).toISOString() });
    if (await send(`${reason} batch ${item.pk}`, notice, () => batches.unmarkOverdue(marked, now))) {
      if (reason === 'incomplete') {
        report.incomplete.push(item.pk);
        metrics.count(item.pipeline, PIPELINE_METRIC.IncompleteBatches);
        log.warn('incomplete batch reported', { ...keys, missing: input.missing, arrived: marked.arrived });
      } else {
        report.stuck.push(item.pk);
        metrics.count(item.pipeline, PIPELINE_METRIC.StuckBatches);
        log.error('complete batch never started; reported', keys);
      }
    }
  }

  for (const item of await batches.late()) {
    const keys = { pipeline: item.pipeline, batchKey: item.batchKey, runKey: item.startedRunKey };
    if (!(await batches.clearLate(item))) {
      report.skipped.push(item.pk);
      continue;
    }
    const notice = lateBatchNotice({
      stack: deps.stack,
      pipeline: item.pipeline,
      batchKey: item.batchKey,
      runKey: item.startedRunKey ?? '(unknown)',
      overdueNotifiedAt: item.overdueNotifiedAt ?? '(unknown)',
      firstArrivalAt: item.firstArrivalAt,
      arrived: arrivedList(item),
    });
    if (await send(`late batch ${item.pk}`, notice, () => batches.restoreLate(item))) {
      report.late.push(item.pk);
      log.info('late batch completion reported', keys);
    }
  }

  const since = new Date(now.getTime() - deps.runLookbackHours * 3_600_000).toISOString();
  for (const name of registry.names) {
    const maxRuntimeSeconds = registry.get(name)?.alarms.maxRuntimeSeconds;
    if (maxRuntimeSeconds === undefined) continue;
    const before = new Date(now.getTime() - maxRuntimeSeconds * 1000).toISOString();
    for (const run of await deps.runs.unfinishedBefore(name, before, since)) {
      const startedAt = run.startedAt ?? run.requestedAt;
      if (now.getTime() - Date.parse(startedAt) <= maxRuntimeSeconds * 1000) continue;
      const keys = { pipeline: name, batchKey: run.batchKey, runKey: run.pk, executionArn: run.executionArn };
      if (!(await deps.runs.markOverrunNotified(run.pk, now))) {
        report.skipped.push(run.pk);
        continue;
      }
      const notice = runOverMaxRuntimeNotice({
        stack: deps.stack,
        pipeline: name,
        batchKey: run.batchKey,
        runKey: run.pk,
        status: run.status,
        startedAt,
        maxRuntimeSeconds,
        now,
        executionArn: run.executionArn,
      });
      if (await send(`overrunning run ${run.pk}`, notice, () => deps.runs.unmarkOverrunNotified(run.pk, now))) {
        report.overrunning.push(run.pk);
        metrics.count(name, PIPELINE_METRIC.RunsOverMaxRuntime);
        log.warn('run past its max runtime reported', { ...keys, maxRuntimeSeconds });
      }
    }
  }

  if (failures.length) {
    throw new SweepError(
      `${failures.length} notice(s) could not be sent (${failures.map((f) => f.what).join('; ')}); the next sweep retries them`,
      {
        cause: new AggregateError(failures.map((f) => f.error)),
      },
    );
  }
  return report;
}
