/** Control flow of startPipeline and its entries, over in-memory doubles of the adapters. */
import type { BatchesTable } from '../../../../lib/pipelines/adapters/batches-table';
import type { BatchItem } from '../../../../lib/pipelines/batch';
import type { RunItem } from '../../../../lib/pipelines/adapters/runs-table';
import { ExecutionInputSchema, type BatchObject } from '../../../../lib/contracts/messages';
import { startManualRun } from '../../../../lib/pipelines/start/manual-run';
import { BatchNotFoundError, UnknownPipelineError } from '../../../../lib/pipelines/start/errors';
import { startPipeline, type StartPipelineDeps } from '../../../../lib/pipelines/start/start-pipeline';
import { MAX_INLINE_OBJECTS_CHARS } from '../../../../lib/contracts/task-contract';
import { fakeStepFunctions, manualClock, memoryRuns, noRunControl, registry, stack } from './fakes';

function setup(initial: RunItem[] = []) {
  const memory = memoryRuns(initial);
  const fake = fakeStepFunctions();
  const time = manualClock('2026-11-20T06:00:41.123Z');
  const deps: StartPipelineDeps = {
    runs: memory.runs,
    sfn: fake.sfn,
    clock: time.clock,
    registry,
    leaseSeconds: 120,
    ...stack,
    ...noRunControl,
  };
  return { deps, ...memory, ...fake };
}

const object = (i: number): BatchObject => ({
  file: 'orders',
  bucket: 'uploads',
  key: `incoming/acme/orders-${'x'.repeat(60)}-${i}.csv`,
  size: i,
  etag: `etag-${i}`,
});

describe('startPipeline', () => {
  test('hands the state machine a valid input with task settings resolved from the registry', async () => {
    const { deps, calls } = setup();
    const outcome = await startPipeline(
      { pipeline: 'orders-daily', runKey: 'orders-daily#2026-11-20', batchKey: '2026-11-20', trigger: 's3', objects: [object(1)] },
      deps,
    );

    expect(outcome.status).toBe('started');
    const input = ExecutionInputSchema.parse(calls[0]!.input);
    expect(input).toMatchObject({
      executionName: outcome.executionName,
      requestedAt: '2026-11-20T06:00:41.123Z',
      objects: [object(1)],
      task: {
        taskDefinition: 'ecs-pipelines-test-sample-pipeline',
        command: ['node', 'dist/task.js'],
        maxConcurrency: 1,
        launch: 'callback',
        heartbeatSeconds: 120,
        capacity: 'fargate',
        capacityProvider: 'FARGATE',
        environment: [{ name: 'TARGET', value: 'warehouse' }],
      },
      shards: [{ index: 0, count: 1 }],
      alarms: { maxRuntimeSeconds: 1800, maxRecordsAffected: 5000000, maxRunCostUsd: 0.5 },
    });
    expect(input).not.toHaveProperty('objectsPointer');
  });

  test('a sync pipeline without heartbeat gets its timeout as heartbeat and concurrency = shards', async () => {
    const { deps, calls } = setup();
    await startPipeline(
      { pipeline: 'inventory-snapshot', runKey: 'inventory-snapshot#eu_1', batchKey: 'eu_1', trigger: 's3', objects: [] },
      deps,
    );
    expect(calls[0]!.input).toMatchObject({ task: { heartbeatSeconds: 1800, maxConcurrency: 3, shards: 3, environment: [] }, alarms: {} });
  });

  test('a large object list goes on the Runs item and the input points to it', async () => {
    const { deps, calls, locks } = setup();
    const objects = Array.from({ length: 60 }, (_, i) => object(i));
    expect(JSON.stringify(objects).length).toBeGreaterThan(MAX_INLINE_OBJECTS_CHARS);

    await startPipeline({ pipeline: 'orders-daily', runKey: 'orders-daily#big', batchKey: 'big', trigger: 's3', objects }, deps);

    expect(calls[0]!.input).toMatchObject({ objects: [], objectsPointer: { table: 'runs', runKey: 'orders-daily#big' } });
    expect(locks[0]!.objects).toEqual(objects);
  });

  test('a lost lock reports who holds it, without calling Step Functions', async () => {
    const running: RunItem = {
      pk: 'orders-daily#b',
      pipeline: 'orders-daily',
      batchKey: 'b',
      trigger: 's3',
      status: 'RUNNING',
      attempt: 1,
      executionName: 'n',
      executionArn: 'arn:n',
      requestedAt: 't',
    };
    const { deps, calls } = setup([running]);
    await expect(
      startPipeline({ pipeline: 'orders-daily', runKey: 'orders-daily#b', batchKey: 'b', trigger: 's3', objects: [] }, deps),
    ).resolves.toEqual({
      status: 'already-started',
      runKey: 'orders-daily#b',
      attempt: 1,
      executionName: 'n',
      executionArn: 'arn:n',
      runStatus: 'RUNNING',
    });
    expect(calls).toHaveLength(0);
  });

  test('an unknown pipeline is an error naming it and the known ones', async () => {
    const { deps } = setup();
    await expect(
      startPipeline({ pipeline: 'nope', runKey: 'nope#b', batchKey: 'b', trigger: 'manual', objects: [] }, deps),
    ).rejects.toThrow(new UnknownPipelineError('nope', ['orders-daily', 'inventory-snapshot']));
  });
});

