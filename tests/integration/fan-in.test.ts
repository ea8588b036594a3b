/**
 * The fan-in use case against real conditional writes (dynalite): duplicates, reordering,
 * concurrent completion and re-uploads all end in the right number of StartExecution calls.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { batchesTable } from '../../lib/pipelines/adapters/batches-table';
import { runsTable } from '../../lib/pipelines/adapters/runs-table';
import { runQueue } from '../../lib/pipelines/adapters/run-queue';
import { recordArrival, type ArrivalOutcome, type RecordArrivalDeps } from '../../lib/pipelines/fan-in/record-arrival';
import type { FileArrival } from '../../lib/contracts/messages';
import { startPipeline } from '../../lib/pipelines/start/start-pipeline';
import { startDynalite, type Dynalite } from '../helpers/dynalite';
import { arrival, fakeStepFunctions, manualClock, registry, stack } from '../unit/pipelines/start/fakes';

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

function fanIn(sfn = fakeStepFunctions()) {
  const time = manualClock();
  const startDeps = {
    runs: runsTable(db.client, db.tables.runs),
    sfn: sfn.sfn,
    clock: time.clock,
    registry,
    leaseSeconds: 120,
    ...stack,
    runControl: { queue: runQueue(db.client, db.tables.runs), stackLimit: 0 },
  };
  const deps: RecordArrivalDeps = {
    batches: batchesTable(db.client, db.tables.batches),
    registry,
    clock: time.clock,
    ttlDays: 35,
    start: (request) => startPipeline(request, startDeps),
  };
  return { deps, calls: sfn.calls, time, deliver: (a: FileArrival) => recordArrival(a, deps) };
}

const batchItem = async (pk: string) => (await db.client.send(new GetCommand({ TableName: db.tables.batches, Key: { pk } }))).Item;

test('duplicate and reordered deliveries of a two-file batch start one run, after the last file', async () => {
  // Prepare
  const { deliver, calls } = fanIn();
  const customers = arrival({ file: 'customers', batchKey: '2026-10-01' });
  const orders = arrival({ file: 'orders', batchKey: '2026-10-01' });

  // Act: customers first (out of the registry's order), twice, then orders, then both again.
  const outcomes: ArrivalOutcome[] = [];
  for (const a of [customers, customers, orders, orders, customers]) outcomes.push(await deliver(a));

  // Assess
  expect(outcomes.map((o) => o.kind)).toEqual(['waiting', 'waiting', 'started', 'duplicate', 'duplicate']);
  expect(calls).toHaveLength(1);
  expect(calls[0]!.input).toMatchObject({
    pipeline: 'orders-daily',
    batchKey: '2026-10-01',
    runKey: 'orders-daily#2026-10-01',
    trigger: 's3',
    objects: [
      { file: 'orders', key: orders.key, etag: orders.etag },
      { file: 'customers', key: customers.key, etag: customers.etag },
    ],
  });
  const item = await batchItem('orders-daily#2026-10-01');
  expect(item).toMatchObject({ startedRunKey: 'orders-daily#2026-10-01', startedFingerprint: expect.any(String) });
  // A duplicate after the start may re-create openState; the sweeper closes it (sweeper.test.ts).
  expect(item!.arrived).toEqual(new Set(['orders', 'customers']));
});

test('the same batch completed by two concurrent invocations starts one run; the loser retries and finds it started', async () => {
  // Prepare: two invocations (their own deps), each delivering both files plus a duplicate.
  const shared = fakeStepFunctions();
  const a = fanIn(shared);
  const b = fanIn(shared);
  const files = [arrival({ file: 'orders', batchKey: '2026-10-02' }), arrival({ file: 'customers', batchKey: '2026-10-02' })];

  // Act
  const settled = await Promise.allSettled([
    ...files.map((f) => a.deliver(f)),
    ...files.map((f) => b.deliver(f)),
    ...files.map((f) => a.deliver(f)),
    ...files.map((f) => b.deliver(f)),
  ]);
  // Records that failed (another invocation was starting the run) are redelivered.
  const retried = await Promise.all(settled.map((s, i) => (s.status === 'rejected' ? a.deliver(files[i % 2]!) : s.value)));

  // Assess
  expect(shared.calls).toHaveLength(1);
  for (const s of settled) if (s.status === 'rejected') expect(s.reason).toMatchObject({ name: 'RunStartInProgressError' });
  expect(retried.filter((o) => o.kind === 'started')).toHaveLength(1);
  expect(retried.every((o) => ['started', 'already-started', 'duplicate', 'waiting'].includes(o.kind))).toBe(true);
  expect(await batchItem('orders-daily#2026-10-02')).toMatchObject({ startedRunKey: 'orders-daily#2026-10-02' });
});

test('a file re-uploaded after its batch ran is counted and starts nothing by default', async () => {
  const { deliver, calls } = fanIn();
  await deliver(arrival({ file: 'orders', batchKey: '2026-10-03' }));
  await deliver(arrival({ file: 'customers', batchKey: '2026-10-03' }));

  const reupload = await deliver(arrival({ file: 'orders', batchKey: '2026-10-03', etag: 'etag-orders-2' }));

  expect(reupload).toEqual({ kind: 'reupload-ignored', runKey: 'orders-daily#2026-10-03' });
  expect(calls).toHaveLength(1);
  expect(await batchItem('orders-daily#2026-10-03')).toMatchObject({ startedRunKey: 'orders-daily#2026-10-03' });
});

test('with rerunOnReupload a re-upload starts one new run keyed by the new etags, and its redelivery does not', async () => {
  // Prepare
  const { deliver, calls } = fanIn();
  const snapshot = (etag: string) =>
    arrival({
      pipeline: 'inventory-snapshot',
      file: 'snapshot',
      batchKey: 'eu_2026-10-04',
      key: 'incoming/inventory/eu/snapshot-2026-10-04.csv',
      etag,
    });
  const first = await deliver(snapshot('etag-a'));

  // Act
  const second = snapshot('etag-b');
  const rerun = await deliver(second);
  const redelivered = await deliver(second);

  // Assess
  expect(first).toMatchObject({ kind: 'started', runKey: 'inventory-snapshot#eu_2026-10-04' });
  expect(rerun).toMatchObject({
    kind: 'started',
    reupload: true,
    runKey: expect.stringMatching(/^inventory-snapshot#eu_2026-10-04#[0-9a-f]{12}$/),
  });
  expect(redelivered).toEqual({ kind: 'duplicate', runKey: (rerun as { runKey: string }).runKey });
  expect(calls).toHaveLength(2);
  expect(calls[0]!.name).not.toBe(calls[1]!.name);
  expect(calls[1]!.input).toMatchObject({
    objects: [{ file: 'snapshot', etag: 'etag-b' }],
    shards: [
      { index: 0, count: 3 },
      { index: 1, count: 3 },
      { index: 2, count: 3 },
    ],
  });
});

test('every arrival refreshes ttl and keeps the first arrival window', async () => {
  const { deliver, time } = fanIn();
  await deliver(arrival({ file: 'orders', batchKey: '2026-10-05' }));
  const first = await batchItem('orders-daily#2026-10-05');
  time.advance(600);
  await deliver(arrival({ file: 'orders', batchKey: '2026-10-05', etag: 'etag-orders-2' }));
  const second = await batchItem('orders-daily#2026-10-05');

  expect(first).toMatchObject({ openState: 'OPEN', deadline: Math.floor(new Date('2026-11-20T08:00:00Z').getTime() / 1000) + 360 * 60 });
  expect(second).toMatchObject({ deadline: first!.deadline, firstArrivalAt: first!.firstArrivalAt, ttl: first!.ttl + 600 });
  expect(second!.obj_orders).toMatchObject({ etag: 'etag-orders-2' });
});

/**
 * A batch whose completing file took the run lock and then "crashed" before StartExecution:
 * the lock stays STARTING until its 30 s lease runs out.
 */
