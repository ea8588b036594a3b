/**
 * The queue consumer against local-aws-sqs: real leases, receive counts, deletes and
 * redrive to a dead-letter queue, so what a mock would fake is exercised for real.
 */
import type { AddressInfo, Server } from 'node:net';
import { EventEmitter } from 'node:events';
import { CreateQueueCommand, GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import { QueueConsumer, type MessageHandler, type QueueMessage } from '../../container/worker/queue-consumer';
import type { Log } from '../../container/worker/log';

const { createSqsServer } = require('local-aws-sqs') as { createSqsServer: (options: Record<string, unknown>) => Promise<Server> };

let server: Server;
let sqs: SQSClient;
let queueCounter = 0;

const silentLog: Log = { info: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

beforeAll(async () => {
  server = await createSqsServer({ port: 0, hostname: '127.0.0.1', emulateQueueCreationLifecycle: false });
  const { port } = server.address() as AddressInfo;
  sqs = new SQSClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
});

afterAll(async () => {
  sqs.destroy();
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

async function createQueue(attributes: Record<string, string> = {}): Promise<{ url: string; arn: string }> {
  queueCounter += 1;
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: `consumer-test-${queueCounter}`, Attributes: attributes }));
  const { Attributes } = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
  return { url: QueueUrl!, arn: Attributes!.QueueArn! };
}

/**
 * Messages on the queue: `visible` is ApproximateNumberOfMessages, which local-aws-sqs
 * counts including in-flight ones (real SQS counts visible ones only), so tests look at
 * visibility through a second receiver and use `visible` only when nothing is in flight.
 */
async function counts(url: string): Promise<{ visible: number; inFlight: number }> {
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return { visible: Number(Attributes!.ApproximateNumberOfMessages), inFlight: Number(Attributes!.ApproximateNumberOfMessagesNotVisible) };
}

function consumer(url: string, handler: MessageHandler, extra: Partial<ConstructorParameters<typeof QueueConsumer>[0]> = {}) {
  const lines: string[] = [];
  const signals = new EventEmitter();
  const instance = new QueueConsumer({
    sqs,
    queueUrl: url,
    handler,
    visibilityTimeoutSeconds: 1,
    waitTimeSeconds: 1,
    deleteDelayMs: 20,
    metricDimension: 'test-stack-thumbnails',
    log: silentLog,
    sink: (line) => lines.push(line),
    signals: signals as never,
    ...extra,
  });
  return { instance, lines, signals };
}

/** Waits until `check` is true, polling; fails with `what` if it never is. */
async function until(what: string, check: () => boolean | Promise<boolean>, attempts = 100): Promise<void> {
  for (let i = 0; i < attempts; i += 1) {
    if (await check()) return;
    await sleep(100);
  }
  throw new Error(`never happened: ${what}`);
}

jest.setTimeout(20_000);

describe('queue consumer against local-aws-sqs', () => {
  it('hands back, unstarted, what a long poll under way at the stop brings: visible again at once, not after the lease', async () => {
    // Prepare: an idle consumer in its long poll on an empty queue, a 30 s lease.
    const queue = await createQueue({ VisibilityTimeout: '30' });
    const seen: QueueMessage[] = [];
    const { instance } = consumer(
      queue.url,
      async (message) => {
        seen.push(message);
      },
      { waitTimeSeconds: 2, visibilityTimeoutSeconds: 30 },
    );
    const running = instance.run();
    await sleep(300);

    // Act: the stop comes during the poll; a message arrives before the poll returns.
    instance.stop();
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'arrived during the stop' }));
    const result = await running;

    // Assess: the consumer did not work on it, and another receiver gets it now, not in 30 s.
    expect(seen).toEqual([]);
    expect(result).toEqual({ processed: 0, failed: 0, released: 0, handedBack: 1 });
    const next = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, WaitTimeSeconds: 1 }));
    expect(next.Messages?.map((m) => m.Body)).toEqual(['arrived during the stop']);
  });

  it('deletes a message its handler processed, and emits its duration as one EMF line', async () => {
    // Prepare
    const queue = await createQueue({ VisibilityTimeout: '1' });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: '{"n":1}' }));
    const seen: QueueMessage[] = [];
    const { instance, lines } = consumer(queue.url, async (message) => {
      seen.push(message);
    });

    // Act
    const running = instance.run();
    await until('the handler ran', () => seen.length === 1);
    instance.stop();
    const result = await running;

    // Assess
    expect(result).toEqual({ processed: 1, failed: 0, released: 0, handedBack: 0 });
    expect(seen[0]).toMatchObject({ body: '{"n":1}', receiveCount: 1 });
    expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 0 });
    const emf = JSON.parse(lines[0]!);
    expect(emf._aws.CloudWatchMetrics[0]).toMatchObject({ Namespace: 'EcsPipelines/QueueServices', Dimensions: [['QueueService']] });
    expect(emf).toMatchObject({ QueueService: 'test-stack-thumbnails', outcome: 'success', MessagesFailed: 0 });
    expect(typeof emf.ProcessingDuration).toBe('number');
  });

  it('extends the visibility of a message while it is worked on, past its visibility timeout', async () => {
    // Prepare: a 1 s lease, and a handler that holds the message until released.
    const queue = await createQueue({ VisibilityTimeout: '1' });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'slow' }));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started = false;
    const { instance } = consumer(queue.url, async () => {
      started = true;
      await held;
    });

    // Act: wait three leases while the handler works, then look at the queue with another receiver.
    const running = instance.run();
    await until('the handler started', () => started);
    await sleep(3000);
    const probe = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, WaitTimeSeconds: 0, MaxNumberOfMessages: 10 }));
    const during = await counts(queue.url);
    release();
    await until('the message was deleted', async () => (await counts(queue.url)).inFlight === 0);
    instance.stop();
    const result = await running;

    // Assess: never handed to another receiver, still leased, then deleted once done.
    expect(probe.Messages ?? []).toHaveLength(0);
    expect(during.inFlight).toBe(1);
    expect(result.processed).toBe(1);
    expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('leaves a failed message for retry: it is received again with a higher receive count', async () => {
    const queue = await createQueue({ VisibilityTimeout: '1' });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'flaky' }));
    const receiveCounts: number[] = [];
    const { instance, lines } = consumer(queue.url, async (message) => {
      receiveCounts.push(message.receiveCount);
      if (message.receiveCount === 1) throw new Error('transient failure');
    });

    const running = instance.run();
    await until('the retry succeeded', () => receiveCounts.length === 2);
    await until('the message was deleted', async () => (await counts(queue.url)).inFlight === 0);
    instance.stop();
    const result = await running;

    expect(receiveCounts).toEqual([1, 2]);
    expect(result).toMatchObject({ processed: 1, failed: 1 });
    expect(lines.map((line) => JSON.parse(line).outcome)).toEqual(['failure', 'success']);
    expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 0 });
  });

  it('sends a poison message to the dead-letter queue after maxReceiveCount receives', async () => {
    // Prepare: local-aws-sqs implements RedrivePolicy (moves the message on the receive after the limit).
    const dlq = await createQueue();
    const queue = await createQueue({
      VisibilityTimeout: '1',
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: 2 }),
    });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'poison' }));
    let attempts = 0;
    const { instance } = consumer(queue.url, async () => {
      attempts += 1;
      throw new Error('cannot parse this message');
    });

    // Act
    const running = instance.run();
    await until('the message reached the DLQ', async () => (await counts(dlq.url)).visible === 1, 100);
    instance.stop();
    await running;

    // Assess
    expect(attempts).toBe(2);
    expect(await counts(queue.url)).toEqual({ visible: 0, inFlight: 0 });
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq.url, WaitTimeSeconds: 0 }));
    expect(dead.Messages?.[0]?.Body).toBe('poison');
  });

  it('batches deletes: ten processed messages go out in DeleteMessageBatch calls, not one by one', async () => {
    const queue = await createQueue({ VisibilityTimeout: '5' });
    for (let i = 0; i < 10; i += 1) await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: `m${i}` }));
    const sent: string[] = [];
    const spy = jest.spyOn(sqs, 'send').mockImplementation(((command: { constructor: { name: string } }, ...rest: unknown[]) => {
      sent.push(command.constructor.name);
      return (SQSClient.prototype.send as (...args: unknown[]) => unknown).call(sqs, command, ...rest);
    }) as never);
    let done = 0;
    const { instance } = consumer(
      queue.url,
      async () => {
        done += 1;
      },
      { concurrency: 10, deleteDelayMs: 500 },
    );

    const running = instance.run();
    await until('all ten were processed', () => done === 10);
    await until('all ten were deleted', async () => (await counts(queue.url)).inFlight === 0 && (await counts(queue.url)).visible === 0);
    instance.stop();
    await running;
    spy.mockRestore();

    expect(sent.filter((name) => name === 'DeleteMessageCommand')).toHaveLength(0);
    const batches = sent.filter((name) => name === 'DeleteMessageBatchCommand').length;
    expect(batches).toBeGreaterThanOrEqual(1);
    expect(batches).toBeLessThan(10);
  });
});

