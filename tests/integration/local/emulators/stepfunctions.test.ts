/**
 * The local Step Functions through the real @aws-sdk/client-sfn: executions of small ASL
 * fixtures, AWS's execution-name rules, callback tokens with heartbeats and timeouts,
 * StopExecution and the execution history.
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
  type DescribeExecutionCommandOutput,
} from '@aws-sdk/client-sfn';
import { startLocalStepFunctions, type JsonValue, type LocalStepFunctionsServer } from '../../../../local/emulators/stepfunctions';

let server: LocalStepFunctionsServer;
let client: SFNClient;
/** Tokens the `callback` lambda received, by the `id` of its payload. */
const received = new Map<string, PromiseWithResolversLike<string>>();

interface PromiseWithResolversLike<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}
const tokenFor = (id: string): Promise<string> => {
  if (!received.has(id)) {
    let resolve!: (v: string) => void;
    received.set(id, { promise: new Promise<string>((r) => (resolve = r)), resolve });
  }
  return received.get(id)!.promise;
};

const passChoiceMap = {
  StartAt: 'Double Items',
  States: {
    'Double Items': {
      Type: 'Map',
      ItemsPath: '$.items',
      ItemProcessor: {
        StartAt: 'Double',
        States: { Double: { Type: 'Pass', Parameters: { 'value.$': 'States.MathAdd($, $)' }, End: true } },
      },
      ResultPath: '$.doubled',
      Next: 'Is Big',
    },
    'Is Big': {
      Type: 'Choice',
      Choices: [{ Variable: '$.doubled[0].value', NumericGreaterThan: 10, Next: 'Big' }],
      Default: 'Small',
    },
    Big: { Type: 'Pass', Result: 'big', ResultPath: '$.size', End: true },
    Small: { Type: 'Pass', Result: 'small', ResultPath: '$.size', End: true },
  },
};

const callback = {
  StartAt: 'Wait For Worker',
  States: {
    'Wait For Worker': {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'callback', Payload: { 'id.$': '$.id', 'token.$': '$$.Task.Token' } },
      TimeoutSeconds: 60,
      HeartbeatSeconds: 10,
      Catch: [{ ErrorEquals: ['States.TaskFailed'], ResultPath: '$.caught', Next: 'Caught As Task Failed' }],
      End: true,
    },
    'Caught As Task Failed': { Type: 'Fail', Error: 'CaughtTaskFailed', CausePath: '$.caught.Error' },
  },
};

const timeout = {
  StartAt: 'Slow',
  States: {
    Slow: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: { FunctionName: 'callback', Payload: { 'id.$': '$.id', 'token.$': '$$.Task.Token' } },
      TimeoutSeconds: 5,
      Catch: [
        { ErrorEquals: ['States.TaskFailed'], Next: 'Wrongly Caught' },
        { ErrorEquals: ['States.Timeout'], ResultPath: '$.error', Next: 'Timed Out' },
      ],
      End: true,
    },
    'Wrongly Caught': { Type: 'Fail', Error: 'WronglyCaught' },
    'Timed Out': { Type: 'Pass', End: true },
  },
};

beforeAll(async () => {
  // timeScale 0.05: HeartbeatSeconds 10 → 500 ms, TimeoutSeconds 5 → 250 ms.
  server = await startLocalStepFunctions({
    timeScale: 0.05,
    integrations: {
      lambdas: {
        callback: (payload: JsonValue) => {
          const { id, token } = payload as { id: string; token: string };
          void tokenFor(id);
          received.get(id)!.resolve(token);
          return { accepted: true };
        },
      },
    },
  });
  client = new SFNClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  for (const [name, definition] of Object.entries({ passChoiceMap, callback, timeout })) {
    await client.send(
      new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: 'arn:aws:iam::000000000000:role/x' }),
    );
  }
}, 30_000);

afterAll(async () => {
  client.destroy();
  await server.stop();
});

