/**
 * The sample pipeline task end to end, as ECS runs it: the esbuild bundle
 * (`node dist/task.js` in container/, the registry's command) as a child process, sync
 * launch, CSV fixtures streamed from s3rver, the local PGlite warehouse on disk.
 *
 * Child processes rather than in-process calls: PGlite loads Node built-ins with dynamic
 * `import()`, which Jest's module sandbox refuses without --experimental-vm-modules. It
 * also proves the built entry point, not only the sources.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BatchObject } from '../../lib/contracts/messages';
import { startS3rver, type S3Emulator } from '../helpers/s3rver';

jest.setTimeout(180_000);

const ROOT = join(__dirname, '../..');
const FIXTURES = join(__dirname, '../fixtures/csv');
const run = promisify(execFile);
let s3: S3Emulator;
let scratch: string;
// A new PGlite directory costs an initdb (seconds): tests share directories and keep apart
// by batch key, and each test's assertions are scoped to its batch key.
const ordersDir = () => join(scratch, 'orders');
const inventoryDir = () => join(scratch, 'inventory');

const objects: Record<string, BatchObject> = {};
async function upload(name: string, fixture: string, file: string, key: string) {
  const body = await readFile(join(FIXTURES, fixture));
  await s3.put(key, body);
  objects[name] = { file, bucket: s3.bucket, key, size: body.length, etag: `"${name}"` };
}

beforeAll(async () => {
  execFileSync(process.execPath, [join(ROOT, 'container/build.mjs')], { stdio: 'pipe' });
  s3 = await startS3rver();
  scratch = await mkdtemp(join(tmpdir(), 'sample-task-'));
  await upload('customers20', 'orders-daily/customers-2026-11-20.csv', 'customers', 'incoming/acme/customers-2026-11-20.csv');
  await upload('orders20', 'orders-daily/orders-2026-11-20.csv', 'orders', 'incoming/acme/orders-2026-11-20.csv');
  await upload('customers21', 'orders-daily/customers-2026-11-21.csv', 'customers', 'incoming/acme/customers-2026-11-21.csv');
  await upload('orders21', 'orders-daily/orders-2026-11-21.csv', 'orders', 'incoming/acme/orders-2026-11-21.csv');
  await upload('snapshot', 'inventory-snapshot/snapshot-eu-2026-11-20.csv', 'snapshot', 'incoming/inventory/eu/snapshot-2026-11-20.csv');
});

afterAll(async () => {
  await s3?.stop();
  if (scratch) await rm(scratch, { recursive: true, force: true });
});

interface Run {
  pipeline: string;
  batchKey: string;
  objects: BatchObject[];
  dataDir: string;
  shard?: { index: number; count: number };
  env?: Record<string, string>;
}

/** Runs the bundle as the registry's command does; returns its exit code and final log line. */
async function runSample(task: Run) {
  const shard = task.shard ?? { index: 0, count: 1 };
  const env = {
    ...s3.env,
    PIPELINE: task.pipeline,
    RUN_KEY: `${task.pipeline}#${task.batchKey}`,
    BATCH_KEY: task.batchKey,
    TRIGGER: 's3',
    EXECUTION_ARN: `arn:aws:states:us-east-1:123456789012:execution:pipeline:${task.pipeline}`,
    STAGE: 'test',
    SHARD_INDEX: String(shard.index),
    SHARD_COUNT: String(shard.count),
    OBJECTS: JSON.stringify(task.objects),
    LAUNCH: 'sync',
    WAREHOUSE: 'pglite',
    WAREHOUSE_DIR: task.dataDir,
    REJECT_MAX_RATIO: '0.5',
    ...task.env,
  };
  let code = 0;
  let stdout: string;
  try {
    ({ stdout } = await run(process.execPath, ['dist/task.js'], { cwd: join(ROOT, 'container'), env }));
  } catch (error) {
    const failed = error as { code: number; stdout: string };
    code = failed.code;
    stdout = failed.stdout;
  }
  const lines = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
  const final = lines.find((l) => l.message === 'task finished')!;
  expect(final.exitCode).toBe(code);
  return { code, final, lines };
}

