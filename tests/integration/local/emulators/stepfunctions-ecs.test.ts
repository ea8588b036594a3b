/**
 * The local Step Functions wired to the local ECS, a dynalite DynamoDB and an SNS recorder:
 * `ecs:runTask.sync` waits for the child process and fails with States.TaskFailed and the task
 * JSON as Cause; `ecs:runTask.waitForTaskToken` hands the container a real token it calls back
 * with through the SDK; RunTask failures surface as AmazonECS.Unknown for Retry.
 */
import { GetItemCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SFNClient, StartExecutionCommand, GetExecutionHistoryCommand } from '@aws-sdk/client-sfn';
import { startLocalEcs, type LocalEcsServer } from '../../../../local/emulators/ecs';
import { startLocalStepFunctions, type LocalStepFunctionsServer } from '../../../../local/emulators/stepfunctions';
import { loadDefinition } from '../../../helpers/asl';
import { startDynalite, type Dynalite } from '../../../helpers/dynalite';

const TOPIC = 'arn:aws:sns:us-east-1:000000000000:operators';

const definition = {
  StartAt: 'Run Shards',
  States: {
    'Run Shards': {
      Type: 'Map',
      ItemsPath: '$.shards',
      ItemProcessor: {
        StartAt: 'Run Task',
        States: {
          'Run Task': {
            Type: 'Task',
            Resource: 'arn:aws:states:::ecs:runTask.sync',
            Parameters: {
              Cluster: 'local',
              TaskDefinition: 'sample',
              'Group.$': "States.Format('pipeline:{}', $$.Execution.Name)",
              Overrides: { ContainerOverrides: [{ Name: 'app', 'Command.$': '$.command', Environment: [{ Name: 'SHARD', Value: 'x' }] }] },
            },
            TimeoutSeconds: 600,
            ResultSelector: { 'exitCode.$': '$.Containers[0].ExitCode', 'stopCode.$': '$.StopCode', 'group.$': '$.Group' },
            Retry: [{ ErrorEquals: ['AmazonECS.Unknown'], IntervalSeconds: 5, MaxAttempts: 2 }],
            Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.failure', Next: 'Shard Failed' }],
            End: true,
          },
          'Shard Failed': {
            Type: 'Pass',
            Parameters: { 'task.$': 'States.StringToJson($.failure.Cause)', 'error.$': '$.failure.Error' },
            End: true,
          },
        },
      },
      ResultPath: '$.results',
      Next: 'Record Run',
    },
    'Record Run': {
      Type: 'Task',
      Resource: 'arn:aws:states:::dynamodb:putItem',
      Parameters: { TableName: 'Runs', Item: { pk: { 'S.$': '$$.Execution.Name' }, status: { S: 'DONE' } } },
      ResultPath: null,
      Next: 'Notify',
    },
    Notify: {
      Type: 'Task',
      Resource: 'arn:aws:states:::sns:publish',
      Parameters: { TopicArn: TOPIC, 'Message.$': '$.results' },
      ResultPath: '$.published',
      End: true,
    },
  },
};

const callbackDefinition = {
  StartAt: 'Run Worker',
  States: {
    'Run Worker': {
      Type: 'Task',
      Resource: 'arn:aws:states:::ecs:runTask.waitForTaskToken',
      Parameters: {
        Cluster: 'local',
        TaskDefinition: 'sample',
        Overrides: {
          ContainerOverrides: [
            { Name: 'app', 'Command.$': '$.command', Environment: [{ Name: 'TASK_TOKEN', 'Value.$': '$$.Task.Token' }] },
          ],
        },
      },
      TimeoutSeconds: 600,
      HeartbeatSeconds: 600,
      End: true,
    },
  },
};

let ecs: LocalEcsServer;
let sfn: LocalStepFunctionsServer;
let dynamo: Dynalite;
let client: SFNClient;
const published: { TopicArn?: string; Message: string }[] = [];

