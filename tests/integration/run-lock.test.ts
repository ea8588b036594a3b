/**
 * The run lock against real conditional writes (dynalite): exactly one StartExecution per
 * run key under concurrency, lease-expiry recovery with the same execution name, and forced
 * fresh attempts.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { runsTable } from '../../lib/pipelines/adapters/runs-table';
import { runQueue } from '../../lib/pipelines/adapters/run-queue';
import { RunNotFinishedError } from '../../lib/pipelines/start/errors';
import { startPipeline, type StartPipelineDeps, type StartRunRequest } from '../../lib/pipelines/start/start-pipeline';
import { startDynalite, type Dynalite } from '../helpers/dynalite';
import { fakeStepFunctions, manualClock, registry, stack } from '../unit/pipelines/start/fakes';

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

let counter = 0;
function request(overrides: Partial<StartRunRequest> = {}): StartRunRequest {
  counter += 1;
  const batchKey = `2026-11-${counter}`;
  return { pipeline: 'orders-daily', runKey: `orders-daily#${batchKey}`, batchKey, trigger: 's3', objects: [], ...overrides };
}

function deps(sfn: StartPipelineDeps['sfn'], clock: () => Date): StartPipelineDeps {
  return {
    runs: runsTable(db.client, db.tables.runs),
    sfn,
    clock,
    registry,
    leaseSeconds: 120,
    ...stack,
    runControl: { queue: runQueue(db.client, db.tables.runs), stackLimit: 0 },
  };
}

const runItem = async (runKey: string) => (await db.client.send(new GetCommand({ TableName: db.tables.runs, Key: { pk: runKey } }))).Item;

test('20 concurrent starts of one run key call StartExecution exactly once', async () => {
  // Prepare
  const { sfn, calls } = fakeStepFunctions();
  const { clock } = manualClock();
  const req = request();

  // Act
  const outcomes = await Promise.all(Array.from({ length: 20 }, () => startPipeline(req, deps(sfn, clock))));

  // Assess
  expect(calls).toHaveLength(1);
  expect(outcomes.filter((o) => o.status === 'started')).toHaveLength(1);
  expect(outcomes.filter((o) => o.status === 'started' || o.status === 'already-started' || o.status === 'in-progress')).toHaveLength(20);
  const names = new Set(outcomes.map((o) => o.executionName));
  expect(names.size).toBe(1);
  const item = await runItem(req.runKey);
  // The lock is the only write: the state machine's first state records the ARN and ends the lease.
  expect(item).toMatchObject({ status: 'STARTING', attempt: 1, executionName: outcomes[0]!.executionName });
  expect(item).not.toHaveProperty('executionArn');
});

test('a start that crashed after the lock is recovered after the lease with the same execution name', async () => {
  // Prepare: the first attempt takes the lock, then dies before StartExecution.
  const time = manualClock();
  const req = request();
  const crashing = fakeStepFunctions();
  let lockTaken!: () => void;
  const reachedStart = new Promise<void>((resolve) => (lockTaken = resolve));
  crashing.sfn.startExecution = () => {
    lockTaken();
    return new Promise(() => undefined); // never returns: the "crash"
  };
  void startPipeline(req, deps(crashing.sfn, time.clock));
  await reachedStart;
  const locked = await runItem(req.runKey);
  expect(locked).toMatchObject({ status: 'STARTING', leaseExpiresAt: expect.any(Number) });

  // Act: a retry inside the lease waits; one after it takes over.
  const { sfn, calls } = fakeStepFunctions();
  const early = await startPipeline(req, deps(sfn, time.clock));
  time.advance(121);
  const late = await startPipeline(req, deps(sfn, time.clock));

  // Assess
  expect(early.status).toBe('in-progress');
  expect(late).toMatchObject({ status: 'started', executionName: locked!.executionName, attempt: 1 });
  expect(calls.map((c) => c.name)).toEqual([locked!.executionName]);
});

test('a crash after StartExecution is recovered: ExecutionAlreadyExists counts as already started', async () => {
  // Prepare: the execution exists, but the Runs item still shows the lock with its lease.
  const time = manualClock();
  const req = request();
  const { sfn, calls } = fakeStepFunctions();
  const first = await startPipeline(req, deps(sfn, time.clock));
  await db.client.send(
    new UpdateCommand({
      TableName: db.tables.runs,
      Key: { pk: req.runKey },
      UpdateExpression: 'SET leaseExpiresAt = :lease REMOVE executionArn',
      ExpressionAttributeValues: { ':lease': Math.floor(time.clock().getTime() / 1000) + 120 },
    }),
  );
  time.advance(121);

  // Act
  const retry = await startPipeline(req, deps(sfn, time.clock));

  // Assess
  expect(retry).toMatchObject({
    status: 'already-started',
    executionName: first.executionName,
    executionArn: expect.stringContaining(first.executionName),
  });
  expect(calls).toHaveLength(2);
  expect(await runItem(req.runKey)).toMatchObject({ executionName: first.executionName, status: 'STARTING' });
});

test('a failed StartExecution releases the lease so the retry starts at once, under the same name', async () => {
  const time = manualClock();
  const req = request();
  const { sfn, calls } = fakeStepFunctions({ failNext: 1 });

  await expect(startPipeline(req, deps(sfn, time.clock))).rejects.toMatchObject({ name: 'StartExecutionError' });
  const retry = await startPipeline(req, deps(sfn, time.clock));

  expect(retry.status).toBe('started');
  expect(calls.map((c) => c.name)).toEqual([retry.executionName, retry.executionName]);
});

test('force starts a fresh attempt with a new execution name only after the previous one finished', async () => {
  // Prepare
  const time = manualClock();
  const req = request({ trigger: 'manual' });
  const { sfn, calls } = fakeStepFunctions();
  const first = await startPipeline(req, deps(sfn, time.clock));

  // Act + Assess: refused while the first is running
  await db.client.send(
    new UpdateCommand({
      TableName: db.tables.runs,
      Key: { pk: req.runKey },
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': 'RUNNING' },
    }),
  );
  await expect(startPipeline({ ...req, force: true }, deps(sfn, time.clock))).rejects.toBeInstanceOf(RunNotFinishedError);

  // Act + Assess: once it finished, a concurrent pair of forced starts gives one new attempt
  await db.client.send(
    new UpdateCommand({
      TableName: db.tables.runs,
      Key: { pk: req.runKey },
      UpdateExpression: 'SET #s = :s',
      ExpressionAttributeNames: { '#s': 'status' },
      ExpressionAttributeValues: { ':s': 'SUCCEEDED' },
    }),
  );
  const forced = await Promise.all([
    startPipeline({ ...req, force: true }, deps(sfn, time.clock)),
    startPipeline({ ...req, force: true }, deps(sfn, time.clock)),
  ]);
  const started = forced.filter((o) => o.status === 'started');
  expect(started).toHaveLength(1);
  expect(started[0]).toMatchObject({ attempt: 2 });
  expect(started[0]!.executionName).not.toBe(first.executionName);
  expect(calls).toHaveLength(2);
  // Without force, the finished run key is simply "already started".
  expect(await startPipeline(req, deps(sfn, time.clock))).toMatchObject({ status: 'already-started', attempt: 2 });
});
