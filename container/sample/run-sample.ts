/**
 * The sample pipeline task, for one shard of one batch:
 *  1. extract + transform: stream each logical file of the batch from S3 through the
 *     pipeline's row schema, joins and aggregates (rows of other shards are skipped);
 *     rejected rows stream to the rejects object;
 *  2. fail if the rejects exceed the threshold (nothing is loaded then);
 *  3. load: replace this shard's share of the batch in the warehouse, in one transaction.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { BatchObject } from '../../lib/contracts/messages';
import type { TaskContext, TaskOutcome } from '../worker';
import type { Warehouse } from '../warehouse/warehouse';
import { objectLabel, openObject, readCsv } from './csv-source';
import { overThreshold, readRejectThreshold } from './config';
import { BatchFilesError, RejectThresholdError, SampleConfigError } from './errors';
import type { PipelineIo, SamplePipeline } from './pipeline';
import { inventorySnapshot } from './pipelines/inventory-snapshot';
import { ordersDaily } from './pipelines/orders-daily';
import { RejectsWriter, rejectsKey } from './rejects';

export const SAMPLE_PIPELINES: Record<string, SamplePipeline> = {
  'orders-daily': ordersDaily,
  'inventory-snapshot': inventorySnapshot,
  // The same snapshot, delivered as many part files a marker closes (pipelines.yml).
  'inventory-parts': inventorySnapshot,
  // The activity sample (launch activity): recounts are snapshots of the same columns.
  'inventory-recount': inventorySnapshot,
};

export interface SampleDeps {
  s3: S3Client;
  warehouse: Warehouse;
  pipelines?: Record<string, SamplePipeline>;
}

/**
 * The batch's objects by logical file. A batch of unknown size (trigger.complete) has many
 * objects of one file (its parts, read one after another); otherwise a file is one object.
 */
function filesOf(pipeline: SamplePipeline, objects: readonly BatchObject[], name: string): Map<string, BatchObject[]> {
  const byFile = new Map<string, BatchObject[]>();
  for (const object of objects) {
    const held = byFile.get(object.file);
    if (held?.some((other) => other.key === object.key)) throw new BatchFilesError(`${name}: the batch lists ${object.key} twice`);
    byFile.set(object.file, [...(held ?? []), object]);
  }
  const missing = pipeline.files.filter((file) => !byFile.has(file));
  if (missing.length) {
    throw new BatchFilesError(`${name}: the batch lacks file(s) ${missing.join(', ')} (has: ${[...byFile.keys()].join(', ') || 'none'})`);
  }
  return byFile;
}

export async function runSamplePipeline(ctx: TaskContext, deps: SampleDeps): Promise<TaskOutcome> {
  const { task, timings } = ctx;
  if (ctx.event !== undefined) {
    // A run started by an event or a queue message: the sample records what it was started
    // with (a real container would act on ctx.event); there are no files to load.
    ctx.log.info('started by an event', { trigger: ctx.trigger, event: ctx.event });
    return { recordsAffected: 0, rowsRejected: 0, details: { rowsRead: 0, files: 0, trigger: ctx.trigger, event: ctx.event } };
  }
  const pipeline = (deps.pipelines ?? SAMPLE_PIPELINES)[task.pipeline];
  if (!pipeline)
    throw new SampleConfigError(`pipeline "${task.pipeline}" is not one this container runs (${Object.keys(SAMPLE_PIPELINES).join(', ')})`);
  const threshold = readRejectThreshold(ctx.env);
  if (ctx.objects.length === 0) {
    // A schedule or manual run that carries no files (the worker allows that for those
    // triggers only): nothing arrived for it, so nothing is read and the warehouse keeps
    // what it has; an empty load would wipe the batch's rows.
    ctx.log.info('no files in this run: nothing to load', {
      trigger: ctx.trigger,
      ...(ctx.scheduledTime ? { scheduledTime: ctx.scheduledTime.toISOString() } : {}),
    });
    return { recordsAffected: 0, rowsRejected: 0, details: { rowsRead: 0, files: 0, reason: `a ${ctx.trigger} run without files` } };
  }
  const files = filesOf(pipeline, ctx.objects, task.pipeline);
  const first = files.get(pipeline.files[0]!)![0]!;
  // Which object of each file is being read, for its rejected rows.
  const reading = new Map<string, BatchObject>();

  const rejects = new RejectsWriter(deps.s3, first.bucket, rejectsKey(task.pipeline, task.batchKey, task.shard.index));
  const io: PipelineIo = {
    shard: task.shard,
    signal: ctx.signal,
    async *open(file, columns) {
      for (const object of files.get(file)!) {
        reading.set(file, object);
        const body = await timings.time('extract', () => openObject(deps.s3, object));
        yield* readCsv(body, objectLabel(object), { columns, timings });
      }
    },
    reject: (row) => rejects.add({ ...row, key: (reading.get(row.file) ?? files.get(row.file)![0]!).key }),
  };

  const phaseStart = performance.now();
  const extractBefore = timings.snapshot().extract;
  let result;
  try {
    result = await pipeline.run(io);
  } catch (error) {
    rejects.abort();
    throw error;
  }
  const written = await rejects.close();
  // Reading and transforming interleave: transform is the phase minus the time spent reading.
  const phaseMs = performance.now() - phaseStart;
  timings.add('transform', Math.max(0, phaseMs - (timings.snapshot().extract - extractBefore)));

  const rejectsAt = `s3://${written.bucket}/${written.key}`;
  const over = overThreshold(threshold, result.rowsRead, result.rowsRejected, result.rowsByFile);
  if (over) throw new RejectThresholdError(`${over}; see ${rejectsAt}`);

  const { rowsInserted } = await timings.time('load', () =>
    deps.warehouse.replaceShard({ batchKey: task.batchKey, shardIndex: task.shard.index, shardCount: task.shard.count }, result.loads),
  );
  return {
    recordsAffected: rowsInserted,
    rowsRejected: result.rowsRejected,
    details: {
      rowsRead: result.rowsRead,
      rowsByFile: result.rowsByFile,
      rejects: rejectsAt,
      tables: result.loads.map((l) => ({ table: l.table.name, rows: l.rows.length })),
    },
  };
}
