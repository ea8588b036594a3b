import { EventEmitter } from 'node:events';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { SFNClient, SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, TaskTimedOut } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { runTask, type TaskContext, type TaskOutcome, type WorkerDeps } from '../../../../container/worker';

const sfnMock = mockClient(SFNClient);
const dynamoMock = mockClient(DynamoDBDocumentClient);

const OBJECT = { file: 'orders', bucket: 'uploads', key: 'incoming/acme/orders-2026-11-20.csv', size: 10, etag: 'e1' };

const baseEnv = (overrides: Record<string, string | undefined> = {}): NodeJS.ProcessEnv => ({
  PIPELINE: 'orders-daily',
  RUN_KEY: 'orders-daily#2026-11-20',
  BATCH_KEY: '2026-11-20',
  TRIGGER: 's3',
  EXECUTION_ARN: 'arn:aws:states:us-east-1:123456789012:execution:pipeline:orders-daily-2026-11-20',
  STAGE: 'test',
  SHARD_INDEX: '0',
  SHARD_COUNT: '1',
  OBJECTS: JSON.stringify([OBJECT]),
  LAUNCH: 'callback',
  TASK_TOKEN: 'token-1',
  HEARTBEAT_SECONDS: '120',
  ...overrides,
});

/** A work function the test finishes by hand. */
function controllable() {
  let finish!: (outcome: TaskOutcome) => void;
  let fail!: (error: Error) => void;
  let seen: TaskContext | undefined;
  const work = (ctx: TaskContext) => {
    seen = ctx;
    return new Promise<TaskOutcome>((resolve, reject) => {
      finish = resolve;
      fail = reject;
    });
  };
  return { work, finish: (o: TaskOutcome) => finish(o), fail: (e: Error) => fail(e), ctx: () => seen };
}

function harness(env: NodeJS.ProcessEnv) {
  const lines: string[] = [];
  const exit = jest.fn();
  const signals = new EventEmitter();
  const deps: WorkerDeps = {
    env,
    sfn: () => new SFNClient({}),
    dynamo: () => DynamoDBDocumentClient.from(new DynamoDBClient({})),
    signals,
    sink: (line) => lines.push(line),
    exit,
  };
  const json = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { deps, lines, exit, signals, json };
}

const calls = (command: Parameters<typeof sfnMock.commandCalls>[0]) => sfnMock.commandCalls(command);

beforeEach(() => {
  sfnMock.reset();
  dynamoMock.reset();
  sfnMock.on(SendTaskHeartbeatCommand).resolves({});
  sfnMock.on(SendTaskSuccessCommand).resolves({});
  sfnMock.on(SendTaskFailureCommand).resolves({});
  jest.useFakeTimers();
});

afterEach(() => {
  jest.useRealTimers();
});

