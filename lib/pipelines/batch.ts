/**
 * What a Batches item says, as pure functions: is the batch complete, has it run, and is
 * this arrival a duplicate or a re-upload. No I/O, so every case is a plain unit test.
 */
import { shortHash } from './execution-name';
import type { BatchObject } from '../contracts/messages';
import type { CompletedBy, CompletionRule } from '../registry/pipeline-index';

/** One stored object of a batch: the newest upload of its file (S3 sequencer order). */
export interface StoredObject {
  bucket: string;
  key: string;
  size: number;
  etag: string;
  versionId?: string | undefined;
  sequencer?: string | undefined;
  /** The sequencer right-padded to a fixed width, so DynamoDB compares it as S3 orders events. */
  sequencerOrder?: string | undefined;
  eventTime?: string | undefined;
  /** Batches of unknown size: the logical file of this object (its member name is its key). */
  file?: string | undefined;
}

/** A Batches item: which files of one batch arrived, and whether its run started. */
export interface BatchItem {
  pk: string;
  pipeline: string;
  batchKey: string;
  /** Logical file names that arrived, sorted. */
  arrived: string[];
  /** `obj_<file>` attributes by logical file name. */
  objects: Record<string, StoredObject>;
  firstArrivalAt: string;
  deadline: number;
  /**
   * The incomplete-batch sweeper's index key (sparse): OPEN while waiting; OVERDUE once the
   * sweeper reported it; LATE when an overdue batch completed and started after all (the
   * sweeper then says so and removes it). Absent once started.
   */
  openState?: BatchOpenState;
  /** When the sweeper reported the batch overdue (ISO); kept after it completes. */
  overdueNotifiedAt?: string;
  startedRunKey?: string;
  startedFingerprint?: string;
  /** The rule that completed the batch (set with the start; `quiet` when the sweeper claimed it). */
  completedBy?: CompletedBy;
  /** Manifest batches: the keys the manifest lists, sorted (absent until it arrived). */
  manifestKeys?: string[];
  /** Manifest batches: keys listed with `mandatory: false` (run with them if they arrived). */
  manifestOptionalKeys?: string[];
  /** Marker batches: when the marker arrived (absent until it did). */
  markerAt?: string;
}

export type BatchOpenState = 'OPEN' | 'OVERDUE' | 'LATE';

export const baseRunKey = (pipeline: string, batchKey: string): string => `${pipeline}#${batchKey}`;

export function missingFiles(item: BatchItem, requiredFiles: readonly string[]): string[] {
  return requiredFiles.filter((file) => !item.arrived.includes(file) || !item.objects[file]);
}

export const isComplete = (item: BatchItem, requiredFiles: readonly string[]): boolean => missingFiles(item, requiredFiles).length === 0;

/** The batch's objects in the order the registry lists the files (those that arrived). */
export function batchObjects(item: BatchItem, requiredFiles: readonly string[]): BatchObject[] {
  return requiredFiles.flatMap((file) => {
    const stored: StoredObject | undefined = item.objects[file];
    if (!stored) return [];
    const { eventTime: _eventTime, sequencerOrder: _order, file: logical, ...object } = stored;
    return [{ file: logical ?? file, ...object }];
  });
}

/**
 * Identity of the exact uploads a run saw: etag and sequencer per file. A redelivered event
 * carries the same sequencer (duplicate); a new upload of the key carries a new one.
 */
export function uploadFingerprint(item: BatchItem, requiredFiles: readonly string[]): string {
  const parts = requiredFiles
    .map((file) => `${file}:${item.objects[file]?.etag ?? ''}:${item.objects[file]?.sequencer ?? item.objects[file]?.versionId ?? ''}`)
    .sort();
  return shortHash(parts.join('\n'), 16);
}

/** Run key of a re-run after a re-upload: changes with the content (etags) of the batch. */
export function rerunKey(item: BatchItem, requiredFiles: readonly string[]): string {
  const content = requiredFiles.map((file) => `${file}:${item.objects[file]?.etag ?? ''}`).sort();
  return `${baseRunKey(item.pipeline, item.batchKey)}#${shortHash(content.join('\n'))}`;
}

