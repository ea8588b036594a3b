import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { MalformedEventError } from '../../../lib/pipelines/watcher';
import { fixture, TEST_BUCKET } from '../pipelines/watcher/fixtures';

const kinesis = mockClient(KinesisClient);
const context = {
  functionName: 'ecs-pipelines-dev-s3UploadWatcher',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:ecs-pipelines-dev-s3UploadWatcher',
  memoryLimitInMB: '1024',
  awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
  getRemainingTimeInMillis: () => 6_000,
} as unknown as Context;

type Handler = (event: unknown, context: Context) => Promise<{ batchItemFailures: Array<{ itemIdentifier: string }> } | undefined>;
let handler: Handler;

beforeAll(() => {
  // The handler reads its environment once at cold start, so it loads after these are set.
  process.env.STREAM_NAME = 'file-arrivals';
  process.env.UPLOADS_BUCKET = TEST_BUCKET;
  ({ handler } = require('../../../handlers/s3-upload-watcher') as { handler: Handler });
});

beforeEach(() => {
  kinesis.reset();
  kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => ({
    FailedRecordCount: 0,
    Records: (input.Records ?? []).map((_, i) => ({ SequenceNumber: String(i), ShardId: 'shardId-000000000000' })),
  }));
});

const partitionKeys = () =>
  kinesis.commandCalls(PutRecordsCommand).flatMap((call) => call.args[0].input.Records!.map((r) => r.PartitionKey));

describe('s3-upload-watcher handler', () => {
  it('answers an SQS batch with the malformed messages as batch item failures and publishes the rest', async () => {
    const response = await handler(fixture('sqs/derived-mixed-good-and-malformed.json'), context);

    expect(response).toEqual({
      batchItemFailures: [
        { itemIdentifier: '059f36b4-87a3-44ab-83d2-661975830a7d' },
        { itemIdentifier: 'b7d0e5a4-0c1e-4f3b-9a57-6f2f0d1c9e11' },
        { itemIdentifier: '79406a00-bf15-46ca-978c-22c3613fcb30' },
      ],
    });
    expect(partitionKeys()).toEqual(['orders-daily#2026-11-20 09:30+01:00', 'inventory-snapshot#eu-west_2026-11-20']);
  });

  it('answers an SQS batch of good messages with no failures', async () => {
    await expect(handler(fixture('s3/derived-orders-via-sns-via-sqs.json'), context)).resolves.toEqual({ batchItemFailures: [] });
    expect(partitionKeys()).toEqual(['orders-daily#2026-11-21']);
  });

  it('returns nothing to a direct S3 notification and an EventBridge event', async () => {
    await expect(handler(fixture('s3/derived-orders-put-encoded-key.json'), context)).resolves.toBeUndefined();
    await expect(handler(fixture('s3-eventbridge/derived-customers-created.json'), context)).resolves.toBeUndefined();
    expect(partitionKeys()).toEqual(['orders-daily#2026-11-20 09:30+01:00', 'orders-daily#2026-11-20 09:30+01:00']);
  });

  it('ignores the S3 test event without calling Kinesis', async () => {
    await expect(handler(fixture('s3/s3-test-event.json'), context)).resolves.toBeUndefined();
    expect(kinesis.commandCalls(PutRecordsCommand)).toHaveLength(0);
  });

  it('fails an asynchronous invocation whose event is malformed, so it reaches the DLQ', async () => {
    const event = fixture('s3-eventbridge/derived-customers-created.json');
    delete event.detail.object.size;

    await expect(handler(event, context)).rejects.toThrow(MalformedEventError);
  });
});
