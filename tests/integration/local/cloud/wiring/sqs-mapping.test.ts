/**
 * The SQS event source mapping against the local SQS (local-aws-sqs: real visibility timeouts
 * and redrive): what a function handles is deleted, what it reports as failed comes back after
 * the visibility timeout, and the queue's RedrivePolicy moves a message that keeps failing to
 * the dead-letter queue after maxReceiveCount receives.
 */
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startEmulators, type Emulators } from '../../../../../local/emulators/data-services';
import { SqsMapping, type SqsBatchOutcome, type SqsMappingConfig, type SqsRecord } from '../../../../../local/cloud/wiring/sqs-mapping';

jest.setTimeout(60_000);

let emulators: Emulators;
let sqs: SQSClient;
let mapping: SqsMapping | undefined;
let queueCount = 0;

beforeAll(async () => {
  emulators = await startEmulators();
  sqs = new SQSClient({
    endpoint: emulators.endpoints.sqs,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});
afterEach(async () => {
  await mapping?.stop();
  mapping = undefined;
});
afterAll(async () => {
  sqs.destroy();
  await emulators.stop();
});

/** A queue with a 1 s visibility timeout and a DLQ after `maxReceiveCount` receives. */
async function queueWithDlq(maxReceiveCount: number): Promise<{ url: string; arn: string; dlqUrl: string }> {
  queueCount += 1;
  const arnOf = async (url: string) =>
    (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: `mapping-${queueCount}-dlq` }));
  const queue = await sqs.send(
    new CreateQueueCommand({
      QueueName: `mapping-${queueCount}`,
      Attributes: {
        VisibilityTimeout: '1',
        RedrivePolicy: JSON.stringify({ deadLetterTargetArn: await arnOf(dlq.QueueUrl!), maxReceiveCount }),
      },
    }),
  );
  return { url: queue.QueueUrl!, arn: await arnOf(queue.QueueUrl!), dlqUrl: dlq.QueueUrl! };
}

/** Starts a mapping whose function is `handle`; returns every batch it was invoked with. */
function startMapping(
  queue: { url: string; arn: string },
  handle: (records: SqsRecord[]) => unknown,
  config: Partial<SqsMappingConfig> = {},
) {
  const batches: SqsRecord[][] = [];
  const outcomes: SqsBatchOutcome[] = [];
  mapping = new SqsMapping(
    {
      invoke: async (event) => {
        const records = (event as { Records: SqsRecord[] }).Records;
        batches.push(records);
        return handle(records);
      },
    },
    {
      queueUrl: queue.url,
      queueArn: queue.arn,
      batchSize: 10,
      batchWindowMs: 0,
      reportBatchItemFailures: true,
      filters: [],
      region: 'us-east-1',
      ...config,
    },
    sqs,
    { pollIntervalMs: 50 },
    (outcome) => outcomes.push(outcome),
  );
  mapping.start();
  return { batches, outcomes };
}

const send = (url: string, body: string) => sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: body }));

async function dlqBodies(url: string, expected: number): Promise<string[]> {
  const bodies: string[] = [];
  const deadline = Date.now() + 20_000;
  while (bodies.length < expected && Date.now() < deadline) {
    const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 0 }));
    bodies.push(...(out.Messages ?? []).map((m) => m.Body!));
    if (bodies.length < expected) await new Promise((r) => setTimeout(r, 100));
  }
  return bodies.sort();
}

async function depth(url: string) {
  const out = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return out.Attributes;
}

const bodiesOf = (batch: SqsRecord[]) => batch.map((r) => r.body).sort();

describe('SQS event source mapping', () => {
  it('redelivers only the reported failure, and moves it to the DLQ after maxReceiveCount receives', async () => {
    // Prepare
    const queue = await queueWithDlq(2);
    for (const body of ['good-1', 'bad', 'good-2']) await send(queue.url, body);

    // Act: the function reports "bad" as failed every time.
    const { batches, outcomes } = startMapping(queue, (records) => ({
      batchItemFailures: records.filter((r) => r.body === 'bad').map((r) => ({ itemIdentifier: r.messageId })),
    }));
    const dead = await dlqBodies(queue.dlqUrl, 1);

    // Assess: the good messages were handed over once; "bad" twice, alone the second time.
    expect(dead).toEqual(['bad']);
    const deliveries = batches.flat().map((r) => r.body);
    expect(deliveries.filter((b) => b === 'good-1')).toHaveLength(1);
    expect(deliveries.filter((b) => b === 'good-2')).toHaveLength(1);
    expect(deliveries.filter((b) => b === 'bad')).toHaveLength(2);
    expect(bodiesOf(batches.at(-1)!)).toEqual(['bad']);
    expect(batches.at(-1)![0]!.attributes.ApproximateReceiveCount).toBe('2');
    expect(outcomes.map((o) => o.outcome)).toEqual(['partial', 'error']);
    expect(await depth(queue.url)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('fails the whole batch when the function throws: every message comes back and ends in the DLQ', async () => {
    const queue = await queueWithDlq(2);
    for (const body of ['a', 'b']) await send(queue.url, body);

    const { batches } = startMapping(queue, () => {
      throw new Error('boom');
    });
    const dead = await dlqBodies(queue.dlqUrl, 2);

    expect(dead).toEqual(['a', 'b']);
    expect(batches.flat().filter((r) => r.body === 'a')).toHaveLength(2);
    expect(batches.flat().filter((r) => r.body === 'b')).toHaveLength(2);
  });

  it('hands the function Lambda SQS records, at most BatchSize at a time, and deletes what succeeded', async () => {
    const queue = await queueWithDlq(5);
    for (let i = 0; i < 5; i += 1) await send(queue.url, JSON.stringify({ n: i }));

    const { batches } = startMapping(queue, () => null, { batchSize: 2 });
    const deadline = Date.now() + 10_000;
    while (batches.flat().length < 5 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await mapping!.stop();

    expect(batches.flat()).toHaveLength(5);
    expect(Math.max(...batches.map((b) => b.length))).toBeLessThanOrEqual(2);
    expect(batches[0]![0]).toMatchObject({
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: 'us-east-1',
      messageId: expect.any(String),
      receiptHandle: expect.any(String),
    });
    expect(await depth(queue.url)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });

  it('drops messages no filter matches without invoking the function', async () => {
    const queue = await queueWithDlq(5);
    await send(queue.url, JSON.stringify({ kind: 'skip' }));
    await send(queue.url, JSON.stringify({ kind: 'take' }));

    const { batches, outcomes } = startMapping(queue, () => null, { filters: [{ body: { kind: ['take'] } }] });
    const deadline = Date.now() + 10_000;
    while (outcomes.reduce((n, o) => n + o.records + o.filtered, 0) < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50));

    expect(batches.flat().map((r) => r.body)).toEqual([JSON.stringify({ kind: 'take' })]);
    expect(await depth(queue.url)).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
  });
});