beforeAll(async () => {
  dynamo = await startDynalite();
  ecs = await startLocalEcs({
    stopTimeoutMs: 500,
    taskDefinitions: [{ family: 'sample', containers: { app: { command: ['node', '-e', '0'] } } }],
  });
  sfn = await startLocalStepFunctions({
    timeScale: 0.01,
    integrations: {
      ecs: ecs.ecs,
      dynamodb: new DynamoDBClient({
        endpoint: dynamo.endpoint,
        region: 'us-east-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      }),
      sns: async (params) => {
        published.push(params);
        return { MessageId: `m-${published.length}` };
      },
    },
  });
  // The containers reach the local Step Functions the way the worker library does: SDK endpoint variables.
  ecs.ecs.setAwsEnvironment({
    AWS_ENDPOINT_URL_SFN: sfn.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'test',
    AWS_SECRET_ACCESS_KEY: 'test',
  });
  sfn.sfn.createStateMachine({ name: 'shards', definition });
  sfn.sfn.createStateMachine({ name: 'callback', definition: callbackDefinition });
  client = new SFNClient({ endpoint: sfn.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});

afterAll(async () => {
  client.destroy();
  await sfn.stop();
  await ecs.stop();
  await dynamo.stop();
});

const start = async (machine: string, input: unknown, name?: string) => {
  const out = await client.send(
    new StartExecutionCommand({
      stateMachineArn: sfn.sfn.stateMachineArn(machine),
      input: JSON.stringify(input),
      ...(name ? { name } : {}),
    }),
  );
  return out.executionArn!;
};

describe('local Step Functions with local ECS, DynamoDB and SNS', () => {
  it('runs runTask.sync shards to completion: exit 0 succeeds with the task JSON, exit 2 fails with States.TaskFailed and the task as Cause', async () => {
    const executionArn = await start(
      'shards',
      { shards: [{ command: ['node', '-e', 'process.exit(0)'] }, { command: ['node', '-e', 'process.exit(2)'] }] },
      'run-1',
    );

    const done = await sfn.sfn.waitForExecution(executionArn);

    expect(done.status).toBe('SUCCEEDED');
    const output = JSON.parse(done.output!);
    expect(output.results[0]).toEqual({ exitCode: 0, stopCode: 'EssentialContainerExited', group: 'pipeline:run-1' });
    expect(output.results[1].error).toBe('States.TaskFailed');
    expect(output.results[1].task).toMatchObject({
      LastStatus: 'STOPPED',
      StopCode: 'EssentialContainerExited',
      Containers: [expect.objectContaining({ Name: 'app', ExitCode: 2 })],
    });
    const item = await dynamo.client.send(new GetItemCommand({ TableName: 'Runs', Key: { pk: { S: 'run-1' } } }));
    expect(item.Item?.status).toEqual({ S: 'DONE' });
    expect(output.published).toEqual({ MessageId: expect.stringMatching(/^m-/) });
    expect(JSON.parse(published.at(-1)!.Message)).toEqual(output.results);
  });

  it('retries AmazonECS.Unknown when RunTask answers with a capacity failure', async () => {
    ecs.ecs.injectCapacityFailures(1);
    const executionArn = await start('shards', { shards: [{ command: ['node', '-e', 'process.exit(0)'] }] });

    const done = await sfn.sfn.waitForExecution(executionArn);

    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!).results).toEqual([expect.objectContaining({ exitCode: 0 })]);
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    const failed = events!.find((e) => e.type === 'TaskFailed')!.taskFailedEventDetails!;
    expect(failed).toMatchObject({ error: 'AmazonECS.Unknown', resourceType: 'ecs', resource: 'runTask.sync' });
    expect(JSON.parse(failed.cause!).Failures[0].Reason).toMatch(/Capacity is unavailable/);
    expect(events!.filter((e) => e.type === 'TaskScheduled' && e.taskScheduledEventDetails!.resource === 'runTask.sync')).toHaveLength(2);
  });

  it('fails the shard with the stop reason when the container command does not exist', async () => {
    const executionArn = await start('shards', { shards: [{ command: ['definitely-not-installed-cmd'] }] });

    const done = await sfn.sfn.waitForExecution(executionArn);

    const shard = JSON.parse(done.output!).results[0];
    expect(shard.task).toMatchObject({
      StopCode: 'TaskFailedToStart',
      StoppedReason: expect.stringContaining('"definitely-not-installed-cmd"'),
    });
  });

  it('stops the ECS task when the execution is stopped while runTask.sync waits', async () => {
    const executionArn = await start('shards', { shards: [{ command: ['node', '-e', 'console.log("up"); setInterval(() => {}, 1000)'] }] });
    await new Promise<void>((resolve) => {
      const onLog = () => {
        ecs.ecs.off('log', onLog);
        resolve();
      };
      ecs.ecs.on('log', onLog);
    });
    const [taskArn] = ecs.ecs.listTasks({ cluster: 'local' });

    sfn.sfn.stopExecution(executionArn, 'Operator', 'enough');
    const task = await ecs.ecs.waitForStopped(taskArn!);

    expect(task.stopCode).toBe('UserInitiated');
    expect(sfn.sfn.describeExecution(executionArn).status).toBe('ABORTED');
  });

  it('passes a real task token to a waitForTaskToken container, which calls back through the SDK', async () => {
    const worker = [
      "const { SFNClient, SendTaskSuccessCommand } = require('@aws-sdk/client-sfn');",
      'new SFNClient({}).send(new SendTaskSuccessCommand({ taskToken: process.env.TASK_TOKEN, output: JSON.stringify({ records: 7 }) }))',
      '.then(() => process.exit(0), (e) => { console.error(e); process.exit(1); });',
    ].join('\n');
    const executionArn = await start('callback', { command: ['node', '-e', worker] });

    const done = await sfn.sfn.waitForExecution(executionArn);

    expect(done.status).toBe('SUCCEEDED');
    expect(JSON.parse(done.output!)).toEqual({ records: 7 });
    const types = sfn.sfn.getExecutionHistory(executionArn).map((e) => e.type);
    expect(types).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it("accepts the project's pipeline definition, timeouts and heartbeats from *SecondsPath included", () => {
    const machine = sfn.sfn.createStateMachine({ name: 'pipeline', definition: loadDefinition() });
    expect(machine.prepared.tasks.size).toBeGreaterThan(0);
    for (const info of machine.prepared.tasks.values()) expect(info.timeoutSeconds !== undefined || info.timeoutFromInput).toBe(true);
  });
});