describe('SIGTERM drain', () => {
  it('stops receiving, finishes the message in flight, deletes it and returns', async () => {
    // Prepare: two messages, one worker; SIGTERM arrives while the first is worked on.
    const queue = await createQueue({ VisibilityTimeout: '2' });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'first' }));
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'second' }));
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const bodies: string[] = [];
    const { instance, signals } = consumer(queue.url, async (message) => {
      bodies.push(message.body);
      await held;
    });

    // Act
    const running = instance.run();
    await until('the first message is in flight', () => bodies.length === 1);
    signals.emit('SIGTERM');
    release();
    const result = await running;

    // Assess: the in-flight one finished and was deleted; the other was never taken.
    expect(result).toEqual({ processed: 1, failed: 0, released: 0, handedBack: 0 });
    expect(bodies).toHaveLength(1);
    await until('the other message is visible', async () => (await counts(queue.url)).visible === 1);
    expect(await counts(queue.url)).toEqual({ visible: 1, inFlight: 0 });
  });

  it('at the deadline aborts unfinished work and makes its message visible again at once', async () => {
    const queue = await createQueue({ VisibilityTimeout: '30' });
    await sqs.send(new SendMessageCommand({ QueueUrl: queue.url, MessageBody: 'stuck' }));
    let started = false;
    let aborted = false;
    const { instance, signals } = consumer(
      queue.url,
      (_message, { signal }) =>
        new Promise<void>((_resolve, reject) => {
          started = true;
          signal.addEventListener('abort', () => {
            aborted = true;
            reject(new Error('aborted'));
          });
        }),
      { visibilityTimeoutSeconds: 30, drainDeadlineMs: 300 },
    );

    const running = instance.run();
    await until('the handler started', () => started);
    signals.emit('SIGTERM');
    const result = await running;

    // Released with visibility 0: receivable now, not after the 30 s lease.
    expect(result.released).toBe(1);
    expect(aborted).toBe(true);
    const again = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queue.url, WaitTimeSeconds: 0 }));
    expect(again.Messages?.[0]?.Body).toBe('stuck');
  });
});
