/**
 * An SQS event source mapping, as Lambda runs it: poll the queue, hand the function up to
 * BatchSize messages (gathered for up to MaximumBatchingWindowInSeconds), delete what it
 * handled. What failed is not deleted: it comes back after the queue's visibility timeout,
 * and the queue's own RedrivePolicy moves it to the dead-letter queue after maxReceiveCount
 * receives (the emulator does that, as SQS does). With ReportBatchItemFailures only the
 * reported messages fail; a thrown error, or a response Lambda cannot read, fails them all.
 * FilterCriteria drop (and delete) the messages no pattern matches, as Lambda does.
 *
 * One batch at a time per mapping: the local function runs one invocation at a time anyway
 * (ScalingConfig.MaximumConcurrency is not emulated). Short polls only: the local SQS can
 * hand out a message twice within one long poll.
 */
import {
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type MessageAttributeValue,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import * as z from 'zod';
import { matchesPattern } from '../../../lib/shared/event-pattern';

export interface SqsMappingConfig {
  queueUrl: string;
  queueArn: string;
  /** 1..10000; more than 10 is gathered over several receives. */
  batchSize: number;
  batchWindowMs: number;
  reportBatchItemFailures: boolean;
  /** FilterCriteria patterns (parsed); a message is handed over when any matches. */
  filters: Array<Record<string, unknown>>;
  region: string;
}

export interface SqsMappingTiming {
  /** How often an idle queue is polled (Lambda long-polls; locally short polls this often). */
  pollIntervalMs: number;
}

export interface SqsBatchOutcome {
  queueArn: string;
  /** Messages handed to the function. */
  records: number;
  /** Messages left on the queue to come back after the visibility timeout. */
  failed: number;
  /** Messages no filter matched (deleted without an invocation). */
  filtered: number;
  outcome: 'ok' | 'partial' | 'error' | 'poll-error';
  error?: string;
}

/** What the mapping invokes: a local function (or a test double). */
export interface MappedFunction {
  invoke(event: unknown): Promise<unknown>;
}

/** The Lambda SQS record of a received message. */
export interface SqsRecord {
  messageId: string;
  receiptHandle: string;
  body: string;
  attributes: Record<string, string>;
  messageAttributes: Record<
    string,
    { stringValue?: string; binaryValue?: string; stringListValues: string[]; binaryListValues: string[]; dataType: string }
  >;
  md5OfBody: string;
  md5OfMessageAttributes?: string;
  eventSource: 'aws:sqs';
  eventSourceARN: string;
  awsRegion: string;
}

const ReportedFailuresSchema = z.looseObject({
  batchItemFailures: z.array(z.looseObject({ itemIdentifier: z.unknown() })).nullish(),
});

const messageAttribute = (value: MessageAttributeValue): SqsRecord['messageAttributes'][string] => ({
  ...(value.StringValue !== undefined ? { stringValue: value.StringValue } : {}),
  ...(value.BinaryValue !== undefined ? { binaryValue: Buffer.from(value.BinaryValue).toString('base64') } : {}),
  stringListValues: value.StringListValues ?? [],
  binaryListValues: (value.BinaryListValues ?? []).map((b) => Buffer.from(b).toString('base64')),
  dataType: value.DataType ?? 'String',
});

export function toSqsRecord(message: Message, config: Pick<SqsMappingConfig, 'queueArn' | 'region'>): SqsRecord {
  return {
    messageId: message.MessageId!,
    receiptHandle: message.ReceiptHandle!,
    body: message.Body ?? '',
    attributes: { ...(message.Attributes ?? {}) },
    messageAttributes: Object.fromEntries(
      Object.entries(message.MessageAttributes ?? {}).map(([name, value]) => [name, messageAttribute(value)]),
    ),
    md5OfBody: message.MD5OfBody ?? '',
    ...(message.MD5OfMessageAttributes ? { md5OfMessageAttributes: message.MD5OfMessageAttributes } : {}),
    eventSource: 'aws:sqs',
    eventSourceARN: config.queueArn,
    awsRegion: config.region,
  };
}

/**
 * Which messages of the batch failed, read from the function's response the way Lambda
 * reads it: no or empty batchItemFailures is success; an identifier that is missing, empty,
 * or not a message of the batch fails the whole batch.
 */
export function failedMessageIds(
  records: readonly SqsRecord[],
  response: unknown,
  reportBatchItemFailures: boolean,
): { failed: Set<string>; why?: string } {
  if (!reportBatchItemFailures || response === null || response === undefined) return { failed: new Set() };
  const everything = { failed: new Set(records.map((r) => r.messageId)) };
  const parsed = ReportedFailuresSchema.safeParse(response);
  if (!parsed.success) return { ...everything, why: 'the response is not a batch item failure report' };
  const ids = new Set(records.map((r) => r.messageId));
  const failed = new Set<string>();
  for (const item of parsed.data.batchItemFailures ?? []) {
    if (typeof item.itemIdentifier !== 'string' || !ids.has(item.itemIdentifier)) {
      return { ...everything, why: `itemIdentifier ${JSON.stringify(item.itemIdentifier)} is not a message id of the batch` };
    }
    failed.add(item.itemIdentifier);
  }
  return { failed };
}

/** The shape Lambda filters on: the record, with a JSON body parsed (a plain-text body matches only plain-text patterns). */
function filterable(record: SqsRecord): Record<string, unknown> {
  try {
    return { ...record, body: JSON.parse(record.body) as unknown };
  } catch {
    return { ...record };
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class SqsMapping {
  private running = false;
  private delivering = false;
  private loop: Promise<void> | undefined;
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly fn: MappedFunction,
    readonly config: SqsMappingConfig,
    private readonly sqs: SQSClient,
    private readonly timing: SqsMappingTiming,
    private readonly onBatch: (outcome: SqsBatchOutcome) => void = () => undefined,
  ) {}

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.poll();
  }

  /** A batch is with the function right now (its messages are in flight, not on the queue). */
  get busy(): boolean {
    return this.delivering;
  }

  /** Polls now instead of at the next interval (a producer just wrote). */
  nudge(): void {
    for (const wake of [...this.waiters]) wake();
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.waiters.add(done);
    });
  }

  private async receive(max: number): Promise<Message[]> {
    const out = await this.sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: this.config.queueUrl,
        MaxNumberOfMessages: Math.min(10, max),
        WaitTimeSeconds: 0,
        AttributeNames: ['All'],
        MessageSystemAttributeNames: ['All'],
        MessageAttributeNames: ['All'],
      }),
    );
    return out.Messages ?? [];
  }

  /** Up to BatchSize messages: what one receive returns, or more within the batching window. */
  private async gather(): Promise<Message[]> {
    const batch = await this.receive(this.config.batchSize);
    if (batch.length === 0 || this.config.batchWindowMs <= 0) return batch;
    const windowEnd = Date.now() + this.config.batchWindowMs;
    while (this.running && batch.length < this.config.batchSize && Date.now() < windowEnd) {
      const more = await this.receive(this.config.batchSize - batch.length);
      batch.push(...more);
      if (more.length === 0) await this.idle(Math.min(this.timing.pollIntervalMs, Math.max(0, windowEnd - Date.now())));
    }
    return batch;
  }

  private async poll(): Promise<void> {
    while (this.running) {
      let messages: Message[];
      try {
        messages = await this.gather();
      } catch (error) {
        if (!this.running) return;
        // Reported, then retried: a poller that stops silently would strand the queue.
        this.onBatch({
          queueArn: this.config.queueArn,
          records: 0,
          failed: 0,
          filtered: 0,
          outcome: 'poll-error',
          error: error instanceof Error ? error.message : String(error),
        });
        await this.idle(this.timing.pollIntervalMs);
        continue;
      }
      if (messages.length === 0) {
        await this.idle(this.timing.pollIntervalMs);
        continue;
      }
      this.delivering = true;
      try {
        await this.deliver(messages.map((m) => toSqsRecord(m, this.config)));
      } finally {
        this.delivering = false;
      }
    }
  }

  private async deliver(all: SqsRecord[]): Promise<void> {
    const { filters } = this.config;
    const records = filters.length ? all.filter((r) => filters.some((pattern) => matchesPattern(pattern, filterable(r)))) : all;
    const filteredOut = all.filter((r) => !records.includes(r));
    let failed = new Set<string>();
    let outcome: SqsBatchOutcome['outcome'] = 'ok';
    let error: string | undefined;
    if (records.length) {
      try {
        const response = await this.fn.invoke({ Records: records });
        const report = failedMessageIds(records, response, this.config.reportBatchItemFailures);
        failed = report.failed;
        if (failed.size === records.length) outcome = 'error';
        else if (failed.size) outcome = 'partial';
        error = report.why ?? (failed.size ? `${failed.size} message(s) reported as failed` : undefined);
      } catch (thrown) {
        failed = new Set(records.map((r) => r.messageId));
        outcome = 'error';
        error = thrown instanceof Error ? `${thrown.name}: ${thrown.message}` : String(thrown);
      }
    }
    const done = [...filteredOut, ...records.filter((r) => !failed.has(r.messageId))];
    try {
      for (let i = 0; i < done.length; i += 10) {
        const chunk = done.slice(i, i + 10);
        await this.sqs.send(
          new DeleteMessageBatchCommand({
            QueueUrl: this.config.queueUrl,
            Entries: chunk.map((r, n) => ({ Id: `m${n}`, ReceiptHandle: r.receiptHandle })),
          }),
        );
      }
    } catch (deleteError) {
      // Undeleted messages come back after the visibility timeout: delivered again, as on AWS.
      if (!this.running) return;
      error = `${error ? `${error}; ` : ''}delete failed: ${deleteError instanceof Error ? deleteError.message : String(deleteError)}`;
      await sleep(this.timing.pollIntervalMs);
    }
    this.onBatch({
      queueArn: this.config.queueArn,
      records: records.length,
      failed: failed.size,
      filtered: filteredOut.length,
      outcome,
      ...(error ? { error } : {}),
    });
  }

  async stop(): Promise<void> {
    this.running = false;
    this.nudge();
    await this.loop;
  }
}
