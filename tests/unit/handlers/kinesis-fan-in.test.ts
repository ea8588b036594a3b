/**
 * The fan-in handler over the real Kinesis event envelopes (tests/events/kinesis), with the
 * AWS clients mocked: partial batch responses, bad records beside good ones, one start.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ExecutionDoesNotExist, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand, type UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { Context, KinesisStreamBatchResponse, KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import type { FileArrival } from '../../../lib/contracts/messages';
import twoRecords from '../../events/kinesis/kinesis-two-records.json';
import oneRecord from '../../events/kinesis/kinesis-one-record.json';
import { arrival } from '../pipelines/start/fakes';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
// One second left: too little to wait out another invocation's lock, so such a record fails at once.
const context = { functionName: 'kinesisFanIn', awsRequestId: 'req-1', getRemainingTimeInMillis: () => 1000 } as unknown as Context;

let handler: (event: KinesisStreamEvent, context: Context) => Promise<KinesisStreamBatchResponse>;
beforeAll(() => {
  // The handler reads its environment once at cold start: set it, then load the module.
  Object.assign(process.env, {
    BATCHES_TABLE: 'Batches',
    RUNS_TABLE: 'Runs',
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:ecs-pipelines-test-pipeline',
    RUN_LEASE_SECONDS: '120',
    MAX_CONCURRENT_RUNS: '0',
    BATCH_TTL_DAYS: '35',
    STAGE: 'test',
    SERVICE: 'ecs-pipelines',
  });
  ({ handler } = require('../../../handlers/kinesis-fan-in') as { handler: typeof handler });
});

/** A minimal Batches table: ADD to a set per key, like DynamoDB does. */
function batchesInMemory() {
  const items = new Map<string, Record<string, unknown>>();
  ddb.on(UpdateCommand).callsFake((input: UpdateCommandInput) => {
    const pk = String(input.Key!.pk);
    const item = items.get(pk) ?? { pk };
    const values = input.ExpressionAttributeValues ?? {};
    if (input.TableName === 'Batches' && input.UpdateExpression!.startsWith('ADD')) {
      const arrived = new Set([...((item.arrived as Set<string>) ?? []), ...(values[':file'] as Set<string>)]);
      Object.assign(item, {
        arrived,
        [input.ExpressionAttributeNames!['#obj']!]: values[':obj'],
        pipeline: values[':pipeline'],
        batchKey: values[':batchKey'],
      });
      item.firstArrivalAt ??= values[':nowIso'];
      item.deadline ??= values[':deadline'];
      item.openState ??= 'OPEN';
      items.set(pk, item);
      return { Attributes: item };
    }
    if (input.TableName === 'Batches')
      Object.assign(item, { startedRunKey: values[':runKey'], startedFingerprint: values[':fingerprint'] });
    return {};
  });
  return items;
}

function envelope(fixture: { Records: unknown[] }, data: Array<FileArrival | string | undefined>): KinesisStreamEvent {
  const event = structuredClone(fixture) as KinesisStreamEvent;
  event.Records.forEach((record, i) => {
    const value = data[i];
    if (value !== undefined)
      record.kinesis.data = Buffer.from(typeof value === 'string' ? value : JSON.stringify(value)).toString('base64');
  });
  return event;
}

const [firstSeq, secondSeq] = twoRecords.Records.map((r) => r.kinesis.sequenceNumber);

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  ddb.on(PutCommand).resolves({});
  sfn
    .on(StartExecutionCommand)
    .callsFake((input) => ({ executionArn: `arn:aws:states:us-east-1:123456789012:execution:sm:${input.name}`, startDate: new Date() }));
});

test('both files of a batch in one Kinesis batch start exactly one run and fail nothing', async () => {
  batchesInMemory();
  const event = envelope(twoRecords, [
    arrival({ file: 'orders', batchKey: '2026-11-20' }),
    arrival({ file: 'customers', batchKey: '2026-11-20' }),
  ]);

  const response = await handler(event, context);

  expect(response).toEqual({ batchItemFailures: [] });
  const starts = sfn.commandCalls(StartExecutionCommand);
  expect(starts).toHaveLength(1);
  expect(JSON.parse(starts[0]!.args[0].input.input!)).toMatchObject({
    runKey: 'orders-daily#2026-11-20',
    objects: [{ file: 'orders' }, { file: 'customers' }],
  });
  expect(ddb.commandCalls(PutCommand)).toHaveLength(1);
});