/** Reads the warehouse from a separate process too (see the header comment). */
async function query(dataDir: string, sql: string): Promise<Array<Record<string, unknown>>> {
  const script = `
    const { PGlite } = require('@electric-sql/pglite');
    (async () => {
      const db = new PGlite(process.env.DATA_DIR);
      const { rows } = await db.query(process.env.SQL);
      await db.close();
      process.stdout.write(JSON.stringify(rows));
    })();`;
  const { stdout } = await run(process.execPath, ['-e', script], { cwd: ROOT, env: { DATA_DIR: dataDir, SQL: sql } });
  return JSON.parse(stdout) as Array<Record<string, unknown>>;
}

const ordersRows = (dataDir: string, batchKey: string) =>
  query(
    dataDir,
    `SELECT order_date::text AS order_date, customer_id, customer_name, country, order_count, total_amount::text AS total_amount
       FROM orders_daily_customer WHERE batch_key = '${batchKey}' ORDER BY order_date, customer_id`,
  );

const inventoryRows = (dataDir: string) =>
  query(
    dataDir,
    `SELECT region, sku, warehouse_rows, quantity_total, stock_value::text AS stock_value, last_counted_on::text AS last_counted_on
       FROM inventory_region_sku WHERE batch_key = 'eu_2026-11-20' ORDER BY region, sku`,
  );

const EXPECTED_ORDERS = [
  { order_date: '2026-11-20', customer_id: 'C001', customer_name: 'Smith, Jane', country: 'GB', order_count: 2, total_amount: '12.75' },
  { order_date: '2026-11-20', customer_id: 'C002', customer_name: 'Müller GmbH', country: 'DE', order_count: 1, total_amount: '5.00' },
  { order_date: '2026-11-20', customer_id: 'C003', customer_name: 'Acme Corp', country: 'US', order_count: 2, total_amount: '8.00' },
  { order_date: '2026-11-21', customer_id: 'C001', customer_name: 'Smith, Jane', country: 'GB', order_count: 1, total_amount: '1000.00' },
  { order_date: '2026-11-21', customer_id: 'C005', customer_name: 'Quote "Q" Ltd', country: 'FR', order_count: 1, total_amount: '-2.50' },
];

const EXPECTED_INVENTORY = [
  ['ap-south', 'GH-400', 1, 2, '2500.00', '2026-11-17'],
  ['ap-south', 'KL-600', 1, 4, '13.32', '2026-11-20'],
  ['eu-west', 'AB-100', 2, 15, '37.50', '2026-11-20'],
  ['eu-west', 'CD-200', 1, 3, '30.00', '2026-11-20'],
  ['eu-west', 'EF-300', 1, 100, '5.00', '2026-11-20'],
  ['eu-west', 'KL-600', 1, 6, '19.98', '2026-11-20'],
  ['eu-west', 'MN-700', 1, 8, '60.00', '2026-11-20'],
  ['us-east', 'AB-100', 1, 7, '16.80', '2026-11-20'],
  ['us-east', 'CD-200', 1, 0, '0.00', '2026-11-18'],
  ['us-east', 'EF-300', 1, 40, '2.00', '2026-11-20'],
  ['us-east', 'GH-400', 1, 1, '1250.00', '2026-11-20'],
].map(([region, sku, warehouse_rows, quantity_total, stock_value, last_counted_on]) => ({
  region,
  sku,
  warehouse_rows,
  quantity_total,
  stock_value,
  last_counted_on,
}));

