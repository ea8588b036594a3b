import { summarizeRun } from '../../../../lib/pipelines/runs/summarize-run';
import { regionPrices } from '../../../../lib/shared/pricing/prices';

const run = (alarms: Record<string, number>, outcomes: unknown[]) => ({
  run: {
    pipeline: 'orders-daily',
    runKey: 'orders-daily#2026-11-20',
    batchKey: '2026-11-20',
    executionName: 'orders-daily-2026-11-20-3f9a',
    task: { taskDefinition: 'ecs-pipelines-test-sample-pipeline', container: 'pipeline', launch: 'callback' },
    shards: outcomes.map((_, index) => ({ index, count: outcomes.length })),
    alarms,
    prepared: { shardRuns: outcomes },
  },
  executionArn: 'arn:aws:states:eu-west-1:123456789012:execution:ecs-pipelines-dev-pipeline:orders-daily-2026-11-20-3f9a',
  startedAt: '2026-11-20T06:00:00.000Z',
});

describe('summarizeRun', () => {
  it('notifies a successful run whose runtime and records affected pass the alarm thresholds', () => {
    const summary = summarizeRun(
      run({ maxRuntimeSeconds: 1800, maxRecordsAffected: 1000 }, [
        { launch: 'callback', output: { recordsAffected: 800 } },
        { launch: 'callback', output: { recordsAffected: 700 } },
      ]),
      { clock: () => new Date('2026-11-20T06:45:00.000Z') },
    );

    expect(summary).toMatchObject({
      status: 'SUCCEEDED',
      durationMs: 2_700_000,
      notify: true,
      result: { recordsAffected: 1500, errorClass: null },
    });
    expect(summary.anomalies).toEqual([
      'ran 45m 0s, above the 30m 0s threshold (alarms.maxRuntimeSeconds)',
      'affected 1500 records, above the 1000 threshold (alarms.maxRecordsAffected)',
    ]);
    expect(summary.notification.subject).toBe('WARNING: orders-daily 2026-11-20: run succeeded with anomalies');
    expect(summary.notification.message).toContain(
      'https://eu-west-1.console.aws.amazon.com/states/home?region=eu-west-1#/v2/executions/details/',
    );
    expect(summary.attributeValues[':status']).toEqual({ S: 'SUCCEEDED' });
    expect(summary.attributeValues[':durationMs']).toEqual({ N: '2700000' });
  });

  it('does not notify a quiet successful run', () => {
    const summary = summarizeRun(run({}, [{ launch: 'callback', output: {} }]), { clock: () => new Date('2026-11-20T06:01:00.000Z') });
    expect(summary).toMatchObject({ status: 'SUCCEEDED', notify: false, anomalies: [], result: { recordsAffected: null } });
  });
});

