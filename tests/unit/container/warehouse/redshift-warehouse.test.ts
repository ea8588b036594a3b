import {
  BatchExecuteStatementCommand,
  DescribeStatementCommand,
  ExecuteStatementCommand,
  RedshiftDataClient,
} from '@aws-sdk/client-redshift-data';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';
import { redshiftWarehouse, WarehouseError, type TableSpec } from '../../../../container/warehouse';

const redshiftMock = mockClient(RedshiftDataClient);
const s3Mock = mockClient(S3Client);

const TABLE: TableSpec = {
  name: 'orders_daily_customer',
  columns: [
    { name: 'order_date', type: 'date' },
    { name: 'customer_name', type: 'varchar' },
    { name: 'total_amount', type: 'decimal' },
  ],
};
const SCOPE = { batchKey: '2026-11-20', shardIndex: 1, shardCount: 2 };

function warehouse(sleeps: number[] = []) {
  return redshiftWarehouse({
    client: new RedshiftDataClient({}),
    s3: new S3Client({}),
    target: { database: 'analytics', workgroupName: 'pipelines' },
    staging: { bucket: 'uploads', prefix: 'staging/orders-daily/' },
    copyRoleArn: 'arn:aws:iam::123456789012:role/redshift-copy',
    poll: { initialMs: 100, maxMs: 400, timeoutMs: 10_000 },
    sleep: async (ms) => {
      sleeps.push(ms);
    },
  });
}

beforeEach(() => {
  redshiftMock.reset();
  s3Mock.reset();
  s3Mock.on(PutObjectCommand).resolves({});
  redshiftMock.on(ExecuteStatementCommand).resolves({ Id: 'ddl-1' });
  redshiftMock.on(BatchExecuteStatementCommand).resolves({ Id: 'batch-1' });
  redshiftMock.on(DescribeStatementCommand).resolves({ Status: 'FINISHED' });
});

describe('redshiftWarehouse.replaceShard', () => {
  it('stages the rows as CSV and replaces the shard share in one batch: lock, delete, copy', async () => {
    const rows = [
      { shardHash: 7, values: ['2026-11-20', 'Smith, "Jane"', '12.75'] },
      { shardHash: 9, values: ['2026-11-21', 'Acme', '-2.50'] },
    ];

    await expect(warehouse().replaceShard(SCOPE, [{ table: TABLE, rows }])).resolves.toEqual({ rowsInserted: 2 });

    const put = s3Mock.commandCalls(PutObjectCommand)[0]!.args[0].input;
    expect(put).toMatchObject({ Bucket: 'uploads', Key: 'staging/orders-daily/orders_daily_customer/2026-11-20/shard-1-of-2.csv' });
    expect(put.Body).toBe('"2026-11-20","2026-11-20","Smith, ""Jane""","12.75",7\n"2026-11-20","2026-11-21","Acme","-2.50",9\n');

    expect(redshiftMock.commandCalls(ExecuteStatementCommand)[0]!.args[0].input).toEqual({
      Database: 'analytics',
      WorkgroupName: 'pipelines',
      Sql: 'CREATE TABLE IF NOT EXISTS orders_daily_customer (batch_key varchar(1024) NOT NULL, order_date date NOT NULL, customer_name varchar(1024) NOT NULL, total_amount decimal(18,2) NOT NULL, shard_hash bigint NOT NULL)',
    });
    const batches = redshiftMock.commandCalls(BatchExecuteStatementCommand);
    expect(batches).toHaveLength(1);
    expect(batches[0]!.args[0].input).toEqual({
      Database: 'analytics',
      WorkgroupName: 'pipelines',
      Sqls: [
        'LOCK orders_daily_customer',
        "DELETE FROM orders_daily_customer WHERE batch_key = '2026-11-20' AND MOD(shard_hash, 2) = 1",
        "COPY orders_daily_customer (batch_key, order_date, customer_name, total_amount, shard_hash) FROM 's3://uploads/staging/orders-daily/orders_daily_customer/2026-11-20/shard-1-of-2.csv' IAM_ROLE 'arn:aws:iam::123456789012:role/redshift-copy' FORMAT AS CSV DATEFORMAT 'YYYY-MM-DD'",
      ],
    });
  });

  it('still deletes the share, without staging or COPY, when the shard has no rows', async () => {
    await warehouse().replaceShard(SCOPE, [{ table: TABLE, rows: [] }]);

    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(redshiftMock.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input.Sqls).toEqual([
      'LOCK orders_daily_customer',
      "DELETE FROM orders_daily_customer WHERE batch_key = '2026-11-20' AND MOD(shard_hash, 2) = 1",
    ]);
  });

  it('polls DescribeStatement with doubling, capped delays until the statement finishes', async () => {
    redshiftMock
      .on(DescribeStatementCommand, { Id: 'batch-1' })
      .resolvesOnce({ Status: 'SUBMITTED' })
      .resolvesOnce({ Status: 'PICKED' })
      .resolvesOnce({ Status: 'STARTED' })
      .resolvesOnce({ Status: 'STARTED' })
      .resolves({ Status: 'FINISHED' });
    const sleeps: number[] = [];

    await warehouse(sleeps).replaceShard(SCOPE, [{ table: TABLE, rows: [] }]);

    // One poll for the DDL, then five for the batch.
    expect(sleeps).toEqual([100, 100, 200, 400, 400, 400]);
    expect(redshiftMock.commandCalls(DescribeStatementCommand)).toHaveLength(6);
  });

  it('fails with the statement error when the transaction fails', async () => {
    redshiftMock
      .on(DescribeStatementCommand, { Id: 'batch-1' })
      .resolves({ Status: 'FAILED', Error: 'Load into table failed; check stl_load_errors' });

    const attempt = warehouse().replaceShard(SCOPE, [{ table: TABLE, rows: [{ shardHash: 1, values: ['2026-11-20', 'x', '1.00'] }] }]);

    await expect(attempt).rejects.toThrow(WarehouseError);
    await expect(attempt).rejects.toThrow(/FAILED \(statement batch-1\): Load into table failed; check stl_load_errors/);
  });

  it('gives up after its timeout while the statement keeps running', async () => {
    redshiftMock.on(DescribeStatementCommand, { Id: 'batch-1' }).resolves({ Status: 'STARTED' });
    let clock = 0;
    const wh = redshiftWarehouse({
      client: new RedshiftDataClient({}),
      s3: new S3Client({}),
      target: { database: 'analytics', clusterIdentifier: 'main', dbUser: 'loader' },
      staging: { bucket: 'uploads', prefix: 'staging/' },
      copyRoleArn: 'arn:aws:iam::123456789012:role/redshift-copy',
      poll: { initialMs: 1_000, maxMs: 1_000, timeoutMs: 5_000 },
      sleep: async (ms) => {
        clock += ms;
      },
      now: () => clock,
    });

    await expect(wh.replaceShard(SCOPE, [{ table: TABLE, rows: [] }])).rejects.toThrow(/still STARTED after 5000 ms/);
    expect(redshiftMock.commandCalls(BatchExecuteStatementCommand)[0]!.args[0].input).toMatchObject({
      ClusterIdentifier: 'main',
      DbUser: 'loader',
    });
  });

  it('refuses a batch key that would need escaping in SQL', async () => {
    await expect(warehouse().replaceShard({ ...SCOPE, batchKey: "x'; DROP TABLE t; --" }, [{ table: TABLE, rows: [] }])).rejects.toThrow(
      /batch key .* unsafe in a Redshift literal/,
    );
    expect(redshiftMock.commandCalls(BatchExecuteStatementCommand)).toHaveLength(0);
  });
});
