/**
 * The warehouse a pipeline loads into: one interface, two adapters (PGlite locally,
 * Redshift through the Data API on AWS), chosen by WAREHOUSE=pglite|redshift.
 *
 * Idempotency: every target table carries `batch_key` and `shard_hash` (the stable hash of
 * the row's shard key, see container/sample/shard.ts). A shard replaces exactly its share
 * of its batch (`batch_key = k AND MOD(shard_hash, N) = i`), delete-then-insert in one
 * transaction: a re-run replaces rows, never duplicates them, and shards never touch each
 * other's rows, even when the shard count changes between runs.
 */
export type ColumnType = 'varchar' | 'date' | 'integer' | 'bigint' | 'decimal';

export interface ColumnSpec {
  name: string;
  type: ColumnType;
}

/** A target table; `batch_key` and `shard_hash` are added by the adapters. */
export interface TableSpec {
  name: string;
  columns: readonly ColumnSpec[];
}

/** Values in the table's column order: dates as `YYYY-MM-DD`, decimals as text (exact). */
export type CellValue = string | number;

export interface WarehouseRow {
  shardHash: number;
  values: readonly CellValue[];
}

export interface TableLoad {
  table: TableSpec;
  rows: readonly WarehouseRow[];
}

export interface ShardScope {
  batchKey: string;
  shardIndex: number;
  shardCount: number;
}

export interface Warehouse {
  /** Replaces this shard's share of the batch in every table, all in one transaction. */
  replaceShard(scope: ShardScope, loads: readonly TableLoad[]): Promise<{ rowsInserted: number }>;
  close(): Promise<void>;
}

export class WarehouseError extends Error {
  override readonly name = 'WarehouseError';
}

export const BATCH_KEY_COLUMN: ColumnSpec = { name: 'batch_key', type: 'varchar' };
export const SHARD_HASH_COLUMN: ColumnSpec = { name: 'shard_hash', type: 'bigint' };

/** The stored columns: batch key first, the table's own, shard hash last. */
export function storedColumns(table: TableSpec): ColumnSpec[] {
  return [BATCH_KEY_COLUMN, ...table.columns, SHARD_HASH_COLUMN];
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Table and column names are code, not data; still, refuse anything that would need quoting. */
export function assertIdentifiers(table: TableSpec): void {
  for (const name of [table.name, ...table.columns.map((c) => c.name)]) {
    if (!IDENTIFIER.test(name)) throw new WarehouseError(`invalid identifier "${name}" in table ${table.name}`);
  }
}

export function checkRowWidths(load: TableLoad): void {
  const width = load.table.columns.length;
  load.rows.forEach((row, i) => {
    if (row.values.length !== width) {
      throw new WarehouseError(`row ${i} for ${load.table.name} has ${row.values.length} values, expected ${width}`);
    }
  });
}
