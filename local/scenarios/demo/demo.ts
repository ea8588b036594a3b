/**
 * The demo as a function (used by `npm run demo` and by the end-to-end test): on a running
 * local cloud, upload the sample pipeline's fixtures (one complete orders-daily batch, one
 * incomplete batch, one duplicate upload, one file no pipeline wants), wait for the runs,
 * and gather what a person checks: executions, Runs items, records loaded, warehouse rows.
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { ListExecutionsCommand, type ExecutionListItem } from '@aws-sdk/client-sfn';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LocalCloud } from '../../cloud/start';
import { orderBatchClosed, putEvents, type PutEventsEntry } from '../../cloud/put-events';

export const DEMO_FIXTURES = join(__dirname, 'fixtures');

export interface DemoUpload {
  /** File under local/scenarios/demo/fixtures. */
  fixture: string;
  key: string;
  why: string;
}

export const DEMO_UPLOADS: DemoUpload[] = [
  { fixture: 'orders-2026-11-20.csv', key: 'incoming/acme/orders-2026-11-20.csv', why: 'first file of the 2026-11-20 batch' },
  {
    fixture: 'customers-2026-11-20.csv',
    key: 'incoming/acme/customers-2026-11-20.csv',
    why: 'completes the 2026-11-20 batch: one run starts',
  },
  { fixture: 'orders-2026-11-21.csv', key: 'incoming/acme/orders-2026-11-21.csv', why: 'a batch whose customers file never comes: no run' },
  { fixture: 'orders-2026-11-20.csv', key: 'incoming/acme/orders-2026-11-20.csv', why: 'the same file again: no second run' },
  { fixture: 'README.md', key: 'incoming/acme/notes.txt', why: 'matches no pipeline: ignored' },
];

export interface DemoEvent {
  entry: PutEventsEntry;
  why: string;
}

/** Events put on the default bus after the uploads (pipeline order-batch-closed, started by events). */
export const DEMO_EVENTS: DemoEvent[] = [
  { entry: orderBatchClosed('demo-au-0001', 'AU'), why: 'an AU batch closed: one run, named by its idempotency key' },
  { entry: orderBatchClosed('demo-au-0001', 'AU'), why: 'the same event again: no second run' },
  { entry: orderBatchClosed('demo-eu-0002', 'EU'), why: 'an EU batch: the pattern wants AU or NZ, no run' },
];

/** The runs the demo must end with: run key → status. */
export const EXPECTED_RUNS: Record<string, string> = {
  'orders-daily#2026-11-20': 'SUCCEEDED',
  'order-batch-closed#demo-au-0001': 'SUCCEEDED',
};

export interface DemoResult {
  executions: ExecutionListItem[];
  runs: Array<Record<string, unknown>>;
  batches: Array<Record<string, unknown>>;
  ok: boolean;
  problems: string[];
}

/** The uploads bucket: the stack's bucket that has notifications (not the deployment bucket). */
export function uploadsBucket(cloud: LocalCloud): string {
  const entry = Object.entries(cloud.resources.buckets).find(([id]) => /upload/i.test(id));
  if (!entry) throw new Error(`the stack has no uploads bucket (buckets: ${Object.keys(cloud.resources.buckets).join(', ')})`);
  return entry[1];
}