const arnOf = (name: string) => server.sfn.stateMachineArn(name);
const finished = async (executionArn: string): Promise<DescribeExecutionCommandOutput> => {
  await server.sfn.waitForExecution(executionArn);
  return client.send(new DescribeExecutionCommand({ executionArn }));
};
const historyTypes = async (executionArn: string): Promise<string[]> =>
  ((await client.send(new GetExecutionHistoryCommand({ executionArn }))).events ?? []).map((e) => e.type!);

describe('local Step Functions', () => {
  it('runs a Pass/Choice/Map definition and reports its output', async () => {
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: arnOf('passChoiceMap'), name: 'pcm-1', input: JSON.stringify({ items: [6, 1] }) }),
    );

    const out = await finished(executionArn!);

    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output!)).toEqual({ items: [6, 1], doubled: [{ value: 12 }, { value: 2 }], size: 'big' });
    expect(out.name).toBe('pcm-1');
    expect(out.stopDate).toBeInstanceOf(Date);
  });

  it('records the history with AWS event types, state names, inputs and outputs', async () => {
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: arnOf('passChoiceMap'), input: JSON.stringify({ items: [1] }) }),
    );
    await finished(executionArn!);

    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn }));

    expect(events!.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'PassStateEntered',
      'PassStateExited',
      'MapIterationSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'PassStateEntered',
      'PassStateExited',
      'ExecutionSucceeded',
    ]);
    expect(events!.map((e) => e.id)).toEqual(events!.map((_, i) => i + 1));
    const small = events!.filter((e) => e.stateExitedEventDetails?.name === 'Small')[0]!;
    expect(JSON.parse(small.stateExitedEventDetails!.output!)).toMatchObject({ size: 'small' });
    expect(events![0]!.timestamp).toBeInstanceOf(Date);
    expect(events![0]!.executionStartedEventDetails!.input).toBe(JSON.stringify({ items: [1] }));
  });

  it('applies the execution-name rules: same name and input while open is the same execution, otherwise ExecutionAlreadyExists', async () => {
    const start = (input: string) =>
      client.send(new StartExecutionCommand({ stateMachineArn: arnOf('callback'), name: 'dedupe-1', input }));
    const first = await start('{"id":"dedupe"}');

    const again = await start('{"id":"dedupe"}');
    await expect(start('{"id":"other"}')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });

    expect(again.executionArn).toBe(first.executionArn);
    await client.send(new SendTaskSuccessCommand({ taskToken: await tokenFor('dedupe'), output: '{}' }));
    expect((await finished(first.executionArn!)).status).toBe('SUCCEEDED');
    await expect(start('{"id":"dedupe"}')).rejects.toMatchObject({ name: 'ExecutionAlreadyExists' });
    const listed = await client.send(new ListExecutionsCommand({ stateMachineArn: arnOf('callback') }));
    expect(listed.executions!.filter((e) => e.name === 'dedupe-1')).toHaveLength(1);
  });

  it('completes a callback state with SendTaskSuccess, and then the token is closed', async () => {
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: arnOf('callback'), input: '{"id":"ok"}' }));
    const token = await tokenFor('ok');

    await client.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"records":42}' }));
    const out = await finished(executionArn!);

    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output!)).toEqual({ records: 42 });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
    expect(await historyTypes(executionArn!)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    const scheduled = events!.find((e) => e.type === 'TaskScheduled')!.taskScheduledEventDetails!;
    expect(scheduled).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke.waitForTaskToken',
      timeoutInSeconds: 60,
      heartbeatInSeconds: 10,
    });
    expect(JSON.parse(scheduled.parameters!).Payload.token).toBe(token);
  });

  it('fails a callback state with SendTaskFailure: the error reaches Catch (States.TaskFailed matches it)', async () => {
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: arnOf('callback'), input: '{"id":"fail"}' }));

    await client.send(new SendTaskFailureCommand({ taskToken: await tokenFor('fail'), error: 'WorkerError', cause: 'disk full' }));
    const out = await finished(executionArn!);

    expect(out).toMatchObject({ status: 'FAILED', error: 'CaughtTaskFailed', cause: 'WorkerError' });
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events!.find((e) => e.type === 'TaskFailed')!.taskFailedEventDetails).toMatchObject({
      error: 'WorkerError',
      cause: 'disk full',
    });
  });

  it('fails a callback state with States.HeartbeatTimeout when no heartbeat arrives in time', async () => {
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: arnOf('callback'), input: '{"id":"silent"}' }));
    const token = await tokenFor('silent');

    const out = await finished(executionArn!);

    // States.TaskFailed matches States.HeartbeatTimeout in AWS, so the Catch takes it.
    expect(out).toMatchObject({ status: 'FAILED', error: 'CaughtTaskFailed', cause: 'States.HeartbeatTimeout' });
    const { events } = await client.send(new GetExecutionHistoryCommand({ executionArn }));
    expect(events!.find((e) => e.type === 'TaskTimedOut')!.taskTimedOutEventDetails).toMatchObject({ error: 'States.HeartbeatTimeout' });
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
  });

  it('times a task out with States.Timeout, which a States.TaskFailed catcher does not catch', async () => {
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: arnOf('timeout'), input: '{"id":"slow"}' }));

    const out = await finished(executionArn!);

    expect(out.status).toBe('SUCCEEDED');
    expect(JSON.parse(out.output!).error).toMatchObject({ Error: 'States.Timeout' });
    expect(await historyTypes(executionArn!)).toContain('TaskTimedOut');
  });

  it('stops an execution with StopExecution: ABORTED with error and cause, and its token closed', async () => {
    const { executionArn } = await client.send(new StartExecutionCommand({ stateMachineArn: arnOf('callback'), input: '{"id":"stop"}' }));
    const token = await tokenFor('stop');

    await client.send(new StopExecutionCommand({ executionArn, error: 'Operator', cause: 'stopped by hand' }));
    const out = await finished(executionArn!);

    expect(out).toMatchObject({ status: 'ABORTED', error: 'Operator', cause: 'stopped by hand' });
    expect((await historyTypes(executionArn!)).at(-1)).toBe('ExecutionAborted');
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }))).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
  });

  it('answers bad tokens and unknown executions with the AWS error names', async () => {
    await expect(client.send(new SendTaskSuccessCommand({ taskToken: 'not-a-token', output: '{}' }))).rejects.toMatchObject({
      name: 'InvalidToken',
    });
    const wellFormed = `AQ${Buffer.from(JSON.stringify({ e: 'x', s: 'y', n: 'z' })).toString('base64url')}`;
    await expect(client.send(new SendTaskFailureCommand({ taskToken: wellFormed }))).rejects.toMatchObject({ name: 'TaskDoesNotExist' });
    await expect(
      client.send(new DescribeExecutionCommand({ executionArn: 'arn:aws:states:us-east-1:000000000000:execution:callback:nope' })),
    ).rejects.toMatchObject({ name: 'ExecutionDoesNotExist' });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: arnOf('nope') }))).rejects.toMatchObject({
      name: 'StateMachineDoesNotExist',
    });
    await expect(client.send(new StartExecutionCommand({ stateMachineArn: arnOf('callback'), name: 'has space' }))).rejects.toMatchObject({
      name: 'InvalidName',
    });
    await expect(
      client.send(new CreateStateMachineCommand({ name: 'bad', definition: '{"StartAt":"X","States":{}}', roleArn: 'r' })),
    ).rejects.toMatchObject({ name: 'InvalidDefinition' });
  });

  it('emits each history event to listeners as it is recorded', async () => {
    const seen: string[] = [];
    const listener = ({ executionArn, event }: { executionArn: string; event: { type: string } }) =>
      executionArn.endsWith(':live-1') && seen.push(event.type);
    server.sfn.on('event', listener);
    const { executionArn } = await client.send(
      new StartExecutionCommand({ stateMachineArn: arnOf('passChoiceMap'), name: 'live-1', input: '{"items":[]}' }),
    );
    await finished(executionArn!);
    server.sfn.off('event', listener);

    expect(seen).toEqual(await historyTypes(executionArn!));
  });
});