export type BatchDecision =
  | { action: 'wait'; missing: string[] }
  | { action: 'start'; runKey: string; fingerprint: string; reupload: boolean }
  /** Same uploads as the run that started: a redelivery. */
  | { action: 'duplicate'; runKey: string }
  /** Different uploads than the run saw, and the pipeline does not re-run on re-upload. */
  | { action: 'reupload-ignored'; runKey: string };

export function decide(item: BatchItem, requiredFiles: readonly string[], rerunOnReupload: boolean): BatchDecision {
  const missing = missingFiles(item, requiredFiles);
  if (missing.length) return { action: 'wait', missing };
  const fingerprint = uploadFingerprint(item, requiredFiles);
  if (!item.startedRunKey) return { action: 'start', runKey: baseRunKey(item.pipeline, item.batchKey), fingerprint, reupload: false };
  if (item.startedFingerprint === fingerprint) return { action: 'duplicate', runKey: item.startedRunKey };
  if (!rerunOnReupload) return { action: 'reupload-ignored', runKey: item.startedRunKey };
  return { action: 'start', runKey: rerunKey(item, requiredFiles), fingerprint, reupload: true };
}

/** What a batch of unknown size (trigger.complete) does after an arrival, or when the sweeper looks. */
export type RuleDecision =
  | { action: 'wait'; missing: string[] }
  /** `members`: the object keys it runs with; `outside`: files that arrived but its manifest does not list. */
  | { action: 'start'; runKey: string; fingerprint: string; members: string[]; outside: string[]; completedBy: CompletedBy }
  | { action: 'duplicate'; runKey: string };

/**
 * Manifest: complete when the manifest arrived and every key it lists did. Marker: complete
 * when the marker arrived. Quiet: complete only when the sweeper finds the quiet period
 * passed (`quietDue`). A started batch runs once: any later arrival is a duplicate.
 */
export function decideByRule(item: BatchItem, rule: Exclude<CompletionRule, { kind: 'files' }>, quietDue = false): RuleDecision {
  if (item.startedRunKey) return { action: 'duplicate', runKey: item.startedRunKey };
  let members = item.arrived;
  let outside: string[] = [];
  if (rule.kind === 'manifest') {
    if (!item.manifestKeys) return { action: 'wait', missing: ['(the manifest)'] };
    const listed = item.manifestKeys;
    const missing = listed.filter((key) => !item.arrived.includes(key) || !item.objects[key]);
    if (missing.length) return { action: 'wait', missing };
    const optional = item.manifestOptionalKeys ?? [];
    members = [...listed, ...optional.filter((key) => item.arrived.includes(key) && item.objects[key])];
    outside = item.arrived.filter((key) => !listed.includes(key) && !optional.includes(key));
  } else if (rule.kind === 'marker') {
    if (!item.markerAt) return { action: 'wait', missing: ['(the marker)'] };
  } else if (!quietDue) return { action: 'wait', missing: [] };
  return {
    action: 'start',
    runKey: baseRunKey(item.pipeline, item.batchKey),
    fingerprint: uploadFingerprint(item, members),
    members,
    outside,
    completedBy: rule.kind,
  };
}

/**
 * The files a batch would run with now and what it still waits for, by its rule: for a run
 * started by hand or by a schedule (which may run an incomplete batch with what arrived).
 */
export function batchContents(
  item: BatchItem,
  rule: CompletionRule,
  requiredFiles: readonly string[],
): { members: string[]; missing: string[] } {
  if (rule.kind === 'files') return { members: [...requiredFiles], missing: missingFiles(item, requiredFiles) };
  const decision = decideByRule({ ...item, startedRunKey: undefined }, rule, true);
  if (decision.action === 'start') return { members: decision.members, missing: [] };
  const listed = item.manifestKeys ? [...item.manifestKeys, ...(item.manifestOptionalKeys ?? [])] : undefined;
  const missing = decision.action === 'wait' ? decision.missing : [];
  return { members: listed ? item.arrived.filter((key) => listed.includes(key)) : item.arrived, missing };
}
