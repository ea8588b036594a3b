import type { ExecutionInput } from '../../../../lib/contracts/messages';
import { OverridesTooLargeError, ReservedEnvironmentError, RunStepInputError } from '../../../../lib/pipelines/runs/errors';
import { MAX_GROUP_CHARS, prepareShardTasks, taskGroup } from '../../../../lib/pipelines/runs/prepare-shard-tasks';

const deps = { runsTable: 'runs', network: { subnets: ['subnet-a1'], securityGroups: ['sg-1'], assignPublicIp: 'ENABLED' as const } };
const EXECUTION_ARN = 'arn:aws:states:us-east-1:123456789012:execution:ecs-pipelines-dev-pipeline:inventory-snapshot-eu-2026-11-20-5d1e';

function input(change: Omit<Partial<ExecutionInput>, 'task'> & { task?: Partial<ExecutionInput['task']> } = {}): ExecutionInput {
  const { task, ...rest } = change;
  return {
    pipeline: 'inventory-snapshot',
    runKey: 'inventory-snapshot#eu#2026-11-20',
    batchKey: 'eu#2026-11-20',
    trigger: 's3',
    requestedAt: '2026-11-20T06:00:00.000Z',
    executionName: 'inventory-snapshot-eu-2026-11-20-5d1e',
    objects: [{ file: 'snapshot', bucket: 'uploads', key: 'incoming/inventory/eu/snapshot-2026-11-20.csv', size: 99, etag: '"e"' }],
    task: {
      taskDefinition: 'ecs-pipelines-dev-sample-pipeline',
      container: 'pipeline',
      command: ['node', 'dist/task.js'],
      cpu: 256,
      memory: 512,
      shards: 2,
      maxConcurrency: 2,
      launch: 'sync',
      timeoutSeconds: 1800,
      heartbeatSeconds: 60,
      architecture: 'X86_64',
      capacity: 'fargate-spot',
      capacityProvider: 'FARGATE_SPOT',
      environment: [],
      ...task,
    },
    shards: [
      { index: 0, count: 2 },
      { index: 1, count: 2 },
    ],
    alarms: {},
    ...rest,
  };
}

const env = (launch: { overrides?: { ContainerOverrides: { Environment: { Name: string; Value: string }[] }[] } }) =>
  Object.fromEntries(launch.overrides!.ContainerOverrides[0]!.Environment.map((e) => [e.Name, e.Value]));

