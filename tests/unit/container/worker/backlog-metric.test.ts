/**
 * The worker's high-resolution backlog metric: one EMF line per period with StorageResolution 1,
 * read from the queue, and a failed read that only skips a datapoint.
 */
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { backlogEmf, startBacklogMetric } from '../../../../container/worker/backlog-metric';
import type { Log } from '../../../../container/worker/log';

const sqs = mockClient(SQSClient);
const log = (): Log & { errors: string[] } => {
  const errors: string[] = [];
  return { errors, info: () => undefined, warn: () => undefined, error: (message: string) => void errors.push(message) } as never;
};

beforeEach(() => {
  sqs.reset();
  jest.useFakeTimers();
});
afterEach(() => jest.useRealTimers());

describe('backlog metric', () => {
  it('is an EMF document with its three metrics at one-second storage resolution, by queue service', () => {
    const doc = JSON.parse(backlogEmf('EcsPipelines/QueueServices', 'stack-thumbnails', { visible: 42, inFlight: 3 }, 1_000));
    expect(doc._aws.CloudWatchMetrics[0]).toEqual({
      Namespace: 'EcsPipelines/QueueServices',
      Dimensions: [['QueueService']],
      Metrics: [
        { Name: 'VisibleMessages', Unit: 'Count', StorageResolution: 1 },
        { Name: 'WorkerAlive', Unit: 'Count', StorageResolution: 1 },
        { Name: 'InFlightMessages', Unit: 'Count', StorageResolution: 1 },
      ],
    });
    expect(doc).toMatchObject({ QueueService: 'stack-thumbnails', VisibleMessages: 42, WorkerAlive: 1, InFlightMessages: 3 });
    expect(doc._aws.Timestamp).toBe(1_000);
  });

  it('writes the queue visible and in-flight messages, read in one call, at once and every period until stopped', async () => {
    sqs
      .on(GetQueueAttributesCommand)
      .resolves({ Attributes: { ApproximateNumberOfMessages: '7', ApproximateNumberOfMessagesNotVisible: '4' } });
    const lines: string[] = [];
    const stop = startBacklogMetric({
      sqs: new SQSClient({}),
      queueUrl: 'https://sqs.example/q',
      periodSeconds: 10,
      metricDimension: 'stack-thumbnails',
      sink: (line) => lines.push(line),
      log: log(),
      now: () => 5,
    });
    await jest.advanceTimersByTimeAsync(25_000);
    stop();
    await jest.advanceTimersByTimeAsync(30_000);

    expect(lines).toHaveLength(3);
    expect(JSON.parse(lines[0]!)).toMatchObject({ VisibleMessages: 7, WorkerAlive: 1, InFlightMessages: 4 });
    // One GetQueueAttributes per line, asking for both counts (they describe the same moment).
    const calls = sqs.commandCalls(GetQueueAttributesCommand);
    expect(calls).toHaveLength(3);
    expect(calls[0]!.args[0].input).toEqual({
      QueueUrl: 'https://sqs.example/q',
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    });
  });

  it('writes 0 in flight when the queue reports no in-flight count', async () => {
    sqs.on(GetQueueAttributesCommand).resolves({ Attributes: { ApproximateNumberOfMessages: '2' } });
    const lines: string[] = [];
    const stop = startBacklogMetric({
      sqs: new SQSClient({}),
      queueUrl: 'q',
      periodSeconds: 10,
      metricDimension: 'd',
      sink: (line) => lines.push(line),
      log: log(),
    });
    await jest.advanceTimersByTimeAsync(1);
    stop();
    expect(JSON.parse(lines[0]!)).toMatchObject({ VisibleMessages: 2, InFlightMessages: 0 });
  });

  it('logs a failed read and keeps going (a missing datapoint is not a burst)', async () => {
    sqs
      .on(GetQueueAttributesCommand)
      .rejectsOnce(new Error('throttled'))
      .resolves({ Attributes: { ApproximateNumberOfMessages: '1' } });
    const lines: string[] = [];
    const logged = log();
    const stop = startBacklogMetric({
      sqs: new SQSClient({}),
      queueUrl: 'q',
      periodSeconds: 10,
      metricDimension: 'd',
      sink: (line) => lines.push(line),
      log: logged,
    });
    await jest.advanceTimersByTimeAsync(10_000);
    stop();
    expect(logged.errors).toEqual(['backlog metric: reading the queue failed']);
    expect(lines).toHaveLength(1);
  });

  it('refuses a period no high-resolution alarm has', () => {
    expect(() =>
      startBacklogMetric({
        sqs: new SQSClient({}),
        queueUrl: 'q',
        periodSeconds: 15,
        metricDimension: 'd',
        sink: () => undefined,
        log: log(),
      }),
    ).toThrow('backlog metric period must be 10, 20 or 30 seconds (a high-resolution alarm period), got 15');
  });
});
