/**
 * Operating command opsBackfill: run the batches of a range (or the batches named) from the
 * files that are in the bucket, for files that never went through the watcher (uploaded
 * before the pipeline existed, or while the stack was away) and batches whose start was lost.
 *
 * Primary course: find each batch's files in S3 (a range: list the pipeline's prefix and keep
 * the keys whose capture falls in it; named batches: the key of each file) → per batch: one
 * that already ran is left alone; one with every file starts exactly as the fan-in starts it:
 * its files not yet on the Batches item are recorded as arrivals (source `manual`), the last
 * of which starts the run under the batch's own run key (or queues it under a concurrency
 * limit); a batch recorded complete whose start was lost starts like a manual run.
 * Alternatives: a batch with files missing is listed with them and not started; values of a
 * date range without any file are listed as missing; `dryRun` reads only. Running it twice
 * starts nothing new: the batches it started are marked started (and share the fan-in's lock).
 */
import * as v from '../../shared/validation';
import type { BatchesTable } from '../adapters/batches-table';
import type { UploadedObject, UploadedObjects } from '../adapters/uploaded-objects';
import { baseRunKey, missingFiles, type BatchItem } from '../batch';
import { recordArrival, type ArrivalOutcome, type RecordArrivalDeps } from '../fan-in/record-arrival';
import { startManualRun } from '../start/manual-run';
import { startPipeline, type StartPipelineDeps } from '../start/start-pipeline';
import { UnknownPipelineError } from '../start/errors';
import { compilePattern, renderPattern } from '../../registry/patterns';
import { capturesOfBatchKey, fileTriggerOf } from '../../registry/pipeline-index';
import { OperationInputError } from './runs';

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
/** Batch keys one call takes. */
export const MAX_BATCHES = 1000;
/** At most this many days of a date range are checked for missing batches. */
export const MAX_MISSING_DAYS = 366;

const isRange = (input: { from?: string | undefined; to?: string | undefined }) => input.from !== undefined || input.to !== undefined;

export const BackfillInputSchema = v
  .strictObject({
    pipeline: v.string().min(1),
    /** A range of one capture's values, both ends included (ISO dates compare as dates). */
    from: v.string().min(1).optional(),
    to: v.string().min(1).optional(),
    /** The capture the range is of; default the only capture, or `date`. */
    capture: v.string().min(1).optional(),
    /** Or the batch keys to run. */
    batches: v.array(v.string().min(1)).min(1).optional(),
    dryRun: v.boolean().default(false),
  })
  .refine((input) => isRange(input) !== (input.batches !== undefined), 'give either from and to, or batches')
  .refine((input) => !isRange(input) || (input.from !== undefined && input.to !== undefined), 'a range needs both from and to')
  .refine((input) => input.from === undefined || input.to === undefined || input.from <= input.to, {
    message: 'from is after to',
    path: ['from'],
  })
  .refine((input) => input.capture === undefined || isRange(input), { message: 'capture applies to a range', path: ['capture'] })
  .refine((input) => (input.batches?.length ?? 0) <= MAX_BATCHES, { message: `at most ${MAX_BATCHES} batches at once`, path: ['batches'] });
export type BackfillInput = v.Infer<typeof BackfillInputSchema>;

export interface BackfillDeps {
  start: StartPipelineDeps & { batches: BatchesTable };
  objects: UploadedObjects;
  /** The stack's uploads bucket (pipelines that name none use it). */
  uploadsBucket: string;
  ttlDays: number;
}

type RunRef = { batchKey: string; runKey: string };

export interface BackfillReport {
  pipeline: string;
  dryRun: boolean;
  range?: { capture: string; from: string; to: string };
  /** Started now (dry run: would start). */
  started: RunRef[];
  /** Waiting for a concurrency slot. */
  queued: RunRef[];
  alreadyRan: RunRef[];
  incomplete: Array<{ batchKey: string; missing: string[] }>;
  /** Batches named, or days of a date range, of which no file is in the bucket. */
  missing: string[];
}

