/**
 * The AWS warehouse: Amazon Redshift through the Redshift Data API (no drivers, no VPC
 * connection from the task; IAM decides access).
 *
 * Per shard: stage the rows to S3 as CSV, then one BatchExecuteStatement, which Redshift
 * runs as a single transaction: LOCK the tables (concurrent shards queue instead of failing
 * with serializable-isolation errors), DELETE the shard's share of the batch, COPY the
 * staged file in. The Data API is asynchronous, so DescribeStatement is polled with backoff.
 *
 * BatchExecuteStatement takes no bind parameters, so the few literals (batch key, S3 URI,
 * role ARN) are checked against a conservative character set instead of escaped.
 */
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  type RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { setTimeout as sleepMs } from 'node:timers/promises';
import {
  assertIdentifiers,
  checkRowWidths,
  storedColumns,
  WarehouseError,
  type CellValue,
  type ColumnType,
  type ShardScope,
  type TableLoad,
  type TableSpec,
  type Warehouse,
} from './warehouse';

const REDSHIFT_TYPES: Record<ColumnType, string> = {
  varchar: 'varchar(1024)',
  date: 'date',
  integer: 'integer',
  bigint: 'bigint',
  decimal: 'decimal(18,2)',
};

/** Where statements run: a Serverless workgroup or a provisioned cluster. */
export type RedshiftTarget = { database: string; secretArn?: string } & (
  | { workgroupName: string }
  | { clusterIdentifier: string; dbUser?: string }
);

export interface PollOptions {
  initialMs: number;
  maxMs: number;
  timeoutMs: number;
}

export interface RedshiftWarehouseOptions {
  client: RedshiftDataClient;
  s3: S3Client;
  target: RedshiftTarget;
  /** Staging location for COPY; the key ends with the table, batch and shard. */
  staging: { bucket: string; prefix: string };
  /** IAM role Redshift assumes to read the staged files. */
  copyRoleArn: string;
  poll?: PollOptions;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

export const DEFAULT_POLL: PollOptions = { initialMs: 250, maxMs: 5_000, timeoutMs: 15 * 60_000 };

const SAFE_LITERAL = /^[A-Za-z0-9_\-.:=#@+/ ]+$/;

function literal(value: string, what: string): string {
  if (!SAFE_LITERAL.test(value)) throw new WarehouseError(`${what} "${value}" has characters unsafe in a Redshift literal`);
  return `'${value}'`;
}

export function redshiftCreateTable(table: TableSpec): string {
  const columns = storedColumns(table).map((c) => `${c.name} ${REDSHIFT_TYPES[c.type]} NOT NULL`);
  return `CREATE TABLE IF NOT EXISTS ${table.name} (${columns.join(', ')})`;
}

function csvCell(value: CellValue): string {
  return typeof value === 'number' ? String(value) : `"${value.replaceAll('"', '""')}"`;
}

/** The staged CSV: no header, strings always quoted, columns in storedColumns order. */
export function stagingCsv(load: TableLoad, batchKey: string): string {
  let out = '';
  for (const row of load.rows) {
    out += `${[batchKey, ...row.values, row.shardHash].map(csvCell).join(',')}\n`;
  }
  return out;
}

export function stagingKey(prefix: string, table: string, scope: ShardScope): string {
  return `${prefix}${table}/${scope.batchKey}/shard-${scope.shardIndex}-of-${scope.shardCount}.csv`;
}

export function redshiftWarehouse(options: RedshiftWarehouseOptions): Warehouse {
  const poll = options.poll ?? DEFAULT_POLL;
  const sleep = options.sleep ?? ((ms: number) => sleepMs(ms).then(() => undefined));
  const now = options.now ?? Date.now;
  const { target } = options;
  const where = {
    Database: target.database,
    ...(target.secretArn ? { SecretArn: target.secretArn } : {}),
    ...('workgroupName' in target
      ? { WorkgroupName: target.workgroupName }
      : { ClusterIdentifier: target.clusterIdentifier, ...(target.dbUser ? { DbUser: target.dbUser } : {}) }),
  };

  async function waitFor(id: string, what: string): Promise<void> {
    const deadline = now() + poll.timeoutMs;
    for (let delay = poll.initialMs; ; delay = Math.min(delay * 2, poll.maxMs)) {
      await sleep(delay);
      const statement = await options.client.send(new DescribeStatementCommand({ Id: id }));
      if (statement.Status === 'FINISHED') return;
      if (statement.Status === 'FAILED' || statement.Status === 'ABORTED') {
        throw new WarehouseError(`${what} ${statement.Status} (statement ${id}): ${statement.Error ?? 'no error message'}`);
      }
      if (now() > deadline) throw new WarehouseError(`${what} still ${statement.Status} after ${poll.timeoutMs} ms (statement ${id})`);
    }
  }

  async function execute(sql: string, what: string): Promise<void> {
    const { Id } = await options.client.send(new ExecuteStatementCommand({ ...where, Sql: sql }));
    if (!Id) throw new WarehouseError(`${what}: ExecuteStatement returned no statement id`);
    await waitFor(Id, what);
  }

  return {
    async replaceShard(scope, loads) {
      loads.forEach((load) => {
        assertIdentifiers(load.table);
        checkRowWidths(load);
      });
      const batchKey = literal(scope.batchKey, 'batch key');
      const role = literal(options.copyRoleArn, 'COPY role');

      // DDL outside the load transaction: LOCK needs the tables to exist.
      for (const load of loads) await execute(redshiftCreateTable(load.table), `create table ${load.table.name}`);

      const sqls = [`LOCK ${loads.map((l) => l.table.name).join(', ')}`];
      let rowsInserted = 0;
      for (const load of loads) {
        sqls.push(
          `DELETE FROM ${load.table.name} WHERE batch_key = ${batchKey} AND MOD(shard_hash, ${scope.shardCount}) = ${scope.shardIndex}`,
        );
        if (load.rows.length === 0) continue;
        const key = stagingKey(options.staging.prefix, load.table.name, scope);
        await options.s3.send(
          new PutObjectCommand({
            Bucket: options.staging.bucket,
            Key: key,
            Body: stagingCsv(load, scope.batchKey),
            ContentType: 'text/csv',
          }),
        );
        const columns = storedColumns(load.table)
          .map((c) => c.name)
          .join(', ');
        const uri = literal(`s3://${options.staging.bucket}/${key}`, 'staging URI');
        sqls.push(`COPY ${load.table.name} (${columns}) FROM ${uri} IAM_ROLE ${role} FORMAT AS CSV DATEFORMAT 'YYYY-MM-DD'`);
        rowsInserted += load.rows.length;
      }

      const { Id } = await options.client.send(new BatchExecuteStatementCommand({ ...where, Sqls: sqls }));
      if (!Id) throw new WarehouseError('BatchExecuteStatement returned no statement id');
      await waitFor(Id, `replace batch ${scope.batchKey} shard ${scope.shardIndex}`);
      return { rowsInserted };
    },
    async close() {},
  };
}
