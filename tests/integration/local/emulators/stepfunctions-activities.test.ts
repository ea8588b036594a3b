/**
 * Activities on the local Step Functions through the real @aws-sdk/client-sfn: CreateActivity,
 * GetActivityTask as a long poll (answered when a task is scheduled, empty after the poll
 * time), SendTaskSuccess/Failure/Heartbeat on an activity's token, HeartbeatSeconds counted
 * from the worker's start, TimeoutSeconds from scheduling, the activity history events, and a
 * poll its caller gave up on is not handed a task.
 */
import {
  CreateActivityCommand,
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetActivityTaskCommand,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  type HistoryEvent,
} from '@aws-sdk/client-sfn';
import { startLocalStepFunctions, type LocalStepFunctionsServer } from '../../../../local/emulators/stepfunctions';

jest.setTimeout(20_000);

let server: LocalStepFunctionsServer;
let client: SFNClient;
let activityArn: string;
let stateMachineArn: string;

// timeScale 0.05: HeartbeatSeconds 20 → 1 s, TimeoutSeconds 100 → 5 s.
beforeAll(async () => {
  server = await startLocalStepFunctions({ timeScale: 0.05, activityPollSeconds: 1 });
  client = new SFNClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'l', secretAccessKey: 'l' } });
  activityArn = (await client.send(new CreateActivityCommand({ name: 'recount' }))).activityArn!;
  const definition = {
    StartAt: 'Work',
    States: {
      Work: {
        Type: 'Task',
        Resource: activityArn,
        Parameters: { 'shard.$': '$.shard' },
        HeartbeatSeconds: 20,
        TimeoutSeconds: 100,
        Retry: [{ ErrorEquals: ['Worker.Draining'], IntervalSeconds: 1, MaxAttempts: 1 }],
        Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
        End: true,
      },
      Caught: { Type: 'Pass', End: true },
    },
  };
  stateMachineArn = (
    await client.send(
      new CreateStateMachineCommand({
        name: 'activities',
        definition: JSON.stringify(definition),
        roleArn: 'arn:aws:iam::000000000000:role/r',
      }),
    )
  ).stateMachineArn!;
});

afterAll(async () => {
  client?.destroy();
  await server?.stop();
});

const start = async (name: string, shard: number) =>
  (await client.send(new StartExecutionCommand({ stateMachineArn, name, input: JSON.stringify({ shard }) }))).executionArn!;
const poll = (worker: string, abortSignal?: AbortSignal) =>
  client.send(new GetActivityTaskCommand({ activityArn, workerName: worker }), abortSignal ? { abortSignal } : {});
const finished = async (executionArn: string) => {
  await server.sfn.waitForExecution(executionArn);
  const [execution, history] = await Promise.all([
    client.send(new DescribeExecutionCommand({ executionArn })),
    client.send(new GetExecutionHistoryCommand({ executionArn })),
  ]);
  return { execution, events: history.events ?? [] };
};
const types = (events: HistoryEvent[]) => events.map((e) => e.type).filter((t) => t?.startsWith('Activity'));

it('a waiting poll gets the task as soon as it is scheduled, with its input, and SendTaskSuccess ends it', async () => {
  // Prepare: the worker polls before anything is scheduled.
  const waiting = poll('worker-1');

  // Act
  const executionArn = await start('success', 3);
  const task = await waiting;
  await client.send(new SendTaskHeartbeatCommand({ taskToken: task.taskToken! }));
  await client.send(new SendTaskSuccessCommand({ taskToken: task.taskToken!, output: '{"recordsAffected":3}' }));
  const { execution, events } = await finished(executionArn);

  // Assess
  expect(JSON.parse(task.input!)).toEqual({ shard: 3 });
  expect(execution.status).toBe('SUCCEEDED');
  expect(JSON.parse(execution.output!)).toEqual({ recordsAffected: 3 });
  expect(types(events)).toEqual(['ActivityScheduled', 'ActivityStarted', 'ActivitySucceeded']);
  const scheduled = events.find((e) => e.type === 'ActivityScheduled')!.activityScheduledEventDetails!;
  expect(scheduled).toMatchObject({ resource: activityArn, heartbeatInSeconds: 20, timeoutInSeconds: 100 });
  expect(events.find((e) => e.type === 'ActivityStarted')!.activityStartedEventDetails).toEqual({ workerName: 'worker-1' });
});

