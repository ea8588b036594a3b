/**
 * One file arrived: record it on its batch and start the batch's run when it is complete.
 *
 * Primary course: one UpdateItem (ADD the file, ALL_NEW) → the item shows the batch complete
 * and not started → start-pipeline (the run lock) → the second write marks the batch started
 * and closes it for the incomplete-batch sweeper.
 *
 * Alternatives: incomplete → wait. A redelivery of a started batch → "duplicate", no start.
 * A new upload of a started batch → "reupload-ignored", or with `rerunOnReupload` a run under
 * a content-derived run key. Another caller is starting the same run right now →
 * RunStartInProgressError, so the record is retried and finds the batch started (or takes the
 * lock over if that caller died).
 */
import type { BatchesTable } from '../adapters/batches-table';
import type { UploadedObject } from '../adapters/uploaded-objects';
import type { BatchObject, FileArrival } from '../../contracts/messages';
import type { CompletedBy, PipelineIndex } from '../../registry/registry';
import { fileTriggerOf } from '../../registry/pipeline-index';
import { RunStartInProgressError, UnknownPipelineError } from '../start/errors';
import type { StartOutcome, StartRunRequest } from '../start/start-pipeline';
import { batchObjects, decide, type BatchItem } from '../batch';
import { recordRuleArrival } from './record-rule-arrival';

export class UnknownFileError extends Error {
  override readonly name = 'UnknownFileError';
}

export interface RecordArrivalDeps {
  batches: BatchesTable;
  registry: PipelineIndex;
  clock: () => Date;
  ttlDays: number;
  start: (request: StartRunRequest) => Promise<StartOutcome>;
  /** Batches of unknown size: reads a manifest, lists a marker's folder. */
  objects?: {
    read(bucket: string, key: string, versionId?: string): Promise<string>;
    list(bucket: string, prefix: string): AsyncIterable<UploadedObject>;
  };
  /**
   * How to wait for a run lock another invocation holds without having started the run yet:
   * the holder may be a moment from StartExecution, or may have crashed, leaving a lease that
   * only expiry frees. Kinesis retries a failed record at once, so a record that only failed
   * could use up its retries inside the lease and reach the DLQ with no run started; waiting
   * here, within the invocation's time, lets the retry take the lock over (same execution name).
   */
  lockWait?: { sleep: (ms: number) => Promise<void>; remainingMs: () => number };
}

/** Re-asks for the lock with a growing pause while another holder's lease is live, as time allows. */
async function startWaitingOutLease(request: StartRunRequest, deps: RecordArrivalDeps): Promise<StartOutcome> {
  let outcome = await deps.start(request);
  for (let pauseMs = 250; outcome.status === 'in-progress' && deps.lockWait; pauseMs = Math.min(pauseMs * 2, 4000)) {
    const untilExpiry = outcome.leaseExpiresAt * 1000 + 1000 - deps.clock().getTime();
    const pause = Math.min(pauseMs, Math.max(untilExpiry, 0));
    // Keep a margin for the start itself and the batch's started mark.
    if (pause + 5000 > deps.lockWait.remainingMs()) break;
    await deps.lockWait.sleep(pause);
    outcome = await deps.start(request);
  }
  return outcome;
}

export type ArrivalOutcome =
  | { kind: 'waiting'; missing: string[] }
  | ({ kind: 'started'; runKey: string; executionName: string; executionArn: string; reupload: boolean; late: boolean } & StartedExtras)
  | ({ kind: 'already-started'; runKey: string; executionName: string; reupload: boolean; late: boolean } & StartedExtras)
  /** The batch's run waits for a concurrency slot (QUEUED); it starts when one frees. */
  | ({ kind: 'queued'; runKey: string; executionName: string; queueSeq: number; reupload: boolean; late: boolean } & StartedExtras)
  | { kind: 'duplicate'; runKey: string }
  | { kind: 'reupload-ignored'; runKey: string }
  /** A file its batch's manifest does not list: not part of the batch. */
  | { kind: 'ignored'; reason: 'not-in-manifest' };