function eachDay(from: string, to: string): string[] {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`) && days.length < MAX_MISSING_DAYS; t += 86_400_000) {
    days.push(new Date(t).toISOString().slice(0, 10));
  }
  return days;
}

const commonPrefix = (a: string, b: string) => {
  let i = 0;
  while (i < a.length && a[i] === b[i]) i++;
  return a.slice(0, i);
};

export async function backfill(input: BackfillInput, deps: BackfillDeps): Promise<BackfillReport> {
  const { registry } = deps.start;
  const pipeline = registry.get(input.pipeline);
  if (!pipeline) throw new UnknownPipelineError(input.pipeline, registry.names);
  const trigger = fileTriggerOf(pipeline);
  if (!trigger) throw new OperationInputError(`pipeline "${input.pipeline}" has no file trigger: there are no batches to backfill`);
  const rule = registry.completion(input.pipeline);
  if (rule.kind !== 'files') {
    throw new OperationInputError(
      `pipeline "${input.pipeline}" completes its batches by ${rule.kind === 'quiet' ? 'a quiet period' : `its ${rule.kind}`}, not by named files: backfill cannot tell when such a batch is whole. Upload the ${rule.kind === 'quiet' ? 'files' : rule.kind} again, or start a batch with what arrived: startPipeline {"pipeline":"${input.pipeline}","batch":"<batch key>"}`,
    );
  }
  const bucket = trigger.bucket ?? deps.uploadsBucket;
  const order = registry.captures(input.pipeline);
  const required = registry.requiredFiles(input.pipeline);
  const patterns = Object.entries(trigger.files);
  const found = new Map<string, Map<string, UploadedObject>>();
  const report: BackfillReport = {
    pipeline: input.pipeline,
    dryRun: input.dryRun,
    started: [],
    queued: [],
    alreadyRan: [],
    incomplete: [],
    missing: [],
  };
  const add = (batchKey: string, file: string, object: UploadedObject) => {
    const files = found.get(batchKey) ?? new Map<string, UploadedObject>();
    files.set(file, object);
    found.set(batchKey, files);
  };

  if (input.batches) {
    for (const batchKey of input.batches) {
      const captures = capturesOfBatchKey(order, batchKey);
      if (!captures)
        throw new OperationInputError(
          `batch "${batchKey}" is not a batch key of pipeline "${input.pipeline}" (its captures: {${order.join('}_{')}})`,
        );
      found.set(batchKey, new Map());
      for (const [file, source] of patterns) {
        const key = renderPattern(source, captures);
        for await (const object of deps.objects.list(bucket, key)) if (object.key === key) add(batchKey, file, object);
      }
    }
  } else {
    const capture = input.capture ?? (order.length === 1 ? order[0] : order.includes('date') ? 'date' : undefined);
    if (!capture || !order.includes(capture)) {
      throw new OperationInputError(
        `say which capture the range is of: "capture" is one of ${order.map((c) => `"${c}"`).join(', ')}${input.capture ? ` (not "${input.capture}")` : ''}`,
      );
    }
    const [from, to] = [input.from!, input.to!];
    report.range = { capture, from, to };
    for (const [file, source] of patterns) {
      const compiled = compilePattern(source);
      // A range of the first capture narrows the listing to the values' common start.
      const prefix = compiled.literalPrefix + (compiled.captures[0] === capture ? commonPrefix(from, to) : '');
      for await (const object of deps.objects.list(bucket, prefix)) {
        const match = registry.match(bucket, object.key, deps.uploadsBucket);
        if (!match || match.pipeline !== input.pipeline || match.file !== file) continue;
        const value = match.captures[capture]!;
        if (value >= from && value <= to) add(match.batchKey, file, object);
      }
    }
    if (ISO_DATE.test(from) && ISO_DATE.test(to)) {
      const days = new Set([...found.keys()].map((key) => capturesOfBatchKey(order, key)?.[capture]));
      report.missing = eachDay(from, to).filter((day) => !days.has(day));
    }
  }

  for (const batchKey of [...found.keys()].sort()) {
    const files = found.get(batchKey)!;
    if (files.size === 0) {
      report.missing.push(batchKey);
      continue;
    }
    const item = await deps.start.batches.get(input.pipeline, batchKey);
    const runKey = baseRunKey(input.pipeline, batchKey);
    if (item?.startedRunKey) {
      report.alreadyRan.push({ batchKey, runKey: item.startedRunKey });
      continue;
    }
    const recorded = (file: string) => item !== undefined && missingFiles(item, [file]).length === 0;
    const missing = required.filter((file) => !files.has(file) && !recorded(file));
    if (missing.length) {
      report.incomplete.push({ batchKey, missing });
      continue;
    }
    if (input.dryRun) {
      report.started.push({ batchKey, runKey });
      continue;
    }
    const outcome = await runBatch(input.pipeline, batchKey, bucket, files, item, deps);
    if (outcome === 'queued') report.queued.push({ batchKey, runKey });
    else if (outcome === 'started') report.started.push({ batchKey, runKey });
    else report.alreadyRan.push({ batchKey, runKey });
  }
  return report;
}

/** Records the files the Batches item lacks, so the last one starts the run as the fan-in does. */
async function runBatch(
  pipeline: string,
  batchKey: string,
  bucket: string,
  files: Map<string, UploadedObject>,
  item: BatchItem | undefined,
  deps: BackfillDeps,
): Promise<'started' | 'queued' | 'already-started'> {
  const arrivalDeps: RecordArrivalDeps = {
    batches: deps.start.batches,
    registry: deps.start.registry,
    clock: deps.start.clock,
    ttlDays: deps.ttlDays,
    start: (request) => startPipeline(request, deps.start),
  };
  let last: ArrivalOutcome | undefined;
  for (const [file, object] of files) {
    if (item && missingFiles(item, [file]).length === 0) continue; // keep what the watcher recorded
    last = await recordArrival(
      {
        pipeline,
        batchKey,
        file,
        bucket,
        key: object.key,
        size: object.size,
        etag: object.etag,
        eventTime: deps.start.clock().toISOString(),
        source: 'manual',
      },
      arrivalDeps,
    );
  }
  if (!last) {
    // Every file was recorded and the batch never started (its start was lost): start it by hand.
    const outcome = await startManualRun({ pipeline, batch: batchKey }, deps.start);
    return outcome.status === 'queued' ? 'queued' : outcome.status === 'started' ? 'started' : 'already-started';
  }
  return last.kind === 'queued' ? 'queued' : last.kind === 'started' ? 'started' : 'already-started';
}
