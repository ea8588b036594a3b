/**
 * The local warehouse: PGlite, a real PostgreSQL compiled to WebAssembly, persisted to a
 * directory. Chosen over DuckDB because Redshift speaks PostgreSQL's dialect (it forked from
 * PostgreSQL 8): the same DDL, `DELETE ... WHERE MOD(...)`, numeric/date types and
 * transaction semantics, so what works here is close to what runs on AWS. DuckDB is
 * columnar like Redshift but its SQL and transactions differ more.
 *
 * Rows go in through `unnest` of one array per column: a few statements per table
 * instead of one per row.
 */
import { withDirLock } from './dir-lock';
import {
  assertIdentifiers,
  checkRowWidths,
  storedColumns,
  type ColumnType,
  type ShardScope,
  type TableLoad,
  type TableSpec,
  type Warehouse,
} from './warehouse';

const PG_TYPES: Record<ColumnType, string> = {
  varchar: 'text',
  date: 'date',
  integer: 'integer',
  bigint: 'bigint',
  decimal: 'numeric(18,2)',
};

const CHUNK_ROWS = 10_000;

/** The part of PGlite this adapter uses (PGlite's own ESM and CJS typings do not unify). */
export interface SqlQueries {
  query<T = Record<string, unknown>>(sql: string, params?: unknown[]): Promise<{ rows: T[]; affectedRows?: number }>;
  exec(sql: string): Promise<unknown>;
}
type Transaction = SqlQueries;
export interface PgliteDb extends SqlQueries {
  transaction<T>(work: (tx: Transaction) => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export function pgCreateTable(table: TableSpec): string {
  const columns = storedColumns(table).map((c) => `${c.name} ${PG_TYPES[c.type]} NOT NULL`);
  return `CREATE TABLE IF NOT EXISTS ${table.name} (${columns.join(', ')})`;
}

async function insertRows(tx: Transaction, load: TableLoad, batchKey: string): Promise<number> {
  const columns = storedColumns(load.table);
  const names = columns.map((c) => c.name).join(', ');
  const arrays = columns.map((c, i) => `$${i + 1}::${PG_TYPES[c.type]}[]`).join(', ');
  const sql = `INSERT INTO ${load.table.name} (${names}) SELECT * FROM unnest(${arrays})`;
  let inserted = 0;
  for (let start = 0; start < load.rows.length; start += CHUNK_ROWS) {
    const chunk = load.rows.slice(start, start + CHUNK_ROWS);
    const params: unknown[][] = columns.map(() => []);
    for (const row of chunk) {
      params[0]!.push(batchKey);
      row.values.forEach((value, i) => params[i + 1]!.push(value));
      params[columns.length - 1]!.push(row.shardHash);
    }
    const result = await tx.query(sql, params);
    inserted += result.affectedRows ?? chunk.length;
  }
  return inserted;
}

export interface PgliteWarehouseOptions {
  dataDir: string;
}

/** Opens the database per load, under a directory lock, so concurrent shard processes take turns. */
export function pgliteWarehouse({ dataDir }: PgliteWarehouseOptions): Warehouse {
  return {
    async replaceShard(scope: ShardScope, loads: readonly TableLoad[]) {
      loads.forEach((load) => {
        assertIdentifiers(load.table);
        checkRowWidths(load);
      });
      return withDirLock(`${dataDir}.lock`, async () => {
        const db = await openPglite(dataDir);
        try {
          for (const load of loads) await db.exec(pgCreateTable(load.table));
          const rowsInserted = await db.transaction(async (tx) => {
            let total = 0;
            for (const load of loads) {
              await tx.query(`DELETE FROM ${load.table.name} WHERE batch_key = $1 AND MOD(shard_hash, $2) = $3`, [
                scope.batchKey,
                scope.shardCount,
                scope.shardIndex,
              ]);
              total += await insertRows(tx, load, scope.batchKey);
            }
            return total;
          });
          return { rowsInserted };
        } finally {
          await db.close();
        }
      });
    },
    async close() {},
  };
}

/** Loaded on demand: the AWS image runs Redshift and does not ship PGlite. */
export async function openPglite(dataDir: string): Promise<PgliteDb> {
  const { PGlite } = await import('@electric-sql/pglite');
  const db = new PGlite(dataDir);
  await db.waitReady;
  const api: PgliteDb = db;
  return api;
}