it('a poll with nothing scheduled answers with no token after the poll time', async () => {
  const startedAt = Date.now();
  const answer = await poll('idle');
  expect(answer.taskToken).toBeUndefined();
  expect(Date.now() - startedAt).toBeGreaterThanOrEqual(900);
});

it('a worker that goes silent fails the state with States.HeartbeatTimeout, counted from its start, and its token is dead', async () => {
  // Prepare: scheduled and left waiting longer than HeartbeatSeconds before a worker takes it.
  const executionArn = await start('silent', 1);
  await new Promise((resolve) => setTimeout(resolve, 1_500));
  const task = await poll('worker-silent');

  // Act
  const { execution, events } = await finished(executionArn);

  // Assess
  expect(task.taskToken).toBeDefined();
  expect(execution.status).toBe('SUCCEEDED'); // caught
  expect(types(events)).toEqual(['ActivityScheduled', 'ActivityStarted', 'ActivityTimedOut']);
  expect(events.find((e) => e.type === 'ActivityTimedOut')!.activityTimedOutEventDetails!.error).toBe('States.HeartbeatTimeout');
  await expect(client.send(new SendTaskSuccessCommand({ taskToken: task.taskToken!, output: '{}' }))).rejects.toMatchObject({
    name: 'TaskTimedOut',
  });
});

it('a task no worker takes fails with States.Timeout after TimeoutSeconds, counted from scheduling', async () => {
  const { events } = await finished(await start('unclaimed', 1));
  expect(types(events)).toEqual(['ActivityScheduled', 'ActivityTimedOut']);
  expect(events.find((e) => e.type === 'ActivityTimedOut')!.activityTimedOutEventDetails!.error).toBe('States.Timeout');
});

it("a failure the state retries (Worker.Draining) schedules the task again for another worker's poll", async () => {
  // Prepare
  const executionArn = await start('drained', 2);
  const first = await poll('worker-a');

  // Act
  await client.send(new SendTaskFailureCommand({ taskToken: first.taskToken!, error: 'Worker.Draining', cause: 'stopping' }));
  const second = await poll('worker-b');
  await client.send(new SendTaskSuccessCommand({ taskToken: second.taskToken!, output: '{"ok":true}' }));
  const { execution, events } = await finished(executionArn);

  // Assess
  expect(execution.status).toBe('SUCCEEDED');
  expect(types(events)).toEqual([
    'ActivityScheduled',
    'ActivityStarted',
    'ActivityFailed',
    'ActivityScheduled',
    'ActivityStarted',
    'ActivitySucceeded',
  ]);
  expect(events.find((e) => e.type === 'ActivityFailed')!.activityFailedEventDetails).toEqual({
    error: 'Worker.Draining',
    cause: 'stopping',
  });
  expect(second.taskToken).not.toBe(first.taskToken);
});

it('a poll its caller abandoned is not handed the next task', async () => {
  // Prepare: a poll that the worker gives up on (draining).
  const controller = new AbortController();
  const abandoned = poll('worker-gone', controller.signal).catch(() => undefined);
  await new Promise((resolve) => setTimeout(resolve, 50));
  controller.abort();
  await abandoned;
  await new Promise((resolve) => setTimeout(resolve, 50));

  // Act
  const executionArn = await start('after-abandon', 4);
  const task = await poll('worker-live');
  await client.send(new SendTaskSuccessCommand({ taskToken: task.taskToken!, output: '{}' }));
  const { events } = await finished(executionArn);

  // Assess
  expect(events.find((e) => e.type === 'ActivityStarted')!.activityStartedEventDetails).toEqual({ workerName: 'worker-live' });
});

it('GetActivityTask on an activity that does not exist is ActivityDoesNotExist', async () => {
  await expect(
    client.send(new GetActivityTaskCommand({ activityArn: 'arn:aws:states:us-east-1:000000000000:activity:nope' })),
  ).rejects.toMatchObject({ name: 'ActivityDoesNotExist' });
});
