/** The start-pipeline handler: both event shapes validated, one use case each. */
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
const context = { functionName: 'startPipeline', awsRequestId: 'req-1' } as Context;

let handler: (event: unknown, context: Context) => Promise<Record<string, unknown>>;
beforeAll(() => {
  // The handler reads its environment once at cold start: set it, then load the module.
  Object.assign(process.env, {
    BATCHES_TABLE: 'Batches',
    RUNS_TABLE: 'Runs',
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:ecs-pipelines-test-pipeline',
    RUN_LEASE_SECONDS: '120',
    MAX_CONCURRENT_RUNS: '0',
    STAGE: 'test',
    SERVICE: 'ecs-pipelines',
    TOPIC_ARN: 'arn:aws:sns:us-east-1:123456789012:operators',
  });
  ({ handler } = require('../../../handlers/start-pipeline') as { handler: typeof handler });
});

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  sfn
    .on(StartExecutionCommand)
    .callsFake((input) => ({ executionArn: `arn:aws:states:us-east-1:123456789012:execution:sm:${input.name}`, startDate: new Date() }));
});

test('a scheduled event starts the run keyed by its fire time', async () => {
  // inventory-snapshot selects yesterday's batches (region left open); with none, one run without files.
  ddb.on(QueryCommand, { IndexName: 'pipeline-batchKey' }).resolves({ Items: [] });
  // inventory-snapshot has maxConcurrentRuns: the run is queued (its number from the counter),
  // then the dispatch finds it first in the queue, admits it and takes it back with its input.
  const queued: Record<string, unknown> = {};
  ddb.on(UpdateCommand, { Key: { pk: 'queue#seq' } }).resolves({ Attributes: { n: 1 } });
  ddb.on(UpdateCommand, { ConditionExpression: 'executionName = :name AND #status = :starting' }).callsFake((input) => {
    Object.assign(queued, {
      pk: input.Key.pk,
      executionName: input.ExpressionAttributeValues[':name'],
      input: input.ExpressionAttributeValues[':input'],
    });
    return {};
  });
  ddb
    .on(QueryCommand, { IndexName: 'queue-queueSeq' })
    .callsFake(() => ({ Items: [{ pk: queued.pk, pipeline: 'inventory-snapshot', executionName: queued.executionName, queueSeq: 1 }] }));
  ddb.on(UpdateCommand, { ReturnValues: 'ALL_OLD' }).callsFake(() => ({ Attributes: { input: queued.input } }));
  const outcome = await handler({ pipeline: 'inventory-snapshot', trigger: 'schedule', time: '2026-11-20T06:00:00Z' }, context);

  expect(outcome).toMatchObject({
    selected: { date: '2026-11-19' },
    actions: [{ action: 'started', runKey: 'inventory-snapshot#schedule#2026-11-20T06:00Z' }],
  });
  expect(ddb.commandCalls(QueryCommand)[0]!.args[0].input).toMatchObject({
    IndexName: 'pipeline-batchKey',
    ExpressionAttributeValues: { ':pipeline': 'inventory-snapshot' },
  });
  expect(ddb.commandCalls(UpdateCommand).some((c) => c.args[0].input.Key?.pk === 'slots#pipeline#inventory-snapshot')).toBe(true);
  const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!);
  expect(input).toMatchObject({ trigger: 'schedule', task: { taskDefinition: 'ecs-pipelines-test-sample-pipeline', shards: 2 } });
});

test('a manual event reads the batch from the Batches table', async () => {
  ddb.on(GetCommand, { TableName: 'Batches' }).resolves({
    Item: {
      pk: 'orders-daily#2026-11-19',
      pipeline: 'orders-daily',
      batchKey: '2026-11-19',
      arrived: new Set(['orders', 'customers']),
      obj_orders: { bucket: 'u', key: 'incoming/acme/orders-2026-11-19.csv', size: 1, etag: 'a' },
      obj_customers: { bucket: 'u', key: 'incoming/acme/customers-2026-11-19.csv', size: 2, etag: 'b' },
      firstArrivalAt: '2026-11-19T01:00:00.000Z',
      deadline: 1,
      openState: 'OPEN',
    },
  });

  const outcome = await handler({ pipeline: 'orders-daily', batch: '2026-11-19' }, context);

  expect(outcome).toMatchObject({ status: 'started', runKey: 'orders-daily#2026-11-19', missingFiles: [] });
  // The lock (a put on Runs) and the batch's started mark are the only writes.
  expect(ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input.TableName)).toEqual(['Batches']);
});

test('events of neither shape are refused with what was expected', async () => {
  await expect(handler({ pipeline: 'orders-daily', batch: '' }, context)).rejects.toMatchObject({ name: 'InvalidStartEventError' });
  await expect(handler({ pipline: 'orders-daily' }, context)).rejects.toThrow(/startPipeline expects .*"pipline"/s);
  expect(sfn.calls()).toHaveLength(0);
});

test('an unknown pipeline or batch is named in the error', async () => {
  ddb.on(GetCommand).resolves({});
  await expect(handler({ pipeline: 'orders-weekly', batch: 'x' }, context)).rejects.toThrow(/unknown pipeline "orders-weekly"/);
  await expect(handler({ pipeline: 'orders-daily', batch: '1999-01-01' }, context)).rejects.toThrow(
    /batch "1999-01-01" of pipeline "orders-daily" not found/,
  );
});
