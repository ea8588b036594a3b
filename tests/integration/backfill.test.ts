/**
 * opsBackfill against the emulators: the files are in s3rver (never seen by the watcher), the
 * Batches and Runs tables in dynalite. A range runs the complete batches that never ran, lists
 * the incomplete ones and the days without files, reads only in a dry run, starts nothing new
 * the second time, and queues under a concurrency limit.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { batchesTable } from '../../lib/pipelines/adapters/batches-table';
import { runQueue } from '../../lib/pipelines/adapters/run-queue';
import { runsTable } from '../../lib/pipelines/adapters/runs-table';
import { uploadedObjects } from '../../lib/pipelines/adapters/uploaded-objects';
import { recordArrival } from '../../lib/pipelines/fan-in/record-arrival';
import { backfill, BackfillInputSchema, type BackfillDeps } from '../../lib/pipelines/operations/backfill';
import { parseCommand } from '../../lib/pipelines/operations/runs';
import { startPipeline } from '../../lib/pipelines/start/start-pipeline';
import { indexRegistry, parseRegistry } from '../../lib/registry/parse-registry';
import { startDynalite, type Dynalite } from '../helpers/dynalite';
import { startS3rver, type S3Emulator } from '../helpers/s3rver';
import { arrival, fakeStepFunctions, manualClock, stack } from '../unit/pipelines/start/fakes';

jest.setTimeout(60_000);

const task = (extra = '') =>
  `{ taskDefinition: sample-pipeline, container: pipeline, image: 'public.ecr.aws/docker/library/node:22-slim', cpu: 256, memory: 512, launch: sync, timeoutSeconds: 1800${extra} }`;
const registry = indexRegistry(
  parseRegistry(`
pipelines:
  daily:
    trigger:
      files: { orders: 'incoming/daily/orders-{date}.csv', customers: 'incoming/daily/customers-{date}.csv' }
      windowMinutes: 60
    task: ${task()}
  regional:
    trigger:
      files: { snapshot: 'incoming/regional/{region}/snapshot-{date}.csv' }
      windowMinutes: 60
    task: ${task(', maxConcurrentRuns: 1')}
`),
);

let db: Dynalite;
let s3: S3Emulator;
beforeAll(async () => {
  [db, s3] = await Promise.all([startDynalite(), startS3rver()]);
  // The bucket: daily's 1st complete, 2nd orders only, 3rd nothing, 4th complete (and run by the
  // fan-in below); regional: three regions of the 1st.
  for (const key of [
    'incoming/daily/orders-2026-11-01.csv',
    'incoming/daily/customers-2026-11-01.csv',
    'incoming/daily/orders-2026-11-02.csv',
    'incoming/daily/orders-2026-11-04.csv',
    'incoming/daily/customers-2026-11-04.csv',
    'incoming/daily/orders-2026-12-01.csv',
    'incoming/regional/eu/snapshot-2026-11-01.csv',
    'incoming/regional/us/snapshot-2026-11-01.csv',
    'incoming/regional/ap/snapshot-2026-11-01.csv',
  ]) {
    await s3.put(key, 'a,b\n1,2\n');
  }
});
afterAll(async () => {
  await Promise.all([db?.stop(), s3?.stop()]);
});

function setup() {
  const fake = fakeStepFunctions();
  const start = {
    runs: runsTable(db.client, db.tables.runs),
    batches: batchesTable(db.client, db.tables.batches),
    sfn: fake.sfn,
    clock: manualClock('2026-12-05T10:00:00.000Z').clock,
    registry,
    leaseSeconds: 120,
    ...stack,
    runControl: { queue: runQueue(db.client, db.tables.runs), stackLimit: 0 },
  };
  const deps: BackfillDeps = { start, objects: uploadedObjects(s3.client), uploadsBucket: s3.bucket, ttlDays: 35 };
  return { deps, ...fake };
}
const input = (raw: unknown) => BackfillInputSchema.parse(raw);

test('a range: complete batches run once, incomplete ones and days without files are listed, a dry run writes nothing', async () => {
  const { deps, calls } = setup();
  // The 4th went through the watcher and the fan-in before.
  for (const file of ['orders', 'customers']) {
    await recordArrival(
      arrival({ pipeline: 'daily', file, batchKey: '2026-11-04', bucket: s3.bucket, key: `incoming/daily/${file}-2026-11-04.csv` }),
      {
        batches: deps.start.batches,
        registry,
        clock: deps.start.clock,
        ttlDays: 35,
        start: (request) => startPipeline(request, deps.start),
      },
    );
  }
  const startedBefore = calls.length;

  // Act: a dry run, then the backfill, then the same backfill again.
  const dry = await backfill(input({ pipeline: 'daily', from: '2026-11-01', to: '2026-11-04', dryRun: true }), deps);
  const first = await backfill(input({ pipeline: 'daily', from: '2026-11-01', to: '2026-11-04' }), deps);
  const second = await backfill(input({ pipeline: 'daily', from: '2026-11-01', to: '2026-11-04' }), deps);

  // Assess
  const plan = {
    started: [{ batchKey: '2026-11-01', runKey: 'daily#2026-11-01' }],
    incomplete: [{ batchKey: '2026-11-02', missing: ['customers'] }],
    missing: ['2026-11-03'],
  };
  expect(dry).toMatchObject({
    dryRun: true,
    range: { capture: 'date', from: '2026-11-01', to: '2026-11-04' },
    ...plan,
    alreadyRan: [{ batchKey: '2026-11-04', runKey: 'daily#2026-11-04' }],
  });
  expect(first).toMatchObject({ dryRun: false, ...plan, queued: [] });
  expect(second).toMatchObject({ started: [], alreadyRan: [{ batchKey: '2026-11-01' }, { batchKey: '2026-11-04' }] });
  // One execution for the 1st, with its files from the bucket; the incomplete 2nd was not recorded.
  const started = calls
    .slice(startedBefore)
    .map((c) => c.input as { runKey: string; trigger: string; objects: Array<{ file: string; key: string; etag: string }> });
  expect(started.map((c) => c.runKey)).toEqual(['daily#2026-11-01']);
  expect(started[0]!.objects.map((o) => [o.file, o.key])).toEqual([
    ['orders', 'incoming/daily/orders-2026-11-01.csv'],
    ['customers', 'incoming/daily/customers-2026-11-01.csv'],
  ]);
  expect(started[0]!.objects[0]!.etag).toMatch(/^[0-9a-f]{32}$/);
  const second2 = await db.client.send(new GetCommand({ TableName: db.tables.batches, Key: { pk: 'daily#2026-11-02' } }));
  expect(second2.Item).toBeUndefined();
});

test('named batches: a batch key without files is listed as missing; a key of the wrong shape is refused', async () => {
  const { deps } = setup();
  await expect(backfill(input({ pipeline: 'daily', batches: ['2026-11-30', '2026-12-01'], dryRun: true }), deps)).resolves.toMatchObject({
    started: [],
    incomplete: [{ batchKey: '2026-12-01', missing: ['customers'] }],
    missing: ['2026-11-30'],
  });
  await expect(backfill(input({ pipeline: 'regional', batches: ['eu'] }), deps)).rejects.toThrow(
    /batch "eu" is not a batch key of pipeline "regional"/,
  );
});

test('a range respects the concurrency limit: the runs beyond it are queued', async () => {
  const { deps, calls } = setup();
  const report = await backfill(input({ pipeline: 'regional', from: '2026-11-01', to: '2026-11-01' }), deps);
  expect(report.started.map((r) => r.batchKey)).toEqual(['ap_2026-11-01']);
  expect(report.queued.map((r) => r.batchKey)).toEqual(['eu_2026-11-01', 'us_2026-11-01']);
  expect(calls).toHaveLength(1);
  expect(report.missing).toEqual([]);
});

test('bad input is refused saying what is expected', async () => {
  const command = (raw: unknown) => parseCommand('opsBackfill', '{…}', BackfillInputSchema, raw);
  expect(() => command({ pipeline: 'daily', from: '2026-11-05', to: '2026-11-01' })).toThrow(/from is after to/);
  expect(() => command({ pipeline: 'daily' })).toThrow(/give either from and to, or batches/);
  expect(() => command({ pipeline: 'daily', from: '2026-11-01' })).toThrow(/a range needs both from and to/);
  const { deps } = setup();
  await expect(backfill(input({ pipeline: 'regional', from: 'a', to: 'b', capture: 'day' }), deps)).rejects.toThrow(
    /"capture" is one of "region", "date" \(not "day"\)/,
  );
});
