import { EventEmitter } from 'node:events';
import {
  GetActivityTaskCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  type GetActivityTaskCommandOutput,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import {
  POLL_SOCKET_TIMEOUT_MS,
  runActivityWorker,
  runPipelineWorker,
  type ActivityWorkerDeps,
  type TaskContext,
} from '../../../../container/worker';

const sfnMock = mockClient(SFNClient);

const ACTIVITY_ARN = 'arn:aws:states:us-east-1:123456789012:activity:ecs-pipelines-dev-inventory-recount';
const OBJECT = { file: 'snapshot', bucket: 'uploads', key: 'incoming/inventory/eu/recount-2026-12-01.csv', size: 10, etag: 'e1' };

/** The input Prepare Shard Tasks gives a shard of an activity pipeline. */
const shardInput = (index: number) =>
  JSON.stringify({
    environment: {
      PIPELINE: 'inventory-recount',
      RUN_KEY: 'inventory-recount#eu_2026-12-01',
      BATCH_KEY: 'eu_2026-12-01',
      TRIGGER: 's3',
      EXECUTION_ARN: 'arn:aws:states:us-east-1:123456789012:execution:pipeline:inventory-recount-eu',
      SHARD_INDEX: String(index),
      SHARD_COUNT: '2',
      OBJECTS: JSON.stringify([OBJECT]),
      RUNS_TABLE: 'runs',
      LAUNCH: 'activity',
      HEARTBEAT_SECONDS: '60',
    },
  });

/** GetActivityTask answers, in order; then empty polls (a short wait each, as a long poll would). */
function polls(...answers: Array<Partial<GetActivityTaskCommandOutput>>) {
  const queue = [...answers];
  sfnMock.on(GetActivityTaskCommand).callsFake(async () => {
    await new Promise((resolve) => setTimeout(resolve, 5));
    return queue.shift() ?? {};
  });
}

function harness(env: NodeJS.ProcessEnv = { ACTIVITY_ARN, STAGE: 'test' }) {
  const lines: string[] = [];
  const exit = jest.fn();
  const signals = new EventEmitter();
  const client = new SFNClient({});
  const deps: ActivityWorkerDeps = {
    env,
    sfn: () => client,
    pollClient: () => client,
    signals,
    sink: (line) => lines.push(line),
    exit,
    workerName: 'worker-1',
    retryDelayMs: 5,
  };
  const json = () => lines.map((line) => JSON.parse(line) as Record<string, unknown>);
  return { deps, exit, signals, json };
}

const until = async (what: string, check: () => boolean) => {
  for (let i = 0; i < 400; i += 1) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
};

beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(SendTaskHeartbeatCommand).resolves({});
  sfnMock.on(SendTaskSuccessCommand).resolves({});
  sfnMock.on(SendTaskFailureCommand).resolves({});
});

