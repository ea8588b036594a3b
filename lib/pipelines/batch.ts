/**
 * What a Batches item says, as pure functions: is the batch complete, has it run, and is
 * this arrival a duplicate or a re-upload. No I/O, so every case is a plain unit test.
 */
import { shortHash } from './execution-name';
import type { BatchObject } from '../contracts/messages';

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
    const { eventTime: _eventTime, sequencerOrder: _order, ...object } = stored;
    return [{ file, ...object }];
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