test('a record whose data is not JSON is reported by sequence number and does not block the good one', async () => {
  batchesInMemory();
  // The fixture's second record keeps its original plain-text data.
  const event = envelope(twoRecords, [arrival({ file: 'orders', batchKey: '2026-11-21' }), undefined]);

  const response = await handler(event, context);

  expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: secondSeq }] });
  expect(ddb.commandCalls(UpdateCommand)).toHaveLength(1);
});

test('a batch of nothing but invalid records fails the invocation (Lambda bisects and retries, then the DLQ)', async () => {
  await expect(handler(envelope(oneRecord, []), context)).rejects.toMatchObject({ name: 'FullBatchFailureError' });
  await expect(handler(envelope(twoRecords, []), context)).rejects.toMatchObject({ name: 'FullBatchFailureError' });
  expect(ddb.calls()).toHaveLength(0);
});

test('a DynamoDB failure fails only its record', async () => {
  batchesInMemory();
  ddb
    .on(UpdateCommand, { Key: { pk: 'orders-daily#2026-11-22' } })
    .rejects(Object.assign(new Error('throttled'), { name: 'ThrottlingException' }));
  const event = envelope(twoRecords, [
    arrival({ file: 'orders', batchKey: '2026-11-22' }),
    arrival({ file: 'orders', batchKey: '2026-11-23' }),
  ]);

  const response = await handler(event, context);

  expect(response).toEqual({ batchItemFailures: [{ itemIdentifier: firstSeq }] });
});

/** The run lock is held by another invocation whose lease is still live. */
function lockHeldByAnotherInvocation(): void {
  ddb.on(PutCommand).rejects(
    new ConditionalCheckFailedException({
      message: 'The conditional request failed',
      $metadata: {},
      Item: {
        pk: { S: 'inventory-snapshot#eu_2026-11-20' },
        pipeline: { S: 'inventory-snapshot' },
        batchKey: { S: 'eu_2026-11-20' },
        trigger: { S: 's3' },
        status: { S: 'STARTING' },
        attempt: { N: '1' },
        executionName: { S: 'x' },
        requestedAt: { S: 't' },
        leaseExpiresAt: { N: String(Math.floor(Date.now() / 1000) + 100) },
      },
    }),
  );
}

test('a record whose run another invocation is starting is failed so it is retried', async () => {
  batchesInMemory();
  sfn.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'Execution Does Not Exist', $metadata: {} }));
  lockHeldByAnotherInvocation();
  const snapshot = arrival({
    pipeline: 'inventory-snapshot',
    file: 'snapshot',
    batchKey: 'eu_2026-11-20',
    key: 'incoming/inventory/eu/snapshot-2026-11-20.csv',
  });
  const event = envelope(oneRecord, [snapshot]);

  await expect(handler(event, context)).rejects.toMatchObject({ name: 'FullBatchFailureError' });
  expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
});

test('a record whose run was just started by another invocation succeeds without a second start', async () => {
  batchesInMemory();
  lockHeldByAnotherInvocation();
  const snapshot = arrival({
    pipeline: 'inventory-snapshot',
    file: 'snapshot',
    batchKey: 'eu_2026-11-20',
    key: 'incoming/inventory/eu/snapshot-2026-11-20.csv',
  });
  const event = envelope(oneRecord, [snapshot]);

  // The holder's execution exists: it started, and the state machine has not written RUNNING yet.
  sfn.on(DescribeExecutionCommand).resolves({ status: 'RUNNING' });

  await expect(handler(event, context)).resolves.toEqual({ batchItemFailures: [] });
  expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  expect(sfn.commandCalls(DescribeExecutionCommand)[0]!.args[0].input.executionArn).toMatch(/:execution:.*:x$/);
});