describe('startManualRun', () => {
  const batchItem: BatchItem = {
    pk: 'orders-daily#2026-11-19',
    pipeline: 'orders-daily',
    batchKey: '2026-11-19',
    arrived: ['orders'],
    objects: { orders: { bucket: 'uploads', key: 'incoming/acme/orders-2026-11-19.csv', size: 5, etag: 'e1', sequencer: '01' } },
    firstArrivalAt: 't',
    deadline: 0,
    openState: 'OPEN',
  };
  function batches(item?: BatchItem) {
    const marked: unknown[] = [];
    const table: BatchesTable = {
      recordArrival: jest.fn(),
      recordCompletionObject: jest.fn(),
      markStarted: async (...args) => void marked.push(args),
      get: async (pipeline, batchKey) => (item && item.pipeline === pipeline && item.batchKey === batchKey ? item : undefined),
      listBatchKeys: async (pipeline) => (item && item.pipeline === pipeline ? [item.batchKey] : []),
    };
    return { table, marked };
  }

  test('runs a batch with the files that arrived, under the fan-in run key, and marks it started', async () => {
    const { deps, calls } = setup();
    const { table, marked } = batches(batchItem);
    const outcome = await startManualRun({ pipeline: 'orders-daily', batch: '2026-11-19' }, { ...deps, batches: table });

    expect(outcome).toMatchObject({ status: 'started', runKey: 'orders-daily#2026-11-19', missingFiles: ['customers'] });
    expect(calls[0]!.input).toMatchObject({ trigger: 'manual', objects: [{ file: 'orders', key: 'incoming/acme/orders-2026-11-19.csv' }] });
    expect(marked).toEqual([['orders-daily', '2026-11-19', { runKey: 'orders-daily#2026-11-19', fingerprint: expect.any(String) }]]);
  });

  test('force on a finished run starts attempt 2 of the run key the batch last ran under', async () => {
    const done: RunItem = {
      pk: 'orders-daily#2026-11-19#abc',
      pipeline: 'orders-daily',
      batchKey: '2026-11-19',
      trigger: 's3',
      status: 'FAILED',
      attempt: 1,
      executionName: 'old',
      executionArn: 'arn:old',
      requestedAt: 't',
    };
    const { deps, calls, locks } = setup([done]);
    const { table } = batches({ ...batchItem, startedRunKey: done.pk });

    const outcome = await startManualRun({ pipeline: 'orders-daily', batch: '2026-11-19', force: true }, { ...deps, batches: table });

    expect(outcome).toMatchObject({ status: 'started', runKey: done.pk, attempt: 2 });
    expect(outcome.executionName).not.toBe('old');
    expect(locks[0]).toMatchObject({ replacesFinishedAttempt: 1, attempt: 2 });
    expect(calls).toHaveLength(1);
  });

  test('an unknown batch or pipeline is an error naming it', async () => {
    const { deps } = setup();
    const { table } = batches();
    await expect(startManualRun({ pipeline: 'orders-daily', batch: '1999-01-01' }, { ...deps, batches: table })).rejects.toThrow(
      new BatchNotFoundError('orders-daily', '1999-01-01'),
    );
    await expect(startManualRun({ pipeline: 'orders', batch: 'x' }, { ...deps, batches: table })).rejects.toThrow(
      /unknown pipeline "orders"/,
    );
  });

  test('without a batch it starts a file-less manual run keyed by the time', async () => {
    const { deps } = setup();
    const { table } = batches();
    await expect(startManualRun({ pipeline: 'inventory-snapshot' }, { ...deps, batches: table })).resolves.toMatchObject({
      status: 'started',
      runKey: 'inventory-snapshot#manual#2026-11-20T06:00:41.123Z',
    });
  });
});
