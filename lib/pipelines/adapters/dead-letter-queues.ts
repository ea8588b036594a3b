/** The operating commands' AWS adapters: an SQS dead-letter queue and a Kinesis shard reader. */
import { GetRecordsCommand, GetShardIteratorCommand, type KinesisClient } from '@aws-sdk/client-kinesis';
import { ChangeMessageVisibilityCommand, DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';

export interface DlqMessage {
  messageId: string;
  receiptHandle: string;
  body: string;
  /** The message's string attributes (EventBridge's RULE_ARN, ERROR_CODE, ... on an undelivered event). */
  attributes?: Record<string, string>;
}

export interface DeadLetterQueue {
  /** Up to `max` messages, hidden from other readers for the redrive's duration. */
  receive(max: number): Promise<DlqMessage[]>;
  delete(message: DlqMessage): Promise<void>;
  /** Makes a message visible again at once (not redriven). */
  release(message: DlqMessage): Promise<void>;
}

/** Kinesis records as the fan-in sees them. */
export interface StreamRecord {
  sequenceNumber: string;
  partitionKey: string;
  /** base64, as in a Lambda Kinesis event. */
  data: string;
}

export interface StreamReader {
  /** The records of one shard from `start` through `end` (sequence numbers, inclusive). */
  read(shardId: string, start: string, end: string): Promise<StreamRecord[]>;
}

/** Seconds a received message stays hidden while it is redriven. */
const REDRIVE_VISIBILITY_SECONDS = 120;

export function sqsDeadLetterQueue(client: SQSClient, queueUrl: string): DeadLetterQueue {
  return {
    async receive(max) {
      const result = await client.send(
        new ReceiveMessageCommand({
          QueueUrl: queueUrl,
          MaxNumberOfMessages: Math.min(10, max),
          WaitTimeSeconds: 1,
          VisibilityTimeout: REDRIVE_VISIBILITY_SECONDS,
          MessageAttributeNames: ['All'],
        }),
      );
      return (result.Messages ?? []).map((m) => {
        const attributes = Object.fromEntries(
          Object.entries(m.MessageAttributes ?? {}).flatMap(([name, value]) =>
            value.StringValue !== undefined ? [[name, value.StringValue] as const] : [],
          ),
        );
        return {
          messageId: m.MessageId ?? '',
          receiptHandle: m.ReceiptHandle ?? '',
          body: m.Body ?? '',
          ...(Object.keys(attributes).length ? { attributes } : {}),
        };
      });
    },
    async delete(message) {
      await client.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: message.receiptHandle }));
    },
    async release(message) {
      await client.send(
        new ChangeMessageVisibilityCommand({ QueueUrl: queueUrl, ReceiptHandle: message.receiptHandle, VisibilityTimeout: 0 }),
      );
    },
  };
}

const seqLessOrEqual = (a: string, b: string): boolean => BigInt(a) <= BigInt(b);

export function kinesisStreamReader(client: KinesisClient, streamName: string, maxCalls = 50): StreamReader {
  return {
    async read(shardId, start, end) {
      let iterator: string | undefined;
      try {
        iterator = (
          await client.send(
            new GetShardIteratorCommand({
              StreamName: streamName,
              ShardId: shardId,
              ShardIteratorType: 'AT_SEQUENCE_NUMBER',
              StartingSequenceNumber: start,
            }),
          )
        ).ShardIterator;
      } catch (error) {
        // Trimmed past retention, or the shard is gone: nothing to re-read.
        if (['ResourceNotFoundException', 'InvalidArgumentException'].includes((error as Error).name)) return [];
        throw error;
      }
      const records: StreamRecord[] = [];
      for (let call = 0; iterator && call < maxCalls; call += 1) {
        const page = await client.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 1000 }));
        for (const r of page.Records ?? []) {
          if (!r.SequenceNumber || !seqLessOrEqual(r.SequenceNumber, end)) return records;
          records.push({
            sequenceNumber: r.SequenceNumber,
            partitionKey: r.PartitionKey ?? '',
            data: Buffer.from(r.Data ?? new Uint8Array()).toString('base64'),
          });
        }
        if (!page.Records?.length && page.MillisBehindLatest === 0) break;
        iterator = page.NextShardIterator;
      }
      return records;
    },
  };
}