async function batchWithCrashedStart(batchKey: string) {
  const time = manualClock();
  const crashing = fakeStepFunctions();
  let lockTaken!: () => void;
  const reachedStart = new Promise<void>((resolve) => (lockTaken = resolve));
  crashing.sfn.startExecution = () => {
    lockTaken();
    return new Promise(() => undefined);
  };
  const runs = runsTable(db.client, db.tables.runs);
  const startWith = (sfn: ReturnType<typeof fakeStepFunctions>['sfn']) => (request: Parameters<RecordArrivalDeps['start']>[0]) =>
    startPipeline(request, {
      runs,
      sfn,
      clock: time.clock,
      registry,
      leaseSeconds: 30,
      ...stack,
      runControl: { queue: runQueue(db.client, db.tables.runs), stackLimit: 0 },
    });
  const deps: RecordArrivalDeps = {
    batches: batchesTable(db.client, db.tables.batches),
    registry,
    clock: time.clock,
    ttlDays: 35,
    start: startWith(crashing.sfn),
  };
  await recordArrival(arrival({ file: 'orders', batchKey }), deps);
  void recordArrival(arrival({ file: 'customers', batchKey }), deps);
  await reachedStart;
  return { time, deps, startWith };
}

test('a record whose run lock was left by a crashed start waits the lease out and starts the run itself, under the same name', async () => {
  // Prepare
  const { time, deps: crashedDeps, startWith } = await batchWithCrashedStart('2026-10-09');

  // Act: Kinesis redelivers the record at once; this invocation has 50 s left and waits.
  const healthy = fakeStepFunctions();
  const slept: number[] = [];
  const retryDeps: RecordArrivalDeps = {
    ...crashedDeps,
    start: startWith(healthy.sfn),
    lockWait: {
      sleep: async (ms) => {
        slept.push(ms);
        time.advance(ms / 1000);
      },
      remainingMs: () => 50_000 - slept.reduce((a, b) => a + b, 0),
    },
  };
  const outcome = await recordArrival(arrival({ file: 'customers', batchKey: '2026-10-09' }), retryDeps);

  // Assess: it paused (growing pauses) until the lease ran out, then started the one run.
  expect(outcome).toMatchObject({ kind: 'started', runKey: 'orders-daily#2026-10-09' });
  expect(healthy.calls).toHaveLength(1);
  expect(slept.reduce((a, b) => a + b, 0)).toBeGreaterThanOrEqual(30_000);
  expect(slept[0]).toBe(250);
  expect(healthy.calls[0]!.name).toMatch(/^orders-daily-2026-10-09-a1_/);
});

