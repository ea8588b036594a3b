/**
 * RedriveExecution on the local Step Functions, through @aws-sdk/client-sfn: a failed execution
 * continues from the state that failed, under the same ARN, without running earlier states
 * again; an inline Map runs again only the iterations that did not succeed.
 */
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { startLocalStepFunctions, type JsonValue, type LocalStepFunctionsServer } from '../../../../local/emulators/stepfunctions';

let server: LocalStepFunctionsServer;
let client: SFNClient;
const failing = new Set<number>();
const calls = new Map<number, number>();

const definition = {
  StartAt: 'Prepare Items',
  States: {
    'Prepare Items': { Type: 'Pass', Next: 'Work On Each Item' },
    'Work On Each Item': {
      Type: 'Map',
      ItemsPath: '$.items',
      MaxConcurrency: 1,
      ItemProcessor: {
        StartAt: 'Call Flaky Worker',
        States: {
          'Call Flaky Worker': {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Parameters: { FunctionName: 'flaky', 'Payload.$': '$' },
            ResultSelector: { 'value.$': '$.Payload' },
            End: true,
          },
        },
      },
      ResultPath: '$.results',
      Next: 'Done',
    },
    Done: { Type: 'Pass', End: true },
  },
};

beforeAll(async () => {
  server = await startLocalStepFunctions({
    integrations: {
      lambdas: {
        flaky: (payload: JsonValue) => {
          const item = payload as number;
          calls.set(item, (calls.get(item) ?? 0) + 1);
          if (failing.has(item)) throw Object.assign(new Error(`item ${item} failed`), { name: 'WorkerFailed' });
          return item * 10;
        },
      },
    },
  });
  client = new SFNClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  await client.send(
    new CreateStateMachineCommand({ name: 'redrive', definition: JSON.stringify(definition), roleArn: 'arn:aws:iam::000000000000:role/x' }),
  );
});
afterAll(async () => {
  client.destroy();
  await server.stop();
});

test('a failed Map iteration is redriven alone: the succeeded one keeps its result, the one never started runs, earlier states do not run again', async () => {
  // Prepare: item 2 fails; with one iteration at a time, item 3 never starts.
  failing.add(2);
  const { executionArn } = await client.send(
    new StartExecutionCommand({
      stateMachineArn: server.sfn.stateMachineArn('redrive'),
      name: 'redrive-1',
      input: JSON.stringify({ items: [1, 2, 3] }),
    }),
  );
  await server.sfn.waitForExecution(executionArn!);
  expect((await client.send(new DescribeExecutionCommand({ executionArn }))).status).toBe('FAILED');
  expect((await client.send(new DescribeExecutionCommand({ executionArn }))).redriveStatus).toBe('REDRIVABLE');
  // Act: the cause is fixed, the execution redriven.
  failing.clear();
  const redriven = await client.send(new RedriveExecutionCommand({ executionArn }));
  await server.sfn.waitForExecution(executionArn!);
  // Assess
  const described = await client.send(new DescribeExecutionCommand({ executionArn }));
  expect(redriven.redriveDate).toBeInstanceOf(Date);
  expect(described).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, executionArn });
  expect(JSON.parse(described.output!)).toEqual({ items: [1, 2, 3], results: [{ value: 10 }, { value: 20 }, { value: 30 }] });
  expect([...calls.entries()].sort()).toEqual([
    [1, 1],
    [2, 2],
    [3, 1],
  ]);
  const events = (await client.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];
  const types = events.map((e) => e.type);
  expect(types.filter((t) => t === 'ExecutionStarted')).toHaveLength(1);
  expect(types).toContain('ExecutionRedriven');
  expect(types.at(-1)).toBe('ExecutionSucceeded');
  const entered = events.filter((e) => e.type?.endsWith('StateEntered')).map((e) => e.stateEnteredEventDetails!.name);
  expect(entered.filter((n) => n === 'Prepare Items')).toHaveLength(1);
  expect(entered.some((n) => n?.startsWith('__redrive'))).toBe(false);
});

test('a succeeded execution is not redrivable', async () => {
  const { executionArn } = await client.send(
    new StartExecutionCommand({ stateMachineArn: server.sfn.stateMachineArn('redrive'), input: JSON.stringify({ items: [5] }) }),
  );
  await server.sfn.waitForExecution(executionArn!);
  await expect(client.send(new RedriveExecutionCommand({ executionArn }))).rejects.toMatchObject({
    name: 'ExecutionNotRedrivable',
    message: 'Execution is SUCCEEDED and cannot be redriven.',
  });
});
