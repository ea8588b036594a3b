/**
 * What a sample pipeline is: the logical files it reads, the tables it loads, and a run
 * over the batch that returns rows per table. The frame (run-sample.ts) gives it
 * streams, a rejects sink and the shard; it never sees S3 or the warehouse.
 */
import type * as z from 'zod';
import type { TableLoad, TableSpec } from '../warehouse/warehouse';
import type { CsvItem } from './csv-source';
import type { RejectedRow } from './rejects';
import { fnv1a32, ownsHash, type ShardFilter } from './shard';

export interface PipelineIo {
  shard: ShardFilter;
  /** The rows of one logical file, streamed. */
  open(file: string, columns: readonly string[]): AsyncIterable<CsvItem>;
  reject(row: Omit<RejectedRow, 'key'>): Promise<void>;
  signal: AbortSignal;
}

export interface PipelineResult {
  /** Data rows of this shard's share, accepted or not. */
  rowsRead: number;
  rowsRejected: number;
  loads: TableLoad[];
}

export interface SamplePipeline {
  files: readonly string[];
  tables: readonly TableSpec[];
  run(io: PipelineIo): Promise<PipelineResult>;
}

export interface OwnedRow<T> {
  line: number;
  hash: number;
  value: T;
  fields: Record<string, string>;
}

/** Counts for one pipeline run, shared by its files. */
export interface RowCounts {
  read: number;
  rejected: number;
}

/** The reason for a zod failure: every issue, with the column it concerns. */
export function issuesText(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.join('.') || 'row'}: ${issue.message}`).join('; ');
}

/**
 * The rows of `file` that belong to this shard, validated by `schema`. Rows of other
 * shards are skipped before validation; rejected rows go to the sink and the counts.
 */
export async function* ownedRows<T>(
  io: PipelineIo,
  file: string,
  columns: readonly string[],
  shardKey: (fields: Record<string, string>) => string,
  schema: z.ZodType<T, Record<string, string>>,
  counts: RowCounts,
): AsyncGenerator<OwnedRow<T>> {
  let seen = 0;
  for await (const item of io.open(file, columns)) {
    if ((seen += 1) % 8192 === 0 && io.signal.aborted) throw io.signal.reason;
    if (item.kind === 'malformed') {
      if (io.shard.index !== 0) continue;
      counts.read += 1;
      counts.rejected += 1;
      await io.reject({ file, line: item.line, reason: item.reason, record: item.raw });
      continue;
    }
    const hash = fnv1a32(shardKey(item.fields));
    if (!ownsHash(io.shard, hash)) continue;
    counts.read += 1;
    const parsed = schema.safeParse(item.fields);
    if (!parsed.success) {
      counts.rejected += 1;
      await io.reject({ file, line: item.line, reason: issuesText(parsed.error), record: item.fields });
      continue;
    }
    yield { line: item.line, hash, value: parsed.data, fields: item.fields };
  }
}
