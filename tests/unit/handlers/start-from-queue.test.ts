/** The startFromQueue handler: partial batch responses, standard and FIFO (a failed message holds back the rest of its group). */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';
import type { Context, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const context = { functionName: 'startFromQueue', awsRequestId: 'req-1' } as Context;

// The handler runs on the registry it was bundled with: here, one with a queue pipeline.
jest.mock('../../../lib/registry', () => {
  const { indexRegistry, parseRegistry } = jest.requireActual('../../../lib/registry/parse-registry');
  const index = indexRegistry(
    parseRegistry(`
pipelines:
  order-requests:
    trigger: { queue: { batchKey: $.batch, fifo: true } }
    task: { container: app, image: example.com/app:1, cpu: 256, memory: 512, launch: sync, timeoutSeconds: 600 }
`),
  );
  return { pipelines: () => index };
});

let handler: (event: SQSEvent, context: Context) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> }>;
beforeAll(() => {
  Object.assign(process.env, {
    RUNS_TABLE: 'Runs',
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:ecs-pipelines-test-pipeline',
    RUN_LEASE_SECONDS: '120',
    MAX_CONCURRENT_RUNS: '0',
    STAGE: 'test',
    SERVICE: 'ecs-pipelines',
    TRIGGER_QUEUE_PREFIX: 'ecs-pipelines-test-',
  });
  ({ handler } = require('../../../handlers/start-from-queue') as { handler: typeof handler });
});

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  ddb.on(PutCommand).resolves({});
  sfn
    .on(StartExecutionCommand)
    .callsFake((input) => ({ executionArn: `arn:aws:states:us-east-1:123456789012:execution:sm:${input.name}`, startDate: new Date() }));
});

const record = (messageId: string, body: string, group: string, queue = 'ecs-pipelines-test-order-requests-runs.fifo') => ({
  messageId,
  receiptHandle: `rh-${messageId}`,
  body,
  attributes: {
    ApproximateReceiveCount: '1',
    SentTimestamp: '1',
    SenderId: 'x',
    ApproximateFirstReceiveTimestamp: '1',
    MessageGroupId: group,
  },
  messageAttributes: {},
  md5OfBody: '',
  eventSource: 'aws:sqs',
  eventSourceARN: `arn:aws:sqs:us-east-1:123456789012:${queue}`,
  awsRegion: 'us-east-1',
});

test('FIFO: a malformed message fails with the rest of its group; another group still starts its run', async () => {
  const event = {
    Records: [record('m1', '{"batch":', 'g1'), record('m2', '{"batch":"q2"}', 'g1'), record('m3', '{"batch":"q3"}', 'g2')],
  } as SQSEvent;
  const response = await handler(event, context);

  expect(response.batchItemFailures.map((f) => f.itemIdentifier).sort()).toEqual(['m1', 'm2']);
  expect(sfn.commandCalls(StartExecutionCommand).map((call) => call.args[0].input.name)).toEqual([
    expect.stringMatching(/^order-requests-q3-a1_/),
  ]);
});

test('a message of a queue that is no pipeline’s is reported failed, not dropped', async () => {
  const event = { Records: [record('m9', '{"batch":"q9"}', 'g1', 'someone-elses-queue')] } as SQSEvent;
  expect(await handler(event, context)).toEqual({ batchItemFailures: [{ itemIdentifier: 'm9' }] });
  expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
});