/** Started outcomes also say which rule completed the batch, and what its manifest left out. */
type StartedExtras = { completedBy: CompletedBy; notInManifest?: string[] };

export async function recordArrival(arrival: FileArrival, deps: RecordArrivalDeps): Promise<ArrivalOutcome> {
  const trigger = fileTriggerOf(deps.registry.get(arrival.pipeline));
  if (!trigger)
    throw new UnknownPipelineError(
      arrival.pipeline,
      deps.registry.names.filter((n) => fileTriggerOf(deps.registry.get(n))),
    );
  const rule = deps.registry.completion(arrival.pipeline);
  if (rule.kind !== 'files') {
    return recordRuleArrival(arrival, rule, trigger, deps, (item, decision, objects) =>
      startBatch(item, { ...decision, reupload: false, notInManifest: decision.outside }, objects, deps),
    );
  }
  const required = deps.registry.requiredFiles(arrival.pipeline);
  if (!required.includes(arrival.file)) {
    throw new UnknownFileError(`pipeline "${arrival.pipeline}" has no file "${arrival.file}" (its files: ${required.join(', ')})`);
  }

  const item = await deps.batches.recordArrival(arrival, {
    now: deps.clock(),
    windowMinutes: trigger.windowMinutes ?? 0,
    ttlDays: deps.ttlDays,
  });
  const decision = decide(item, required, trigger.rerunOnReupload);

  switch (decision.action) {
    case 'wait':
      return { kind: 'waiting', missing: decision.missing };
    case 'duplicate':
    case 'reupload-ignored':
      // The arrival write re-created `openState` (if_not_exists cannot see the start): the
      // sweeper closes it when the deadline passes, which keeps that write off this path.
      return { kind: decision.action, runKey: decision.runKey };
    case 'start':
      return startBatch(item, { ...decision, completedBy: 'files' }, batchObjects(item, required), deps);
  }
}

interface StartDecision {
  runKey: string;
  fingerprint: string;
  reupload: boolean;
  completedBy: CompletedBy;
  notInManifest?: string[];
}

/** The complete batch's run: the lock (waiting out a live lease), then the started mark with the rule. */
async function startBatch(
  item: BatchItem,
  decision: StartDecision,
  objects: BatchObject[],
  deps: RecordArrivalDeps,
): Promise<ArrivalOutcome> {
  const { completedBy } = decision;
  const outcome = await startWaitingOutLease(
    { pipeline: item.pipeline, runKey: decision.runKey, batchKey: item.batchKey, trigger: 's3', objects, completedBy },
    deps,
  );
  if (outcome.status === 'in-progress') {
    throw new RunStartInProgressError(
      `run "${outcome.runKey}" is being started by another invocation (lease until ${new Date(outcome.leaseExpiresAt * 1000).toISOString()}); retrying the record`,
    );
  }
  // The sweeper reported this batch overdue before its last file came: mark it LATE so
  // the sweeper's next pass says it ran after all (the reupload re-run is not late).
  const late = item.overdueNotifiedAt !== undefined && !decision.reupload;
  await deps.batches.markStarted(item.pipeline, item.batchKey, {
    runKey: decision.runKey,
    fingerprint: decision.fingerprint,
    completedBy,
    ...(late ? { late } : {}),
  });
  const run = {
    runKey: outcome.runKey,
    executionName: outcome.executionName,
    reupload: decision.reupload,
    late,
    completedBy,
    ...(decision.notInManifest?.length ? { notInManifest: decision.notInManifest } : {}),
  };
  if (outcome.status === 'started') return { kind: 'started', ...run, executionArn: outcome.executionArn };
  if (outcome.status === 'queued') return { kind: 'queued', ...run, queueSeq: outcome.queueSeq };
  return { kind: 'already-started', ...run };
}
