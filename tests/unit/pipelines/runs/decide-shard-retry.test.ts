/** Decide Shard Retry: which failed tries go round again, after how long, on which capacity provider. */
import { DEFAULT_RETRY } from '../../../../lib/contracts/retry';
import { decideShardRetry } from '../../../../lib/pipelines/runs/decide-shard-retry';
import type { EcsTasks } from '../../../../lib/pipelines/runs/stop-abandoned-task';

const taskArn = 'arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-dev/0f1e2d3c4b5a69788796a5b4c3d2e1f0';
const cause = (fields: Record<string, unknown>) => JSON.stringify({ TaskArn: taskArn, ...fields });
const FAILURES = {
  spot: {
    Error: 'States.TaskFailed',
    Cause: cause({
      StopCode: 'SpotInterruption',
      StoppedReason: 'Your Spot Task was interrupted.',
      Containers: [{ Name: 'pipeline', ExitCode: 143 }],
    }),
  },
  capacity: {
    Error: 'AmazonECS.Unknown',
    Cause: JSON.stringify({ Failures: [{ Reason: 'Capacity is unavailable at this time. Please try again later' }], Tasks: [] }),
  },
  pull: {
    Error: 'States.TaskFailed',
    Cause: cause({
      StopCode: 'TaskFailedToStart',
      StoppedReason: 'CannotPullContainerError: not found',
      Containers: [{ Name: 'pipeline' }],
    }),
  },
  exit: {
    Error: 'States.TaskFailed',
    Cause: cause({ StopCode: 'EssentialContainerExited', Containers: [{ Name: 'pipeline', ExitCode: 2 }] }),
  },
  timeout: { Error: 'States.Timeout', Cause: '' },
};

const shard = (failure: { Error: string; Cause: string }, change: Record<string, unknown> = {}) => ({
  shard: { index: 0, count: 1 },
  launch: 'sync',
  taskDefinition: 'ecs-pipelines-dev-probe',
  group: 'pipeline:probe:probe-2026-12-01-ab12',
  container: 'pipeline',
  capacity: 'fargate-spot',
  capacityProvider: 'FARGATE_SPOT',
  attempt: 1,
  retried: [],
  retry: DEFAULT_RETRY,
  failure,
  ...change,
});