describe('orders-daily', () => {
  const batch = () => [objects.customers20!, objects.orders20!];

  it('loads orders joined to customers, per UTC day and customer, with exact values', async () => {
    const dataDir = ordersDir();

    const { code, final } = await runSample({ pipeline: 'orders-daily', batchKey: '2026-11-20', objects: batch(), dataDir });

    expect(code).toBe(0);
    expect(final.result).toMatchObject({ recordsAffected: 5, rowsRejected: 7 });
    expect(final.details).toMatchObject({ rowsRead: 18 });
    // Which file the rows came from, and which the rejects.
    expect(final.details).toMatchObject({ rowsByFile: { customers: { read: 6, rejected: 2 }, orders: { read: 12, rejected: 5 } } });
    await expect(ordersRows(dataDir, '2026-11-20')).resolves.toEqual(EXPECTED_ORDERS);
  });

  it('writes every rejected row with its file, key, starting line and reason to the rejects object', async () => {
    const dataDir = ordersDir();
    await runSample({ pipeline: 'orders-daily', batchKey: '2026-11-20', objects: batch(), dataDir });

    const text = await s3.text('rejects/orders-daily/2026-11-20/shard-0.jsonl');
    const rejects = text!
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { file: string; key: string; line: number; reason: string; record: unknown });

    expect(rejects.map(({ file, line }) => `${file}:${line}`)).toEqual([
      'customers:6',
      'customers:7',
      'orders:9',
      'orders:10',
      'orders:11',
      'orders:12',
      'orders:13',
    ]);
    expect(rejects[0]).toMatchObject({
      key: 'incoming/acme/customers-2026-11-20.csv',
      reason: 'country: is not a two-letter country code',
    });
    expect(rejects[1]!.reason).toBe('duplicate customer_id "C002" (first at line 3)');
    expect(rejects[2]).toMatchObject({
      key: 'incoming/acme/orders-2026-11-20.csv',
      reason: 'customer_id: "C004" is not in the customers file',
    });
    expect(rejects[3]!.reason).toMatch(/^ordered_at: "2026-02-30" is not a date/);
    expect(rejects[4]!.reason).toMatch(/^amount: "12.345" is not an amount/);
    expect(rejects[5]).toMatchObject({
      reason: 'has 6 fields, the header has 5',
      record: ['O9', 'C001', '2026-11-20', '1.00', 'extra', 'field'],
    });
    expect(rejects[6]).toMatchObject({
      reason: 'customer_id: "C999" is not in the customers file',
      record: { order_id: 'O10', customer_id: 'C999' },
    });
  });

  it('leaves exactly the same rows when the batch runs again', async () => {
    const dataDir = ordersDir();
    await runSample({ pipeline: 'orders-daily', batchKey: '2026-11-20', objects: batch(), dataDir });

    const again = await runSample({ pipeline: 'orders-daily', batchKey: '2026-11-20', objects: batch(), dataDir });

    expect(again.code).toBe(0);
    await expect(ordersRows(dataDir, '2026-11-20')).resolves.toEqual(EXPECTED_ORDERS);
    await expect(query(dataDir, "SELECT count(*)::int AS n FROM orders_daily_customer WHERE batch_key = '2026-11-20'")).resolves.toEqual([
      { n: 5 },
    ]);
  });

  it('fails over the reject threshold, names it, and loads nothing', async () => {
    const dataDir = ordersDir();

    const { code, final } = await runSample({
      pipeline: 'orders-daily',
      batchKey: 'threshold-2026-11-20',
      objects: batch(),
      dataDir,
      env: { REJECT_MAX_RATIO: '0.1' },
    });

    expect(code).toBe(1);
    expect(final.error).toMatchObject({
      name: 'RejectThresholdError',
      // The message says which file the rejected rows came from.
      message:
        '7 of 18 rows rejected (customers: 2 of 6, orders: 5 of 12), more than REJECT_MAX_RATIO=0.1; see s3://uploads/rejects/orders-daily/threshold-2026-11-20/shard-0.jsonl',
    });
    await expect(ordersRows(dataDir, 'threshold-2026-11-20')).resolves.toEqual([]);
  });

  it('loads nothing and succeeds for a header-only and an empty (0-byte) file', async () => {
    const dataDir = ordersDir();

    const { code, final } = await runSample({
      pipeline: 'orders-daily',
      batchKey: '2026-11-21',
      objects: [objects.customers21!, objects.orders21!],
      dataDir,
    });

    expect(code).toBe(0);
    expect(final.result).toMatchObject({ recordsAffected: 0, rowsRejected: 0 });
    await expect(ordersRows(dataDir, '2026-11-21')).resolves.toEqual([]);
    await expect(s3.text('rejects/orders-daily/2026-11-21/shard-0.jsonl')).resolves.toBe('');
  });

  it('fails naming the missing logical file when the batch lacks one', async () => {
    const { code, final } = await runSample({
      pipeline: 'orders-daily',
      batchKey: '2026-11-20',
      objects: [objects.orders20!],
      dataDir: ordersDir(),
    });

    expect(code).toBe(1);
    expect(final.error).toMatchObject({
      name: 'BatchFilesError',
      message: 'orders-daily: the batch lacks file(s) customers (has: orders)',
    });
  });
});

