/**
 * Drives an SQS-triggered handler from a local queue the way Lambda's event source mapping
 * does: receive up to 10, invoke with an SQSEvent, delete what succeeded, leave the
 * `batchItemFailures` (or everything, if the handler threw) to come back after the
 * visibility timeout, where the queue's redrive policy moves them to the DLQ.
 * Short polls only: the local SQS can hand out a message twice within one long poll.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type Message, type SQSClient } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent, SQSRecord } from 'aws-lambda';

export type SqsHandler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse | void | unknown>;

export interface PumpTarget {
  queueUrl: string;
  queueArn: string;
  handler: SqsHandler;
  functionName: string;
}

export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:123456789012:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: `local-${Math.random().toString(16).slice(2)}`,
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'local',
    getRemainingTimeInMillis: () => 60_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

function toRecord(message: Message, queueArn: string): SQSRecord {
  const attributes = message.Attributes ?? {};
  return {
    messageId: message.MessageId as string,
    receiptHandle: message.ReceiptHandle as string,
    body: message.Body ?? '',
    attributes: {
      ApproximateReceiveCount: attributes.ApproximateReceiveCount ?? '1',
      SentTimestamp: attributes.SentTimestamp ?? String(Date.now()),
      SenderId: attributes.SenderId ?? 'local',
      ApproximateFirstReceiveTimestamp: attributes.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: message.MD5OfBody ?? '',
    eventSource: 'aws:sqs',
    eventSourceARN: queueArn,
    awsRegion: 'us-east-1',
  };
}

export interface PumpResult {
  received: number;
  failed: string[];
}

/** One receive → invoke → delete round. */
export async function pumpOnce(sqs: SQSClient, target: PumpTarget): Promise<PumpResult> {
  const out = await sqs.send(new ReceiveMessageCommand({ QueueUrl: target.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, AttributeNames: ['All'] }));
  const messages = out.Messages ?? [];
  if (!messages.length) return { received: 0, failed: [] };
  const records = messages.map((m) => toRecord(m, target.queueArn));
  let failed: string[];
  try {
    const response = (await target.handler({ Records: records }, lambdaContext(target.functionName))) as SQSBatchResponse | undefined;
    failed = (response?.batchItemFailures ?? []).map((f) => f.itemIdentifier);
  } catch {
    // A thrown handler fails the whole batch, as with Lambda.
    failed = records.map((r) => r.messageId);
  }
  const done = records.filter((r) => !failed.includes(r.messageId));
  if (done.length) {
    await sqs.send(new DeleteMessageBatchCommand({ QueueUrl: target.queueUrl, Entries: done.map((r, i) => ({ Id: `d${i}`, ReceiptHandle: r.receiptHandle })) }));
  }
  return { received: records.length, failed };
}

/**
 * Pumps every target until all are idle for `idleRounds` polls in a row, or `maxMs` passes.
 * Bounded by design: failed messages are re-polled only until they reach their DLQ.
 */
export async function pumpUntilIdle(sqs: SQSClient, targets: readonly PumpTarget[], options: { pollMs?: number; idleRounds?: number; maxMs?: number } = {}): Promise<void> {
  const pollMs = options.pollMs ?? 100;
  const idleRounds = options.idleRounds ?? 5;
  const deadline = Date.now() + (options.maxMs ?? 60_000);
  let idle = 0;
  while (idle < idleRounds && Date.now() < deadline) {
    const results = await Promise.all(targets.map((t) => pumpOnce(sqs, t)));
    idle = results.every((r) => r.received === 0) ? idle + 1 : 0;
    if (idle > 0) await new Promise((resolve) => setTimeout(resolve, pollMs));
  }
}