describe('decideShardRetry', () => {
  it('re-runs a Spot interruption at once on FARGATE, recording the failed try', async () => {
    const decision = await decideShardRetry(shard(FAILURES.spot), { random: () => 0.5 });
    expect(decision).toMatchObject({ retry: true, waitSeconds: 0, errorClass: 'spot-interruption' });
    expect(decision.next).toMatchObject({ capacityProvider: 'FARGATE', attempt: 2 });
    expect(decision.next).not.toHaveProperty('failure');
    expect(decision.next.retried).toEqual([
      {
        attempt: 1,
        capacityProvider: 'FARGATE_SPOT',
        errorClass: 'spot-interruption',
        errorMessage: expect.stringContaining('Fargate Spot interrupted the task'),
        stopReason: 'SpotInterruption: Your Spot Task was interrupted.',
        taskArn,
        retryAfterSeconds: 0,
        nextCapacityProvider: 'FARGATE',
      },
    ]);
  });

  it("records the failed try's billed task time when its failure carries the task's times (the run's cost counts it)", async () => {
    const timed = {
      Error: 'States.TaskFailed',
      Cause: cause({
        StopCode: 'SpotInterruption',
        StoppedReason: 'Your Spot Task was interrupted.',
        Containers: [{ Name: 'pipeline', ExitCode: 143 }],
        CreatedAt: 1_764_583_195_000,
        PullStartedAt: 1_764_583_200_000,
        StartedAt: 1_764_583_230_000,
        StoppedAt: 1_764_583_500_000,
      }),
    };
    const decision = await decideShardRetry(shard(timed), { random: () => 0 });
    expect(decision.retry).toBe(true);
    // From the image pull to the stop, as Fargate bills it.
    expect((decision.next.retried as Array<object>)[0]).toMatchObject({
      taskStartedAt: 1_764_583_200_000,
      taskStoppedAt: 1_764_583_500_000,
    });
    // A failure whose task has no times (it never pulled its image) records none.
    const untimed = await decideShardRetry(shard(FAILURES.pull), { random: () => 0 });
    expect(untimed.retry).toBe(true);
    expect((untimed.next.retried as Array<object>)[0]).not.toHaveProperty('taskStartedAt');
  });

  it('stays on Fargate Spot without fallbackToOnDemand', async () => {
    const retry = { ...DEFAULT_RETRY, spotInterruption: { attempts: 2, fallbackToOnDemand: false } };
    const decision = await decideShardRetry(shard(FAILURES.spot, { retry }), { random: () => 0 });
    expect(decision.next).toMatchObject({ capacityProvider: 'FARGATE_SPOT', attempt: 2 });
    expect((decision.next.retried as Array<object>)[0]).not.toHaveProperty('nextCapacityProvider');
  });

  it('backs off capacity failures: intervalSeconds × backoff^n, between half and all of it', async () => {
    const first = await decideShardRetry(shard(FAILURES.capacity), { random: () => 0 });
    expect(first).toMatchObject({ retry: true, waitSeconds: 15, errorClass: 'capacity' });
    const third = await decideShardRetry(
      shard(FAILURES.capacity, {
        attempt: 3,
        retried: [1, 2].map((attempt) => ({
          attempt,
          capacityProvider: 'FARGATE_SPOT',
          errorClass: 'capacity',
          errorMessage: 'no capacity',
          stopReason: null,
          retryAfterSeconds: 30,
        })),
      }),
      { random: () => 0.999 },
    );
    // 30 × 2² = 120: between 60 and 120.
    expect(third).toMatchObject({ retry: true, waitSeconds: 120 });
    expect(third.next).toMatchObject({ attempt: 4, capacityProvider: 'FARGATE_SPOT' });
  });

  it("counts each class's tries on their own and stops when the class has used its attempts", async () => {
    const pulledTwice = [1, 2].map((attempt) => ({
      attempt,
      capacityProvider: 'FARGATE',
      errorClass: 'image-pull',
      errorMessage: 'CannotPullContainerError',
      stopReason: null,
      retryAfterSeconds: 30,
    }));
    expect(await decideShardRetry(shard(FAILURES.pull, { attempt: 3, retried: pulledTwice }), { random: () => 0 })).toMatchObject({
      retry: false,
      errorClass: 'image-pull',
    });
    // Two image-pull tries do not use up the Spot interruption's.
    expect(await decideShardRetry(shard(FAILURES.spot, { attempt: 3, retried: pulledTwice }), { random: () => 0 })).toMatchObject({
      retry: true,
    });
  });

  it('does not retry container errors by default, nor classes without a setting (timeouts)', async () => {
    expect(await decideShardRetry(shard(FAILURES.exit), { random: () => 0 })).toMatchObject({
      retry: false,
      errorClass: 'container-error',
    });
    expect(await decideShardRetry(shard(FAILURES.timeout), { random: () => 0 })).toMatchObject({ retry: false, errorClass: 'timeout' });
    const asked = { ...DEFAULT_RETRY, containerError: { attempts: 1, intervalSeconds: 10, backoff: 1 } };
    expect(await decideShardRetry(shard(FAILURES.exit, { retry: asked }), { random: () => 1 })).toMatchObject({
      retry: true,
      waitSeconds: 10,
    });
  });

  it('applies the defaults to a shard launched before retries existed (no retry settings)', async () => {
    const { retry: _ignored, ...legacy } = shard(FAILURES.capacity);
    expect(await decideShardRetry(legacy, { random: () => 0 })).toMatchObject({ retry: true, waitSeconds: 15 });
  });

  it('rejects a state that is not a failed shard, naming what is wrong', async () => {
    await expect(decideShardRetry({ shard: { index: 0, count: 1 } }, { random: () => 0 })).rejects.toThrow(
      /Decide Shard Retry: the shard's state is invalid/,
    );
  });

  describe("a callback shard whose container reported the stop signal (the worker's TaskStopped)", () => {
    const reported = { Error: 'TaskStopped', Cause: JSON.stringify({ errorType: 'TaskStopped', errorMessage: 'received a stop signal' }) };
    const group = 'pipeline:probe:probe-2026-12-01-ab12';
    const ecsWith = (stopCode: string) => {
      const calls: string[] = [];
      const tasks: EcsTasks = {
        listRunning: async () => [],
        listStopped: async (cluster, family) => {
          calls.push(`${cluster} ${family}`);
          return ['older', 'newer', 'other-shard'];
        },
        describe: async (_cluster, arns) =>
          arns.map((arn) => ({
            taskArn: `arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-dev/${arn}`,
            group,
            environment: [{ name: 'SHARD_INDEX', value: arn === 'other-shard' ? '1' : '0' }],
            stopCode: arn === 'newer' ? stopCode : 'EssentialContainerExited',
            stoppedReason: arn === 'newer' && stopCode === 'SpotInterruption' ? 'Your Spot Task was interrupted.' : 'stopped',
            createdAt: arn === 'older' ? 1_000 : 2_000,
            containers: [{ name: 'pipeline', exitCode: 143 }],
          })),
        stop: async () => undefined,
      };
      return { calls, ecs: { tasks, cluster: 'arn:aws:ecs:us-east-1:123456789012:cluster/ecs-pipelines-dev' } };
    };

    it("reads the shard's newest task from ECS and re-runs a Spot interruption on FARGATE", async () => {
      const { calls, ecs } = ecsWith('SpotInterruption');
      const decision = await decideShardRetry(shard(reported, { launch: 'callback' }), { random: () => 0, ecs });
      expect(calls).toEqual(['arn:aws:ecs:us-east-1:123456789012:cluster/ecs-pipelines-dev ecs-pipelines-dev-probe']);
      expect(decision).toMatchObject({ retry: true, errorClass: 'spot-interruption', next: { capacityProvider: 'FARGATE' } });
      expect((decision.next.retried as Array<{ taskArn: string }>)[0]!.taskArn).toMatch(/\/newer$/);
    });

    it('keeps the reported failure when ECS stopped the task for another reason', async () => {
      const { ecs } = ecsWith('UserInitiated');
      const decision = await decideShardRetry(shard(reported, { launch: 'callback' }), { random: () => 0, ecs });
      expect(decision).toMatchObject({ retry: false, errorClass: 'container-error' });
    });
  });
});