describe('inventory-snapshot shards', () => {
  const runShard = (dataDir: string, index: number, count: number) =>
    runSample({
      pipeline: 'inventory-snapshot',
      batchKey: 'eu_2026-11-20',
      objects: [objects.snapshot!],
      dataDir,
      shard: { index, count },
    });

  it('loads the per region and SKU totals with exact values in one shard', async () => {
    const dataDir = inventoryDir();
    const { code, final } = await runShard(dataDir, 0, 1);

    expect(code).toBe(0);
    expect(final.result).toMatchObject({ recordsAffected: 11, rowsRejected: 4 });
    await expect(inventoryRows(dataDir)).resolves.toEqual(EXPECTED_INVENTORY);
  });

  it('splits the batch so that the shards together load exactly the whole, and reject each bad row once', async () => {
    const dataDir = join(scratch, 'inventory-sharded');

    // At the same time, as the Map state runs them: the PGlite directory lock serialises the loads.
    const [first, second] = await Promise.all([runShard(dataDir, 0, 2), runShard(dataDir, 1, 2)]);

    expect([first.code, second.code]).toEqual([0, 0]);
    const loaded = [first, second].map((r) => (r.final.result as { recordsAffected: number }).recordsAffected);
    expect(loaded.every((n) => n > 0)).toBe(true);
    expect(loaded[0]! + loaded[1]!).toBe(11);
    await expect(inventoryRows(dataDir)).resolves.toEqual(EXPECTED_INVENTORY);

    const rejected = await Promise.all([0, 1].map((i) => s3.text(`rejects/inventory-snapshot/eu_2026-11-20/shard-${i}.jsonl`)));
    const lines = rejected.flatMap((t) =>
      t!
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => (JSON.parse(l) as { line: number }).line),
    );
    expect(lines.sort((a, b) => a - b)).toEqual([9, 12, 13, 16]);
  });

  it('replaces the batch exactly when the shard count changes between runs', async () => {
    const dataDir = inventoryDir();
    await runShard(dataDir, 0, 1);

    await runShard(dataDir, 0, 2);
    await runShard(dataDir, 1, 2);

    await expect(inventoryRows(dataDir)).resolves.toEqual(EXPECTED_INVENTORY);
  });
});

describe('runs without files (schedule and manual)', () => {
  it('a schedule run with no files reports zero records, succeeds, and leaves the batch rows alone', async () => {
    // Prepare: a loaded inventory batch, so a wrong empty load would be visible.
    const dataDir = inventoryDir();
    await runSample({ pipeline: 'inventory-snapshot', batchKey: 'eu_2026-11-20', objects: [objects.snapshot!], dataDir });
    // Act: what a schedule firing of inventory-snapshot passes the container.
    const { code, final } = await runSample({
      pipeline: 'inventory-snapshot',
      batchKey: 'schedule#2026-11-20T05:00Z',
      objects: [],
      dataDir,
      shard: { index: 1, count: 2 },
      env: { TRIGGER: 'schedule', SCHEDULED_TIME: '2026-11-20T05:00:00.000Z' },
    });
    // Assess
    expect(code).toBe(0);
    expect(final).toMatchObject({
      trigger: 'schedule',
      scheduledTime: '2026-11-20T05:00:00.000Z',
      result: { recordsAffected: 0, rowsRejected: 0 },
    });
    expect(final.details).toMatchObject({ files: 0, reason: 'a schedule run without files' });
    await expect(inventoryRows(dataDir)).resolves.toEqual(EXPECTED_INVENTORY);
  });

  it('a manual run with no files succeeds the same way', async () => {
    const { code, final } = await runSample({
      pipeline: 'orders-daily',
      batchKey: 'manual#2026-11-20T10:00:00.000Z',
      objects: [],
      dataDir: ordersDir(),
      env: { TRIGGER: 'manual' },
    });
    expect(code).toBe(0);
    expect(final.result).toMatchObject({ recordsAffected: 0 });
  });
});