describe('summarizeRun: the run cost estimate', () => {
  const prices = regionPrices('us-east-1');
  const started = Date.parse('2026-11-20T06:00:00.000Z');
  /** A stopped ECS task as the `.sync` integration returns it (PascalCase, epoch milliseconds). */
  const syncTask = (seconds: number, over: Record<string, unknown> = {}) => ({
    launch: 'sync',
    task: {
      TaskArn: 'arn:aws:ecs:us-east-1:123456789012:task/c/abc',
      Cpu: '512',
      Memory: '1024',
      CapacityProviderName: 'FARGATE_SPOT',
      PullStartedAt: started + 5_000,
      StoppedAt: started + 5_000 + seconds * 1000,
      StopCode: 'EssentialContainerExited',
      Containers: [{ Name: 'pipeline', ExitCode: 0 }],
      ...over,
    },
  });
  const syncRun = (alarms: Record<string, number>, outcomes: unknown[]) => {
    const request = run(alarms, outcomes);
    return { ...request, run: { ...request.run, task: { ...request.run.task, launch: 'sync', cpu: 512, memory: 1024 } } };
  };

  it('prices a .sync shard from its own task: billed time, size and capacity provider, plus the transitions', () => {
    const summary = summarizeRun(syncRun({}, [syncTask(600)]), { clock: () => new Date('2026-11-20T06:11:00.000Z'), prices });
    // Spot 600 s × (0.5 × 0.012144 + 1 × 0.0013335) / 3600 = 0.00123425; 7 + 3 × 1 = 10 transitions × 0.000025 = 0.00025
    expect(summary.result.cost).toEqual({
      usd: expect.closeTo(0.00148425, 9),
      tasksUsd: expect.closeTo(0.00123425, 9),
      transitionsUsd: expect.closeTo(0.00025, 9),
      transitions: 10,
      taskSeconds: 600,
    });
    expect(summary.attributeValues[':result']!.M!.cost!.M!.transitions).toEqual({ N: '10' });
    expect(summary.notify).toBe(false);
  });

  it('makes a run above alarms.maxRunCostUsd an anomaly, and its notice shows the cost', () => {
    const summary = summarizeRun(syncRun({ maxRunCostUsd: 0.001 }, [syncTask(600)]), {
      clock: () => new Date('2026-11-20T06:11:00.000Z'),
      prices,
    });
    expect(summary.anomalies).toEqual(['cost an estimated $0.0015, above the $0.0010 threshold (alarms.maxRunCostUsd)']);
    expect(summary.notify).toBe(true);
    // The notify state is one more transition: 0.00123425 + 11 × 0.000025 = 0.00150925
    expect(summary.result.cost?.usd).toBeCloseTo(0.00150925, 9);
    expect(summary.notification.message).toContain('Estimated cost');
    expect(summary.notification.message).toContain('$0.0015 (Fargate $0.0012 for 600 task-seconds, 11 transitions $0.0003)');
  });

  it('takes a callback shard to have run as long as the run, in waves of maxConcurrency', () => {
    const request = run({}, [
      { launch: 'callback', output: {} },
      { launch: 'callback', output: {} },
    ]);
    const callbackRun = {
      ...request,
      run: { ...request.run, task: { ...request.run.task, cpu: 512, memory: 1024, maxConcurrency: 1, architecture: 'ARM64' } },
    };
    const summary = summarizeRun(callbackRun, { clock: () => new Date('2026-11-20T06:45:00.000Z'), prices });
    // 45 min in 2 waves: 1,350 s per task; 2 × 1,350 × (0.5 × 0.03238 + 0.00356) / 3600 = 0.0148125; 7 + 3 × 2 = 13 transitions
    expect(summary.result.cost).toMatchObject({ tasksUsd: expect.closeTo(0.0148125, 9), transitions: 13, taskSeconds: 2700 });
  });

  /** A shard that was tried again: Keep Shard Outcome's `{outcome, attempt, retried}`. */
  const tried = (outcome: unknown, retried: Array<Record<string, unknown>>) => ({ outcome, attempt: retried.length + 1, retried });
  const failedTry = (attempt: number, capacityProvider: string, times?: [number, number]) => ({
    attempt,
    capacityProvider,
    errorClass: 'spot-interruption',
    errorMessage: 'Fargate Spot interrupted the task',
    stopReason: 'SpotInterruption',
    retryAfterSeconds: 0,
    ...(times ? { taskStartedAt: started + times[0] * 1000, taskStoppedAt: started + times[1] * 1000 } : {}),
  });

  it('counts the task time of every try of a .sync shard, each on its own capacity provider, and the notice says so', () => {
    // Two Spot tries interrupted after 300 s and 30 s (billed 60 s), then 600 s on Spot (syncTask).
    const outcome = tried(syncTask(600), [failedTry(1, 'FARGATE_SPOT', [5, 305]), failedTry(2, 'FARGATE_SPOT', [400, 430])]);
    const summary = summarizeRun(syncRun({ maxRunCostUsd: 0.0001 }, [outcome]), {
      clock: () => new Date('2026-11-20T06:30:00.000Z'),
      prices,
    });
    // Spot (300 + 60 + 600) s × (0.5 × 0.012144 + 1 × 0.0013335) / 3600 = 0.0019748; 7 + 3 + 2 × 5 retries + 1 notify = 21 transitions
    expect(summary.result.cost).toEqual({
      usd: expect.closeTo(0.0019748 + 0.000525, 7),
      tasksUsd: expect.closeTo(0.0019748, 7),
      transitionsUsd: expect.closeTo(0.000525, 9),
      transitions: 21,
      taskSeconds: 960,
      retriedTaskSeconds: 360,
    });
    expect(summary.notification.message).toContain('for 960 task-seconds, 360 of them by retried tries, 21 transitions');
  });

  it("does not add a callback shard's retried tries to its estimate from the run's duration, which spans them", () => {
    const request = run({}, [tried({ launch: 'callback', output: {} }, [failedTry(1, 'FARGATE', [5, 305])])]);
    const callbackRun = { ...request, run: { ...request.run, task: { ...request.run.task, cpu: 512, memory: 1024 } } };
    const summary = summarizeRun(callbackRun, { clock: () => new Date('2026-11-20T06:20:00.000Z'), prices });
    expect(summary.result.cost).toMatchObject({ taskSeconds: 1200 });
    expect(summary.result.cost).not.toHaveProperty('retriedTaskSeconds');
  });

  it('counts no task for a shard that never got capacity, and carries no estimate without prices', () => {
    const noCapacity = { Error: 'AmazonECS.Unknown', Cause: 'RunTask failures: RESOURCE:FARGATE capacity is unavailable at this time' };
    const summary = summarizeRun(syncRun({}, [noCapacity]), { clock: () => new Date('2026-11-20T06:01:00.000Z'), prices });
    expect(summary.result.errorClass).toBe('capacity');
    // No task; 7 + 3 + 2 (deciding on a retry, its Choice) + 1 (notifying) = 13 transitions
    expect(summary.result.cost).toEqual({
      usd: expect.closeTo(0.000325, 9),
      tasksUsd: 0,
      transitionsUsd: expect.closeTo(0.000325, 9),
      transitions: 13,
      taskSeconds: 0,
    });
    expect(summarizeRun(syncRun({}, [syncTask(600)]), { clock: () => new Date('2026-11-20T06:11:00.000Z') }).result.cost).toBeNull();
  });
});
