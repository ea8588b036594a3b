import { DescribeTasksCommand, ECSClient, ListTasksCommand, StopTaskCommand } from '@aws-sdk/client-ecs';
import { mockClient } from 'aws-sdk-client-mock';
import { ecsTasks } from '../../../../lib/pipelines/runs/ecs-tasks';
import { stopAbandonedTask } from '../../../../lib/pipelines/runs/stop-abandoned-task';

const ecs = mockClient(ECSClient);
const CLUSTER = 'arn:aws:ecs:us-east-1:123456789012:cluster/ecs-pipelines-test';
const GROUP = 'pipeline:orders-daily:orders-daily-2026-11-20-a1_abc';

const task = (id: string, group: string, shard: string) => ({
  taskArn: `arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-test/${id}`,
  group,
  overrides: { containerOverrides: [{ name: 'pipeline', environment: [{ name: 'SHARD_INDEX', value: shard }] }] },
});

beforeEach(() => {
  ecs.reset();
});

describe('Stop Abandoned Task', () => {
  it('stops only the timed-out shard of this run, over paginated listings and batched describes', async () => {
    // Prepare: 150 running tasks of the family; one is this run's shard 1.
    const arns = Array.from({ length: 150 }, (_, i) => `arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-test/t${i}`);
    ecs
      .on(ListTasksCommand)
      .callsFake((input) => (input.nextToken ? { taskArns: arns.slice(100) } : { taskArns: arns.slice(0, 100), nextToken: 'page-2' }));
    ecs.on(DescribeTasksCommand).callsFake((input) => ({
      tasks: (input.tasks as string[]).map((arn) => {
        const id = arn.split('/').pop()!;
        if (id === 't120') return task(id, GROUP, '1');
        if (id === 't121') return task(id, GROUP, '0'); // same run, another shard
        return task(id, 'pipeline:orders-daily:other-run', '1');
      }),
    }));
    ecs.on(StopTaskCommand).resolves({});

    // Act
    const outcome = await stopAbandonedTask(
      {
        cluster: CLUSTER,
        taskDefinition: 'ecs-pipelines-test-sample-pipeline',
        group: GROUP,
        shardIndex: 1,
        error: 'States.HeartbeatTimeout',
        cause: 'no heartbeat for 120 s',
      },
      { ecs: ecsTasks(new ECSClient({})) },
    );

    // Assess
    expect(ecs.commandCalls(ListTasksCommand)[0]!.args[0].input).toMatchObject({
      cluster: CLUSTER,
      family: 'ecs-pipelines-test-sample-pipeline',
      desiredStatus: 'RUNNING',
    });
    expect(ecs.commandCalls(DescribeTasksCommand).map((c) => (c.args[0].input.tasks as string[]).length)).toEqual([100, 50]);
    expect(ecs.commandCalls(StopTaskCommand).map((c) => c.args[0].input.task)).toEqual([
      `arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-test/t120`,
    ]);
    expect(outcome).toEqual({
      Error: 'States.HeartbeatTimeout',
      Cause: "no heartbeat for 120 s (the shard's task was stopped (t120))",
      stoppedTasks: ['arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-test/t120'],
    });
  });

  it('says so when no task of the shard is running any more', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: [] });

    const outcome = await stopAbandonedTask(
      {
        cluster: CLUSTER,
        taskDefinition: 'arn:aws:ecs:us-east-1:123456789012:task-definition/ecs-pipelines-test-sample-pipeline:7',
        group: GROUP,
        shardIndex: 0,
        error: 'States.Timeout',
      },
      { ecs: ecsTasks(new ECSClient({})) },
    );

    expect(ecs.commandCalls(ListTasksCommand)[0]!.args[0].input.family).toBe('ecs-pipelines-test-sample-pipeline');
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(0);
    expect(outcome).toEqual({ Error: 'States.Timeout', Cause: 'no running task of this shard was found to stop', stoppedTasks: [] });
  });

  it('refuses a state without the shard it is about', async () => {
    await expect(
      stopAbandonedTask({ cluster: CLUSTER, error: 'States.Timeout' }, { ecs: ecsTasks(new ECSClient({})) }),
    ).rejects.toMatchObject({
      name: 'RunStepInputError',
      message: expect.stringContaining('shardIndex'),
    });
  });
});