describe('prepareShardTasks', () => {
  it('builds one .sync launch per shard with the run context, inline objects and Fargate Spot', () => {
    const { shardRuns } = prepareShardTasks({ input: input(), executionArn: EXECUTION_ARN }, deps);
    expect(shardRuns).toHaveLength(2);
    expect(shardRuns[1]).toMatchObject({
      shard: { index: 1, count: 2 },
      launch: 'sync',
      capacityProvider: 'FARGATE_SPOT',
      timeoutSeconds: 1800,
      group: 'pipeline:inventory-snapshot:inventory-snapshot-eu-2026-11-20-5d1e',
      networkConfiguration: { AwsvpcConfiguration: { Subnets: ['subnet-a1'], SecurityGroups: ['sg-1'], AssignPublicIp: 'ENABLED' } },
      overrides: { Cpu: '256', Memory: '512', ContainerOverrides: [{ Name: 'pipeline', Command: ['node', 'dist/task.js'] }] },
    });
    expect(env(shardRuns[1]!)).toEqual({
      PIPELINE: 'inventory-snapshot',
      RUN_KEY: 'inventory-snapshot#eu#2026-11-20',
      BATCH_KEY: 'eu#2026-11-20',
      TRIGGER: 's3',
      EXECUTION_ARN,
      SHARD_INDEX: '1',
      SHARD_COUNT: '2',
      OBJECTS: JSON.stringify(input().objects),
      RUNS_TABLE: 'runs',
      LAUNCH: 'sync',
    });
    expect(shardRuns[1]!.overridesWithToken).toBeUndefined();
  });

  it('gives EC2 launches their capacity provider and placement in the PascalCase RunTask reads, and Fargate launches none', () => {
    const placement = {
      constraints: [{ type: 'distinctInstance' }, { type: 'memberOf', expression: 'attribute:ecs.instance-type =~ r6g.*' }],
      strategy: [{ type: 'spread', field: 'instanceId' }],
    };
    const ec2 = prepareShardTasks(
      { input: input({ task: { capacity: 'ec2', capacityProvider: 'ec2-ecs-pipelines-dev', placement } }), executionArn: EXECUTION_ARN },
      deps,
    ).shardRuns[0]!;
    expect(ec2).toMatchObject({
      capacity: 'ec2',
      capacityProvider: 'ec2-ecs-pipelines-dev',
      placementConstraints: [{ Type: 'distinctInstance' }, { Type: 'memberOf', Expression: 'attribute:ecs.instance-type =~ r6g.*' }],
      placementStrategy: [{ Type: 'spread', Field: 'instanceId' }],
    });
    const unplaced = prepareShardTasks(
      { input: input({ task: { capacity: 'ec2', capacityProvider: 'ec2-ecs-pipelines-dev' } }), executionArn: EXECUTION_ARN },
      deps,
    ).shardRuns[0]!;
    expect(unplaced).toMatchObject({ placementConstraints: [], placementStrategy: [] });
    const fargate = prepareShardTasks({ input: input(), executionArn: EXECUTION_ARN }, deps).shardRuns[0]!;
    expect(fargate).not.toHaveProperty('placementConstraints');
    expect(fargate).not.toHaveProperty('placementStrategy');
  });

  it('splits callback overrides where the token goes, so the joined text is the overrides with TASK_TOKEN', () => {
    const { shardRuns } = prepareShardTasks(
      {
        input: input({ task: { launch: 'callback', environment: [{ name: 'MODE', value: 'say "hi"\\n' }] } }),
        executionArn: EXECUTION_ARN,
      },
      deps,
    );
    const { before, after } = shardRuns[0]!.overridesWithToken!;
    const token = 'AQCEAAAAKgAAAAMAAAAAAAAAAb+/==';
    // What States.StringToJson(States.Format('{}{}{}', before, token, after)) yields.
    const joined = JSON.parse(before + token + after);
    const environment = Object.fromEntries(
      joined.ContainerOverrides[0].Environment.map((e: { Name: string; Value: string }) => [e.Name, e.Value]),
    );
    expect(environment).toMatchObject({
      TASK_TOKEN: token,
      HEARTBEAT_SECONDS: '60',
      LAUNCH: 'callback',
      MODE: 'say "hi"\\n',
      OBJECTS: JSON.stringify(input().objects),
    });
    expect(shardRuns[0]!.overrides).toBeUndefined();
  });

  it('tells a schedule run its trigger and fire time, with an empty object list', () => {
    const scheduled = input({
      trigger: 'schedule',
      scheduledTime: '2026-11-20T05:00:00.000Z',
      objects: [],
      batchKey: 'schedule#2026-11-20T05:00Z',
    });
    const { shardRuns } = prepareShardTasks({ input: scheduled, executionArn: EXECUTION_ARN }, deps);
    expect(env(shardRuns[0]!)).toMatchObject({ TRIGGER: 'schedule', SCHEDULED_TIME: '2026-11-20T05:00:00.000Z', OBJECTS: '[]' });
  });

  it('passes the pointer instead of the objects when the input has objectsPointer', () => {
    const { shardRuns } = prepareShardTasks(
      {
        input: input({ objects: [], objectsPointer: { table: 'runs', runKey: 'inventory-snapshot#eu#2026-11-20' } }),
        executionArn: EXECUTION_ARN,
      },
      deps,
    );
    expect(env(shardRuns[0]!)).toMatchObject({ OBJECTS_RUN_KEY: 'inventory-snapshot#eu#2026-11-20' });
    expect(env(shardRuns[0]!).OBJECTS).toBeUndefined();
  });

  it('refuses overrides over 8,192 characters, counting room for the token on callbacks', () => {
    const big = { name: 'BIG', value: 'x'.repeat(6_500) };
    expect(() => prepareShardTasks({ input: input({ task: { environment: [big] } }), executionArn: EXECUTION_ARN }, deps)).not.toThrow();
    expect(() =>
      prepareShardTasks({ input: input({ task: { launch: 'callback', environment: [big] } }), executionArn: EXECUTION_ARN }, deps),
    ).toThrow(OverridesTooLargeError);
  });

  it('refuses a pipeline environment that sets a contract variable, and invalid input', () => {
    expect(() =>
      prepareShardTasks(
        { input: input({ task: { environment: [{ name: 'TASK_TOKEN', value: 'x' }] } }), executionArn: EXECUTION_ARN },
        deps,
      ),
    ).toThrow(ReservedEnvironmentError);
    expect(() => prepareShardTasks({ input: { pipeline: 'x' }, executionArn: EXECUTION_ARN }, deps)).toThrow(RunStepInputError);
  });

  it('keeps the task group within ECS limits', () => {
    expect(taskGroup('p'.repeat(40), 'e'.repeat(300))).toHaveLength(MAX_GROUP_CHARS);
  });
});
