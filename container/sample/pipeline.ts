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
  /** The same counts per logical file (`orders`, `customers`): which file the rejects came from. */
  rowsByFile: Record<string, FileCounts>;
  loads: TableLoad[];
}

export interface FileCounts {
  read: number;
  rejected: number;
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

/** Counts for one pipeline run, in total and per file. */
export interface RowCounts {
  read: number;
  rejected: number;
  byFile: Record<string, FileCounts>;
}

export const newRowCounts = (): RowCounts => ({ read: 0, rejected: 0, byFile: {} });

const fileCounts = (counts: RowCounts, file: string): FileCounts => (counts.byFile[file] ??= { read: 0, rejected: 0 });

/** One row of `file` read. */
export function countRead(counts: RowCounts, file: string): void {
  counts.read += 1;
  fileCounts(counts, file).read += 1;
}

/** One row of `file` (already counted as read) rejected. */
export function countRejected(counts: RowCounts, file: string): void {
  counts.rejected += 1;
  fileCounts(counts, file).rejected += 1;
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
      countRead(counts, file);
      countRejected(counts, file);
      await io.reject({ file, line: item.line, reason: item.reason, record: item.raw });
      continue;
    }
    const hash = fnv1a32(shardKey(item.fields));
    if (!ownsHash(io.shard, hash)) continue;
    countRead(counts, file);
    const parsed = schema.safeParse(item.fields);
    if (!parsed.success) {
      countRejected(counts, file);
      await io.reject({ file, line: item.line, reason: issuesText(parsed.error), record: item.fields });
      continue;
    }
    yield { line: item.line, hash, value: parsed.data, fields: item.fields };
  }
}
