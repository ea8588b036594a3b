/**
 * `npm run demo` as a test: a fresh local cloud, the demo's uploads (complete batch, incomplete
 * batch, duplicate, unmatched file) and events (one, its duplicate, one no pattern wants), then
 * the Runs table, the execution history and the warehouse rows as a person would check them.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { freshLocalCloud } from '../../local/cloud/test-support';
import { describeExecutionDetail } from '../../local/console/server';
import { checkContainerBuild, describeFigures, runDemo, runFigures, type DemoResult } from '../../local/scenarios/demo/demo';
import type { LocalCloud } from '../../local/cloud/start';
import { projectRoot } from '../../local/cloud/test-support';

jest.setTimeout(300_000);

let cloud: LocalCloud;
let result: DemoResult;
/** The file batch's part of the demo: its executions and runs (the event run is checked on its own). */
let batch: Pick<DemoResult, 'executions' | 'runs'>;
beforeAll(async () => {
  checkContainerBuild(projectRoot);
  cloud = await freshLocalCloud();
  result = await runDemo(cloud, { timeoutMs: 120_000 });
  batch = {
    executions: result.executions.filter((e) => e.name!.startsWith('orders-daily-')),
    runs: result.runs.filter((r) => r.pipeline === 'orders-daily'),
  };
});
afterAll(async () => {
  await cloud?.stop();
});

test('the complete batch ran once and succeeded; the incomplete batch and the duplicate started nothing', () => {
  expect(result.problems).toEqual([]);
  expect(batch.executions).toHaveLength(1);
  expect(batch.executions[0]!.status).toBe('SUCCEEDED');
  expect(batch.runs.map((r) => [r.pk, r.status])).toEqual([['orders-daily#2026-11-20', 'SUCCEEDED']]);
  const incomplete = result.batches.find((b) => b.pk === 'orders-daily#2026-11-21');
  expect([...(incomplete!.arrived as Set<string>)]).toEqual(['orders']);
});

test('the event ran once: its duplicate and the event no pattern wants started nothing', () => {
  expect(result.executions).toHaveLength(2);
  const events = result.runs.filter((r) => r.pipeline === 'order-batch-closed');
  expect(events.map((r) => [r.pk, r.trigger, r.batchKey, r.status])).toEqual([
    ['order-batch-closed#demo-au-0001', 'events', 'demo-au-0001', 'SUCCEEDED'],
  ]);
});

test('the Runs item records the result: 8 orders read, none rejected, 4 rows loaded', () => {
  const run = batch.runs[0]!;
  expect(run).toEqual(
    expect.objectContaining({ pipeline: 'orders-daily', batchKey: '2026-11-20', trigger: 's3', executionName: batch.executions[0]!.name }),
  );
  expect((run.result as { recordsAffected?: number }).recordsAffected).toBe(4);
});

test("the demo's summary says what the numbers are: rows read per file, rejected, loaded into which table; no notices", () => {
  const figures = runFigures(cloud, 'orders-daily#2026-11-20');
  expect(figures).toEqual({
    rowsRead: 12,
    rowsRejected: 0,
    rowsByFile: { customers: { read: 4, rejected: 0 }, orders: { read: 8, rejected: 0 } },
    recordsAffected: 4,
    tables: { orders_daily_customer: 4 },
  });
  expect(describeFigures(figures!)).toBe('read 12 rows (customers 4, orders 8), rejected 0; loaded 4 rows into orders_daily_customer');
  expect(cloud.monitoring.notices()).toEqual([]);
});

test('the execution history shows the ECS task launched with a callback and the run recorded', async () => {
  const detail = await describeExecutionDetail(cloud.clients.sfn!, batch.executions[0]!.executionArn!);
  const states = detail.view.rows.map((r) => [r.name, r.status]);
  expect(states).toEqual(expect.arrayContaining([['Run ECS Task And Wait For Callback', 'SUCCEEDED']]));
  expect(detail.view.rows.every((r) => r.status === 'SUCCEEDED')).toBe(true);
});

test('the run carries its estimated cost, in the Runs item and on the console', async () => {
  // A callback run of one shard: 7 + 3 transitions, and its task billed one minute at least.
  const cost = (batch.runs[0]!.result as { cost?: { usd: number; tasksUsd: number; transitions: number; taskSeconds: number } }).cost;
  expect(cost).toEqual(expect.objectContaining({ transitions: 10, taskSeconds: expect.any(Number) }));
  expect(cost!.taskSeconds).toBeGreaterThanOrEqual(60);
  expect(cost!.usd).toBeGreaterThan(cost!.tasksUsd);
  const detail = await describeExecutionDetail(cloud.clients.sfn!, batch.executions[0]!.executionArn!);
  expect(detail.cost).toEqual(cost);
  const page = await (
    await fetch(`${cloud.endpoints.console}/executions/${encodeURIComponent(batch.executions[0]!.executionArn!)}`)
  ).text();
  expect(page).toContain('Estimated cost: $');
});

/** The warehouse rows, read in a child process (PGlite's dynamic imports do not load under jest). */
async function readWarehouseRows(dataDir: string): Promise<Record<string, Array<Record<string, unknown>>>> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [join(projectRoot, 'scripts/run-ts.mjs'), 'local/scenarios/demo/read-warehouse.ts', dataDir],
    { cwd: projectRoot },
  );
  return JSON.parse(stdout) as Record<string, Array<Record<string, unknown>>>;
}

test('the warehouse holds one row per customer of 2026-11-20', async () => {
  const rows = await readWarehouseRows(cloud.warehouseDir);
  const daily = rows.orders_daily_customer ?? [];
  expect(daily.map((r) => [r.customer_id, Number(r.order_count), Number(r.total_amount)])).toEqual([
    ['C001', 2, 34.5],
    ['C002', 2, 12.75],
    ['C003', 3, 220.24],
    ['C004', 1, 42],
  ]);
});