export async function uploadFixture(cloud: LocalCloud, upload: DemoUpload, bucket = uploadsBucket(cloud)): Promise<void> {
  const body = readFileSync(join(DEMO_FIXTURES, upload.fixture));
  await cloud.clients.s3.send(new PutObjectCommand({ Bucket: bucket, Key: upload.key, Body: body, ContentType: 'text/csv' }));
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function scan(cloud: LocalCloud, tableId: RegExp): Promise<Array<Record<string, unknown>>> {
  const table = Object.entries(cloud.resources.tables).find(([id]) => tableId.test(id))?.[1];
  if (!table) return [];
  const out = await cloud.clients.documents.send(new ScanCommand({ TableName: table }));
  return out.Items ?? [];
}

export async function listAllExecutions(cloud: LocalCloud): Promise<ExecutionListItem[]> {
  const out = await cloud.clients.sfn!.send(
    new ListExecutionsCommand({ stateMachineArn: cloud.resources.stateMachineArn, maxResults: 1000 }),
  );
  return out.executions ?? [];
}

/**
 * Uploads the demo files one by one (each after the previous one's event was handled, so the
 * story reads in order), then waits until the expected runs have closed and nothing else moves.
 */
export async function runDemo(
  cloud: LocalCloud,
  options: { timeoutMs?: number; settleMs?: number; betweenUploadsMs?: number } = {},
): Promise<DemoResult> {
  const timeoutMs = options.timeoutMs ?? 180_000;
  const settleMs = options.settleMs ?? 1_500;
  const bucket = uploadsBucket(cloud);
  for (const upload of DEMO_UPLOADS) {
    await uploadFixture(cloud, upload, bucket);
    await cloud.wiring.drain();
    await sleep(options.betweenUploadsMs ?? 300);
  }
  for (const event of DEMO_EVENTS) {
    const put = await putEvents(cloud.endpoints.events, [event.entry]);
    if (put.FailedEntryCount) throw new Error(`PutEvents refused the demo's event: ${JSON.stringify(put.Entries)}`);
    await cloud.wiring.drain();
  }
  const deadline = Date.now() + timeoutMs;
  let executions: ExecutionListItem[] = [];
  for (;;) {
    executions = await listAllExecutions(cloud);
    const runs = await scan(cloud, /^Runs/);
    const closed = Object.keys(EXPECTED_RUNS).every((key) => {
      const run = runs.find((r) => r.pk === key);
      return run !== undefined && (run.status === 'SUCCEEDED' || run.status === 'FAILED');
    });
    const running = executions.some((e) => e.status === 'RUNNING');
    if ((closed && !running) || Date.now() > deadline) break;
    await sleep(250);
  }
  // Late duplicates would show up now: give the path a moment, then read the final state.
  await sleep(settleMs);
  executions = await listAllExecutions(cloud);
  const runs = await scan(cloud, /^Runs/);
  const batches = await scan(cloud, /^Batches/);
  const problems: string[] = [];
  for (const [key, status] of Object.entries(EXPECTED_RUNS)) {
    const run = runs.find((r) => r.pk === key);
    if (!run) problems.push(`run ${key} never started (check .local-cloud/logs/ for the fan-in's errors)`);
    else if (run.status !== status) problems.push(`run ${key} is ${String(run.status)}, expected ${status}`);
  }
  const unexpected = runs.filter((r) => !(String(r.pk) in EXPECTED_RUNS));
  if (unexpected.length) problems.push(`unexpected runs: ${unexpected.map((r) => String(r.pk)).join(', ')}`);
  if (executions.length !== Object.keys(EXPECTED_RUNS).length)
    problems.push(`${executions.length} executions, expected ${Object.keys(EXPECTED_RUNS).length}`);
  return { executions, runs, batches, ok: problems.length === 0, problems };
}

/** The sample containers' bundles the local ECS runs (pipeline task, queue worker); a clear error when they were not built. */
export function checkContainerBuild(root: string): void {
  for (const bundle of ['task.js', 'sample-queue.js'].map((file) => join(root, 'container', 'dist', file))) {
    if (!existsSync(bundle))
      throw new Error(`the sample container is not built (${bundle} is missing): run npm run build:container, then try again`);
  }
}

/** What a run's containers say they did, from each task's final log line (the worker's `task finished`). */
export interface RunFigures {
  rowsRead: number;
  rowsRejected: number;
  /** Rows read and rejected per logical file, summed over the shards. */
  rowsByFile: Record<string, { read: number; rejected: number }>;
  /** Rows written to the warehouse (the run's recordsAffected), per table. */
  recordsAffected: number;
  tables: Record<string, number>;
}

export function runFigures(cloud: LocalCloud, runKey: string): RunFigures | undefined {
  let found = false;
  const figures: RunFigures = { rowsRead: 0, rowsRejected: 0, rowsByFile: {}, recordsAffected: 0, tables: {} };
  for (const line of cloud.runLogs.ofRun(runKey)) {
    if (!line.taskArn || !line.line.startsWith('{')) continue;
    let entry: {
      message?: string;
      result?: { recordsAffected?: number; rowsRejected?: number };
      details?: {
        rowsRead?: number;
        rowsByFile?: Record<string, { read: number; rejected: number }>;
        tables?: Array<{ table: string; rows: number }>;
      };
    };
    try {
      entry = JSON.parse(line.line) as typeof entry;
    } catch {
      continue;
    }
    if (entry.message !== 'task finished' || !entry.result) continue;
    found = true;
    figures.recordsAffected += entry.result.recordsAffected ?? 0;
    figures.rowsRejected += entry.result.rowsRejected ?? 0;
    figures.rowsRead += entry.details?.rowsRead ?? 0;
    for (const [file, c] of Object.entries(entry.details?.rowsByFile ?? {})) {
      const sum = (figures.rowsByFile[file] ??= { read: 0, rejected: 0 });
      sum.read += c.read;
      sum.rejected += c.rejected;
    }
    for (const t of entry.details?.tables ?? []) figures.tables[t.table] = (figures.tables[t.table] ?? 0) + t.rows;
  }
  return found ? figures : undefined;
}

/** `read 12 rows (orders 8, customers 4), rejected 0; loaded 4 rows into orders_daily_customer` */
export function describeFigures(figures: RunFigures): string {
  const files = Object.entries(figures.rowsByFile);
  const read = `read ${figures.rowsRead} rows${files.length ? ` (${files.map(([f, c]) => `${f} ${c.read}`).join(', ')})` : ''}`;
  const rejected =
    figures.rowsRejected === 0
      ? 'rejected 0'
      : `rejected ${figures.rowsRejected} (${files
          .filter(([, c]) => c.rejected)
          .map(([f, c]) => `${f} ${c.rejected} of ${c.read}`)
          .join(', ')})`;
  const tables = Object.entries(figures.tables);
  const loaded = `loaded ${figures.recordsAffected} rows${tables.length ? ` into ${tables.map(([t, n]) => (tables.length > 1 ? `${t} (${n})` : t)).join(', ')}` : ''}`;
  return `${read}, ${rejected}; ${loaded}`;
}