describe('runTask with a callback launch', () => {
  it('sends a heartbeat at start and then every third of HEARTBEAT_SECONDS, and stops when done', async () => {
    const { deps } = harness(baseEnv({ HEARTBEAT_SECONDS: '120' }));
    const task = controllable();

    const exitCode = runTask(task.work, deps);
    await jest.advanceTimersByTimeAsync(0);
    expect(calls(SendTaskHeartbeatCommand)).toHaveLength(1);
    expect(calls(SendTaskHeartbeatCommand)[0]!.args[0].input).toEqual({ taskToken: 'token-1' });

    await jest.advanceTimersByTimeAsync(39_999);
    expect(calls(SendTaskHeartbeatCommand)).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    expect(calls(SendTaskHeartbeatCommand)).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(40_000);
    expect(calls(SendTaskHeartbeatCommand)).toHaveLength(3);

    task.finish({ recordsAffected: 3, rowsRejected: 0 });
    await expect(exitCode).resolves.toBe(0);
    await jest.advanceTimersByTimeAsync(400_000);
    expect(calls(SendTaskHeartbeatCommand)).toHaveLength(3);
  });

  it('keeps beating after a transient heartbeat error', async () => {
    sfnMock.on(SendTaskHeartbeatCommand).rejectsOnce(new Error('socket hang up')).resolves({});
    const { deps, json } = harness(baseEnv({ HEARTBEAT_SECONDS: '3' }));
    const task = controllable();

    const exitCode = runTask(task.work, deps);
    await jest.advanceTimersByTimeAsync(2_000);
    task.finish({ recordsAffected: 1, rowsRejected: 0 });

    await expect(exitCode).resolves.toBe(0);
    expect(calls(SendTaskHeartbeatCommand)).toHaveLength(3);
    expect(json().some((l) => l.level === 'WARN' && String(l.message).includes('heartbeat failed'))).toBe(true);
  });

  it('sends SendTaskSuccess exactly once with records, rejects, step timings and shard', async () => {
    const { deps, exit } = harness(baseEnv({ SHARD_INDEX: '1', SHARD_COUNT: '2' }));
    const work = async (ctx: TaskContext): Promise<TaskOutcome> => {
      expect(ctx.objects).toEqual([OBJECT]);
      expect(ctx.task.shard).toEqual({ index: 1, count: 2 });
      ctx.timings.add('extract', 12.4);
      ctx.timings.add('transform', 3);
      ctx.timings.add('load', 7.6);
      return { recordsAffected: 42, rowsRejected: 2 };
    };

    await expect(runTask(work, deps)).resolves.toBe(0);

    expect(calls(SendTaskSuccessCommand)).toHaveLength(1);
    expect(calls(SendTaskFailureCommand)).toHaveLength(0);
    const input = calls(SendTaskSuccessCommand)[0]!.args[0].input;
    expect(input.taskToken).toBe('token-1');
    expect(JSON.parse(input.output!)).toEqual({
      recordsAffected: 42,
      rowsRejected: 2,
      timings: { extract: 12, transform: 3, load: 8 },
      shard: { index: 1, count: 2 },
    });
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(0);
  });

  it('turns a thrown error into one SendTaskFailure with its name and a JSON cause', async () => {
    class WarehouseDownError extends Error {
      override readonly name = 'WarehouseDownError';
    }
    const { deps, exit } = harness(baseEnv());
    const work = async (): Promise<TaskOutcome> => {
      throw new WarehouseDownError('cannot connect', { cause: new Error('ECONNREFUSED 10.0.0.5:5439') });
    };

    await expect(runTask(work, deps)).resolves.toBe(1);

    expect(calls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(calls(SendTaskFailureCommand)).toHaveLength(1);
    const input = calls(SendTaskFailureCommand)[0]!.args[0].input;
    expect(input.error).toBe('WarehouseDownError');
    expect(JSON.parse(input.cause!)).toEqual({
      errorType: 'WarehouseDownError',
      errorMessage: 'cannot connect',
      causes: ['Error: ECONNREFUSED 10.0.0.5:5439'],
      context: {
        pipeline: 'orders-daily',
        batchKey: '2026-11-20',
        shard: { index: 0, count: 1 },
        executionArn: expect.stringContaining(':execution:'),
      },
    });
    expect(exit).toHaveBeenCalledWith(1);
  });

  it('turns SIGTERM into one failure, aborts the work, exits 143 and never reports success afterwards', async () => {
    const { deps, exit, signals } = harness(baseEnv());
    const task = controllable();

    const exitCode = runTask(task.work, deps);
    await jest.advanceTimersByTimeAsync(0);
    signals.emit('SIGTERM');
    signals.emit('SIGTERM');
    await expect(exitCode).resolves.toBe(143);

    expect(task.ctx()!.signal.aborted).toBe(true);
    expect(calls(SendTaskFailureCommand)).toHaveLength(1);
    expect(calls(SendTaskFailureCommand)[0]!.args[0].input.error).toBe('TaskStopped');
    // The work finishing later (ECS grants a grace period) changes nothing.
    task.finish({ recordsAffected: 1, rowsRejected: 0 });
    await jest.advanceTimersByTimeAsync(200_000);
    expect(calls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(calls(SendTaskFailureCommand)).toHaveLength(1);
    expect(exit).toHaveBeenCalledTimes(1);
    expect(exit).toHaveBeenCalledWith(143);
    expect(signals.listenerCount('SIGTERM')).toBe(0);
  });

  it('stops the work and sends nothing more when Step Functions says the token timed out', async () => {
    sfnMock
      .on(SendTaskHeartbeatCommand)
      .resolvesOnce({})
      .rejects(new TaskTimedOut({ message: 'timed out', $metadata: {} }));
    const { deps, json } = harness(baseEnv({ HEARTBEAT_SECONDS: '30' }));
    const work = (ctx: TaskContext) =>
      new Promise<TaskOutcome>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));

    const exitCode = runTask(work, deps);
    await jest.advanceTimersByTimeAsync(10_000);

    await expect(exitCode).resolves.toBe(1);
    expect(calls(SendTaskFailureCommand)).toHaveLength(0);
    expect(calls(SendTaskSuccessCommand)).toHaveLength(0);
    const final = json().at(-1)!;
    expect(final).toMatchObject({ message: 'task finished', outcome: 'failed', tokenRejected: true });
    expect(final.error).toMatchObject({ name: 'TaskTokenRejected' });
  });

  it('reads the object list from the Runs item when OBJECTS_RUN_KEY is set', async () => {
    dynamoMock.on(GetCommand).resolves({ Item: { objects: [OBJECT] } });
    const { deps } = harness(baseEnv({ OBJECTS: undefined, OBJECTS_RUN_KEY: 'orders-daily#2026-11-20', RUNS_TABLE: 'runs' }));
    let objects: unknown;

    await expect(runTask(async (ctx) => ((objects = ctx.objects), { recordsAffected: 0, rowsRejected: 0 }), deps)).resolves.toBe(0);

    expect(objects).toEqual([OBJECT]);
    expect(dynamoMock.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({
      TableName: 'runs',
      Key: { pk: 'orders-daily#2026-11-20' },
      ConsistentRead: true,
    });
  });

  it('fails naming the Runs item when it has no objects', async () => {
    dynamoMock.on(GetCommand).resolves({});
    const { deps } = harness(baseEnv({ OBJECTS: undefined, OBJECTS_RUN_KEY: 'orders-daily#x', RUNS_TABLE: 'runs' }));

    await expect(runTask(async () => ({ recordsAffected: 0, rowsRejected: 0 }), deps)).resolves.toBe(1);

    const input = calls(SendTaskFailureCommand)[0]!.args[0].input;
    expect(input.error).toBe('BatchObjectsError');
    expect(input.cause).toContain('run orders-daily#x not found in table runs');
  });
});

describe('runTask with a sync launch', () => {
  const syncEnv = () => baseEnv({ LAUNCH: 'sync', TASK_TOKEN: undefined, HEARTBEAT_SECONDS: undefined });

  it('makes no Step Functions calls and reports success through exit code 0 and a final log line', async () => {
    const { deps, exit, json } = harness(syncEnv());

    await expect(runTask(async () => ({ recordsAffected: 9, rowsRejected: 1 }), deps)).resolves.toBe(0);
    await jest.advanceTimersByTimeAsync(600_000);

    expect(sfnMock.calls()).toHaveLength(0);
    expect(exit).toHaveBeenCalledWith(0);
    const final = json().find((l) => l.message === 'task finished')!;
    expect(final).toMatchObject({
      level: 'INFO',
      outcome: 'succeeded',
      exitCode: 0,
      launch: 'sync',
      result: { recordsAffected: 9, rowsRejected: 1, shard: { index: 0, count: 1 } },
    });
  });

  it('reports a thrown error through exit code 1, still without token calls', async () => {
    const { deps, exit, json } = harness(syncEnv());

    await expect(runTask(async () => Promise.reject(new RangeError('bad row count')), deps)).resolves.toBe(1);

    expect(sfnMock.calls()).toHaveLength(0);
    expect(exit).toHaveBeenCalledWith(1);
    expect(json().at(-1)).toMatchObject({ level: 'ERROR', outcome: 'failed', error: { name: 'RangeError', message: 'bad row count' } });
  });

  it('emits one EMF document with per-step durations, records, rejects and errors, dimensioned by pipeline and stage only', async () => {
    const { deps, json } = harness(syncEnv());
    await runTask(async (ctx) => {
      ctx.timings.add('load', 5);
      return { recordsAffected: 9, rowsRejected: 1 };
    }, deps);

    const emf = json().filter((l) => '_aws' in l);
    expect(emf).toHaveLength(1);
    const doc = emf[0] as {
      _aws: { CloudWatchMetrics: Array<{ Namespace: string; Dimensions: string[][]; Metrics: Array<{ Name: string }> }> };
    } & Record<string, unknown>;
    const directive = doc._aws.CloudWatchMetrics[0]!;
    expect(directive.Namespace).toBe('EcsPipelines');
    expect(directive.Dimensions).toEqual([['pipeline', 'stage']]);
    expect(directive.Metrics.map((m) => m.Name).sort()).toEqual(
      ['Errors', 'ExtractDuration', 'LoadDuration', 'RecordsAffected', 'RowsRejected', 'TaskDuration', 'TransformDuration'].sort(),
    );
    expect(doc).toMatchObject({ pipeline: 'orders-daily', stage: 'test', RecordsAffected: 9, RowsRejected: 1, Errors: 0, LoadDuration: 5 });
  });
});

describe('runTask for schedule and manual runs', () => {
  beforeEach(() => jest.useRealTimers());

  it('runs a schedule run without files and tells the work the trigger and the fire time', async () => {
    // Prepare: what the state machine passes for a schedule firing of a pipeline with no batch.
    const { deps, json } = harness(
      baseEnv({
        LAUNCH: 'sync',
        TRIGGER: 'schedule',
        SCHEDULED_TIME: '2026-11-20T05:00:00.000Z',
        OBJECTS: '[]',
        RUN_KEY: 'inventory-snapshot#schedule#2026-11-20T05:00Z',
        BATCH_KEY: 'schedule#2026-11-20T05:00Z',
      }),
    );
    const seen: Array<Pick<TaskContext, 'trigger' | 'scheduledTime' | 'objects'>> = [];
    const work = async (ctx: TaskContext): Promise<TaskOutcome> => {
      seen.push({ trigger: ctx.trigger, scheduledTime: ctx.scheduledTime, objects: ctx.objects });
      return { recordsAffected: 0, rowsRejected: 0 };
    };
    // Act
    await expect(runTask(work, deps)).resolves.toBe(0);
    // Assess
    expect(seen).toEqual([{ trigger: 'schedule', scheduledTime: new Date('2026-11-20T05:00:00.000Z'), objects: [] }]);
    expect(json().at(-1)).toMatchObject({
      message: 'task finished',
      outcome: 'succeeded',
      trigger: 'schedule',
      scheduledTime: '2026-11-20T05:00:00.000Z',
    });
  });

  it('runs a manual run without files; it has no fire time', async () => {
    const { deps } = harness(baseEnv({ LAUNCH: 'sync', TRIGGER: 'manual', OBJECTS: '[]', BATCH_KEY: 'manual#2026-11-20T10:00:00.000Z' }));
    let seen: TaskContext | undefined;
    await expect(runTask(async (ctx) => ((seen = ctx), { recordsAffected: 0, rowsRejected: 0 }), deps)).resolves.toBe(0);
    expect(seen).toMatchObject({ trigger: 'manual', scheduledTime: undefined, objects: [] });
  });

  it('refuses an empty object list for a run of an uploaded batch, naming both variables', async () => {
    const { deps, json } = harness(baseEnv({ LAUNCH: 'sync', TRIGGER: 's3', OBJECTS: '[]' }));
    const work = jest.fn();
    await expect(runTask(work, deps)).resolves.toBe(1);
    expect(work).not.toHaveBeenCalled();
    expect(JSON.stringify(json().at(-1))).toMatch(/OBJECTS is empty, but a run of an uploaded batch \(TRIGGER=s3\) has files/);
  });

  it('needs the fire time of a schedule run and names a malformed one', async () => {
    const missing = harness(baseEnv({ LAUNCH: 'sync', TRIGGER: 'schedule', OBJECTS: '[]' }));
    await expect(runTask(jest.fn(), missing.deps)).resolves.toBe(1);
    expect(JSON.stringify(missing.json().at(-1))).toContain('SCHEDULED_TIME is not set');

    const malformed = harness(baseEnv({ LAUNCH: 'sync', TRIGGER: 'schedule', SCHEDULED_TIME: 'tomorrow', OBJECTS: '[]' }));
    await expect(runTask(jest.fn(), malformed.deps)).resolves.toBe(1);
    expect(JSON.stringify(malformed.json().at(-1))).toMatch(/SCHEDULED_TIME: /);
  });

  it('names a missing or unknown TRIGGER', async () => {
    const missing = harness(baseEnv({ LAUNCH: 'sync', TRIGGER: undefined }));
    await expect(runTask(jest.fn(), missing.deps)).resolves.toBe(1);
    expect(JSON.stringify(missing.json().at(-1))).toContain('TRIGGER is not set');

    const unknown = harness(baseEnv({ LAUNCH: 'sync', TRIGGER: 'cron' }));
    await expect(runTask(jest.fn(), unknown.deps)).resolves.toBe(1);
    expect(JSON.stringify(unknown.json().at(-1))).toMatch(/TRIGGER: /);
  });
});

describe('runTask with a broken environment', () => {
  it('fails naming each missing variable, and tells Step Functions when the token is readable', async () => {
    const { deps, exit, json } = harness(baseEnv({ BATCH_KEY: undefined, SHARD_INDEX: '3', SHARD_COUNT: '2' }));
    const work = jest.fn();

    await expect(runTask(work, deps)).resolves.toBe(1);

    expect(work).not.toHaveBeenCalled();
    expect(exit).toHaveBeenCalledWith(1);
    const input = calls(SendTaskFailureCommand)[0]!.args[0].input;
    expect(input.error).toBe('TaskEnvError');
    expect(input.cause).toContain('BATCH_KEY is not set');
    expect(input.cause).toContain('SHARD_INDEX=3 is not below SHARD_COUNT=2');
    expect(json().at(-1)).toMatchObject({ outcome: 'failed', error: { name: 'TaskEnvError' } });
  });

  it('names a malformed OBJECTS list and the field at fault', async () => {
    const { deps } = harness(baseEnv({ LAUNCH: 'sync', OBJECTS: JSON.stringify([{ file: 'orders' }]) }));
    const lines: string[] = [];
    await runTask(jest.fn(), { ...deps, sink: (l) => lines.push(l) });

    expect(lines.join('\n')).toMatch(/OBJECTS at 0\.bucket/);
  });
});

describe('runTask of an events or queue run: ctx.event', () => {
  const EVENT = { source: 'com.acme.orders', 'detail-type': 'OrderBatchClosed', detail: { metadata: { 'idempotency-key': 'k1' } } };
  const eventEnv = (overrides: Record<string, string | undefined>) =>
    baseEnv({
      LAUNCH: 'sync',
      TASK_TOKEN: undefined,
      HEARTBEAT_SECONDS: undefined,
      TRIGGER: 'events',
      RUN_KEY: 'order-batch-closed#k1',
      BATCH_KEY: 'k1',
      OBJECTS: '[]',
      ...overrides,
    });

  it('hands the work the event from EVENT, and no event to other runs', async () => {
    const { deps } = harness(eventEnv({ EVENT: JSON.stringify(EVENT) }));
    let seen: TaskContext | undefined;
    await expect(runTask(async (ctx) => ((seen = ctx), { recordsAffected: 0, rowsRejected: 0 }), deps)).resolves.toBe(0);
    expect([seen!.trigger, seen!.event, seen!.objects]).toEqual(['events', EVENT, []]);

    const other = harness(baseEnv({ LAUNCH: 'sync', TASK_TOKEN: undefined, HEARTBEAT_SECONDS: undefined }));
    await runTask(async (ctx) => ((seen = ctx), { recordsAffected: 0, rowsRejected: 0 }), other.deps);
    expect(seen!.event).toBeUndefined();
  });

  it('reads a large event from the Runs item when EVENT_RUN_KEY is set', async () => {
    dynamoMock.on(GetCommand).resolves({ Item: { event: JSON.stringify(EVENT) } });
    const { deps } = harness(eventEnv({ EVENT_RUN_KEY: 'order-batch-closed#k1', RUNS_TABLE: 'runs' }));
    let event: unknown;
    await expect(runTask(async (ctx) => ((event = ctx.event), { recordsAffected: 0, rowsRejected: 0 }), deps)).resolves.toBe(0);
    expect(event).toEqual(EVENT);
    expect(dynamoMock.commandCalls(GetCommand)[0]!.args[0].input).toMatchObject({
      TableName: 'runs',
      Key: { pk: 'order-batch-closed#k1' },
    });
  });

  it('fails before the work when a run of an event has no event, naming the variables', async () => {
    const { deps, json } = harness(eventEnv({ TRIGGER: 'queue' }));
    const work = jest.fn();
    await expect(runTask(work, deps)).resolves.toBe(1);
    expect(work).not.toHaveBeenCalled();
    expect(JSON.stringify(json().at(-1))).toContain('neither EVENT nor EVENT_RUN_KEY is set, but a run of TRIGGER=queue has an event');
  });
});