describe('runActivityWorker', () => {
  it('long-polls its activity, runs each shard with the input as its run context, reports success with the token, and polls again', async () => {
    // Prepare
    polls({}, { taskToken: 'token-a', input: shardInput(0) }, {}, { taskToken: 'token-b', input: shardInput(1) });
    const { deps, signals, exit } = harness();
    const seen: TaskContext[] = [];

    // Act
    const done = runActivityWorker(async (ctx) => {
      seen.push(ctx);
      return { recordsAffected: 10 + ctx.task.shard.index, rowsRejected: 0 };
    }, deps);
    await until('two shards reported', () => sfnMock.commandCalls(SendTaskSuccessCommand).length === 2);
    signals.emit('SIGTERM');

    // Assess
    expect(await done).toBe(143);
    expect(exit).toHaveBeenCalledWith(143);
    const pollsMade = sfnMock.commandCalls(GetActivityTaskCommand);
    expect(pollsMade.length).toBeGreaterThanOrEqual(4);
    expect(pollsMade[0]!.args[0].input).toEqual({ activityArn: ACTIVITY_ARN, workerName: 'worker-1' });
    expect(seen.map((ctx) => [ctx.task.pipeline, ctx.task.batchKey, ctx.task.shard.index, ctx.task.launch.mode])).toEqual([
      ['inventory-recount', 'eu_2026-12-01', 0, 'activity'],
      ['inventory-recount', 'eu_2026-12-01', 1, 'activity'],
    ]);
    expect(seen[0]!.objects).toEqual([OBJECT]);
    const successes = sfnMock.commandCalls(SendTaskSuccessCommand).map((call) => call.args[0].input);
    expect(successes.map((s) => s.taskToken)).toEqual(['token-a', 'token-b']);
    expect(JSON.parse(successes[1]!.output!)).toMatchObject({ recordsAffected: 11, shard: { index: 1, count: 2 } });
    // A heartbeat at the start of each shard, on its own token.
    expect(sfnMock.commandCalls(SendTaskHeartbeatCommand).map((call) => call.args[0].input.taskToken)).toEqual(
      expect.arrayContaining(['token-a', 'token-b']),
    );
    expect(sfnMock.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
  });

  it('on SIGTERM mid-shard hands the shard back at once by failing it with Worker.Draining, aborts the work and polls no more', async () => {
    // Prepare
    polls({ taskToken: 'token-a', input: shardInput(0) });
    const { deps, signals, json } = harness();
    let aborted: unknown;

    // Act
    const done = runActivityWorker(
      (ctx) =>
        new Promise((_, reject) => {
          ctx.signal.addEventListener('abort', () => {
            aborted = ctx.signal.reason;
            reject(ctx.signal.reason);
          });
        }),
      deps,
    );
    await until('the shard started', () => sfnMock.commandCalls(SendTaskHeartbeatCommand).length > 0);
    const pollsBefore = sfnMock.commandCalls(GetActivityTaskCommand).length;
    signals.emit('SIGTERM');

    // Assess
    expect(await done).toBe(143);
    const failures = sfnMock.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input);
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ taskToken: 'token-a', error: 'Worker.Draining' });
    expect(JSON.parse(failures[0]!.cause!).errorMessage).toContain('handed back to run on another worker');
    expect((aborted as Error).name).toBe('Worker.Draining');
    expect(sfnMock.commandCalls(GetActivityTaskCommand)).toHaveLength(pollsBefore);
    expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
    expect(json().find((line) => line.message === 'draining')).toMatchObject({ handingBack: true });
  });

  it('fails a task whose input is not a run context with ActivityInputError, and keeps polling', async () => {
    // Prepare
    polls({ taskToken: 'token-bad', input: '{"orders":[1,2]}' }, { taskToken: 'token-a', input: shardInput(0) });
    const { deps, signals } = harness();
    const work = jest.fn(async () => ({ recordsAffected: 1, rowsRejected: 0 }));

    // Act
    const done = runActivityWorker(work, deps);
    await until('the good shard reported', () => sfnMock.commandCalls(SendTaskSuccessCommand).length === 1);
    signals.emit('SIGTERM');
    await done;

    // Assess
    const failures = sfnMock.commandCalls(SendTaskFailureCommand).map((call) => call.args[0].input);
    expect(failures).toEqual([expect.objectContaining({ taskToken: 'token-bad', error: 'ActivityInputError' })]);
    expect(JSON.parse(failures[0]!.cause!).errorMessage).toContain('environment');
    expect(work).toHaveBeenCalledTimes(1);
  });

  it('keeps polling after GetActivityTask fails (throttling, network), logging each failure', async () => {
    // Prepare
    let failuresLeft = 2;
    sfnMock.on(GetActivityTaskCommand).callsFake(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      }
      return failuresLeft-- === 0 ? { taskToken: 'token-a', input: shardInput(0) } : {};
    });
    const { deps, signals, json } = harness();

    // Act
    const done = runActivityWorker(async () => ({ recordsAffected: 1, rowsRejected: 0 }), deps);
    await until('the shard reported', () => sfnMock.commandCalls(SendTaskSuccessCommand).length === 1);
    signals.emit('SIGTERM');
    await done;

    // Assess
    expect(json().filter((line) => line.message === 'GetActivityTask failed; polling again')).toHaveLength(2);
  });

  it('exits 1 naming ACTIVITY_ARN when the task definition does not set it', async () => {
    const { deps, exit, json } = harness({ STAGE: 'test' });

    expect(await runActivityWorker(async () => ({ recordsAffected: 0, rowsRejected: 0 }), deps)).toBe(1);
    expect(exit).toHaveBeenCalledWith(1);
    expect(JSON.stringify(json())).toContain('ACTIVITY_ARN is not set');
    expect(sfnMock.commandCalls(GetActivityTaskCommand)).toHaveLength(0);
  });

  it('polls with a socket timeout above the 65 s the API reference asks for (the service holds a poll 60 s)', () => {
    expect(POLL_SOCKET_TIMEOUT_MS).toBeGreaterThan(65_000);
  });
});

describe('runPipelineWorker', () => {
  it('is an activity worker when ACTIVITY_ARN is set', async () => {
    polls({ taskToken: 'token-a', input: shardInput(0) });
    const { deps, signals } = harness();

    const done = runPipelineWorker(async () => ({ recordsAffected: 1, rowsRejected: 0 }), deps);
    await until('the shard reported', () => sfnMock.commandCalls(SendTaskSuccessCommand).length === 1);
    signals.emit('SIGTERM');

    expect(await done).toBe(143);
    expect(sfnMock.commandCalls(GetActivityTaskCommand).length).toBeGreaterThan(0);
  });

  it('runs one task when the state machine launched it (LAUNCH set), though its task definition names an activity', async () => {
    const { deps } = harness({ ACTIVITY_ARN, STAGE: 'test', ...JSON.parse(shardInput(0)).environment, LAUNCH: 'sync' });
    const work = jest.fn(async () => ({ recordsAffected: 1, rowsRejected: 0 }));

    expect(await runPipelineWorker(work, deps)).toBe(0);
    expect(work).toHaveBeenCalledTimes(1);
    expect(sfnMock.commandCalls(GetActivityTaskCommand)).toHaveLength(0);
  });
});