test('a record gives up waiting for a live lock when the invocation has no time left, so Kinesis retries it', async () => {
  const { deps } = await batchWithCrashedStart('2026-10-10');

  const sleep = jest.fn(async () => undefined);
  await expect(
    recordArrival(arrival({ file: 'customers', batchKey: '2026-10-10' }), { ...deps, lockWait: { sleep, remainingMs: () => 3_000 } }),
  ).rejects.toMatchObject({ name: 'RunStartInProgressError' });
  expect(sleep).not.toHaveBeenCalled();
});

test('an older event of a file delivered after a newer one changes nothing: the run reads the newest version', async () => {
  // Prepare: two uploads of the customers file; S3 delivers the newer event first.
  const { deliver, calls } = fanIn();
  const older = arrival({ file: 'customers', batchKey: '2026-10-11', sequencer: '00643717F9F8B85354', versionId: 'v1', etag: 'old' });
  const newer = arrival({ file: 'customers', batchKey: '2026-10-11', sequencer: '00643717F9F8B85399', versionId: 'v2', etag: 'new' });

  // Act
  await deliver(newer);
  expect(await deliver(older)).toEqual({ kind: 'waiting', missing: ['orders'] });
  await deliver(arrival({ file: 'orders', batchKey: '2026-10-11' }));

  // Assess
  expect((await batchItem('orders-daily#2026-10-11'))!.obj_customers).toMatchObject({ versionId: 'v2', etag: 'new' });
  expect(calls).toHaveLength(1);
  expect((calls[0]!.input as { objects: unknown[] }).objects).toContainEqual(
    expect.objectContaining({ file: 'customers', versionId: 'v2', etag: 'new' }),
  );
});

test('sequencers of different lengths order as S3 says: right-padded with zeros', async () => {
  const { deliver } = fanIn();
  // "9" right-padded ("9000...") is newer than "10" ("1000..."), unlike a numeric reading.
  await deliver(arrival({ file: 'customers', batchKey: '2026-10-12', sequencer: '9', versionId: 'newer' }));
  await deliver(arrival({ file: 'customers', batchKey: '2026-10-12', sequencer: '10', versionId: 'older' }));
  expect((await batchItem('orders-daily#2026-10-12'))!.obj_customers).toMatchObject({ versionId: 'newer' });
});
