/**
 * A Kinesis event source mapping, as Lambda runs it: one poller per shard reads GetRecords,
 * fills a batch up to BatchSize or MaximumBatchingWindowInSeconds, invokes the function and
 * checkpoints. On error: BisectBatchOnFunctionError splits the batch; ReportBatchItemFailures
 * resumes from the lowest failed sequence number; MaximumRetryAttempts and
 * MaximumRecordAgeInSeconds bound the retries, after which the batch's description goes to
 * the on-failure destination (SQS) and the shard moves on. Records of one shard stay in order
 * (ParallelizationFactor is not emulated: one batch per shard at a time keeps ordering per key).
 */
import {
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListShardsCommand,
  type GetRecordsCommandOutput,
  type KinesisClient,
  type _Record,
} from '@aws-sdk/client-kinesis';
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import type { LocalFunction } from './functions';

export interface KinesisMappingConfig {
  streamName: string;
  streamArn: string;
  batchSize: number;
  batchWindowMs: number;
  startingPosition: 'TRIM_HORIZON' | 'LATEST';
  bisectOnError: boolean;
  reportBatchItemFailures: boolean;
  /** -1: retry until the record expires (the AWS default, which blocks the shard). */
  maximumRetryAttempts: number;
  /** -1: no limit. */
  maximumRecordAgeSeconds: number;
  onFailureQueueUrl?: string;
  region: string;
}

export interface KinesisMappingTiming {
  /** How often an idle shard is polled (AWS: about once a second; locally faster). */
  pollIntervalMs: number;
  /** Backoff before retrying a failed batch (doubles per attempt). */
  retryDelayMs: number;
}

export interface KinesisBatchOutcome {
  shardId: string;
  records: number;
  outcome: 'ok' | 'partial' | 'error' | 'discarded' | 'poll-error';
  error?: string;
}

const BatchResponseSchema = z.object({ batchItemFailures: z.array(z.object({ itemIdentifier: z.string().nullish() }).loose()) }).loose();

function toLambdaRecord(record: _Record, shardId: string, config: KinesisMappingConfig) {
  return {
    kinesis: {
      kinesisSchemaVersion: '1.0',
      partitionKey: record.PartitionKey!,
      sequenceNumber: record.SequenceNumber!,
      data: Buffer.from(record.Data ?? new Uint8Array()).toString('base64'),
      approximateArrivalTimestamp: (record.ApproximateArrivalTimestamp?.getTime() ?? Date.now()) / 1000,
    },
    eventSource: 'aws:kinesis',
    eventVersion: '1.0',
    eventID: `${shardId}:${record.SequenceNumber}`,
    eventName: 'aws:kinesis:record',
    invokeIdentityArn: 'arn:aws:iam::000000000000:role/local',
    awsRegion: config.region,
    eventSourceARN: config.streamArn,
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class KinesisMapping {
  private running = true;
  private readonly loops: Promise<void>[] = [];
  private readonly waiters = new Set<() => void>();

  constructor(
    private readonly fn: LocalFunction,
    private readonly config: KinesisMappingConfig,
    private readonly clients: { kinesis: KinesisClient; sqs: SQSClient },
    private readonly timing: KinesisMappingTiming,
    private readonly onBatch: (outcome: KinesisBatchOutcome) => void = () => undefined,
  ) {}

  async start(): Promise<void> {
    const shards = await this.clients.kinesis.send(new ListShardsCommand({ StreamName: this.config.streamName }));
    for (const shard of shards.Shards ?? []) {
      const iterator = await this.clients.kinesis.send(
        new GetShardIteratorCommand({
          StreamName: this.config.streamName,
          ShardId: shard.ShardId!,
          ShardIteratorType: this.config.startingPosition,
        }),
      );
      this.loops.push(this.pollShard(shard.ShardId!, iterator.ShardIterator!));
    }
  }

  /** Polls every shard now instead of at the next interval (a producer just wrote). */
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

  private async pollShard(shardId: string, firstIterator: string): Promise<void> {
    let iterator: string | undefined = firstIterator;
    let buffer: _Record[] = [];
    let windowStart = 0;
    while (this.running && iterator) {
      let got: _Record[] = [];
      try {
        const out: GetRecordsCommandOutput = await this.clients.kinesis.send(
          new GetRecordsCommand({ ShardIterator: iterator, Limit: this.config.batchSize - buffer.length || 1 }),
        );
        iterator = out.NextShardIterator;
        got = out.Records ?? [];
      } catch (error) {
        if (!this.running) return;
        // Reported, then retried: a poller that stops silently would strand the shard.
        this.onBatch({ shardId, records: 0, outcome: 'poll-error', error: error instanceof Error ? error.message : String(error) });
        await sleep(this.timing.pollIntervalMs);
        continue;
      }
      if (got.length && buffer.length === 0) windowStart = Date.now();
      buffer.push(...got);
      const full = buffer.length >= this.config.batchSize;
      const windowOver = buffer.length > 0 && Date.now() - windowStart >= this.config.batchWindowMs;
      if (full || windowOver) {
        await this.deliver(shardId, buffer);
        buffer = [];
        continue;
      }
      if (got.length === 0) {
        const untilWindow = buffer.length ? Math.max(0, this.config.batchWindowMs - (Date.now() - windowStart)) : Infinity;
        await this.idle(Math.min(this.timing.pollIntervalMs, untilWindow));
      }
    }
  }

  /** Invokes with the batch until it succeeds, is bisected away, or runs out of retries. */
  private async deliver(shardId: string, records: _Record[], attemptsSoFar = 0): Promise<void> {
    let batch = records;
    let attempts = attemptsSoFar;
    while (batch.length && this.running) {
      const failure = await this.invoke(shardId, batch);
      if (failure === undefined) {
        this.onBatch({ shardId, records: batch.length, outcome: 'ok' });
        return;
      }
      const oldest = batch[0]!.ApproximateArrivalTimestamp?.getTime() ?? Date.now();
      const expired = this.config.maximumRecordAgeSeconds >= 0 && Date.now() - oldest > this.config.maximumRecordAgeSeconds * 1000;
      if (failure.kind === 'error' && this.config.bisectOnError && batch.length > 1 && !expired) {
        // Lambda splits the failing batch and retries each half; the retry budget carries over.
        this.onBatch({ shardId, records: batch.length, outcome: 'error', error: `${failure.message} (bisecting)` });
        const half = Math.ceil(batch.length / 2);
        await this.deliver(shardId, batch.slice(0, half), attempts + 1);
        await this.deliver(shardId, batch.slice(half), attempts + 1);
        return;
      }
      if (failure.kind === 'partial') {
        this.onBatch({ shardId, records: batch.length, outcome: 'partial', error: failure.message });
        batch = batch.slice(failure.from);
      } else {
        this.onBatch({ shardId, records: batch.length, outcome: 'error', error: failure.message });
      }
      attempts++;
      const outOfRetries = this.config.maximumRetryAttempts >= 0 && attempts > this.config.maximumRetryAttempts;
      if (outOfRetries || expired) {
        await this.discard(shardId, batch, attempts, failure.message, expired ? 'RecordAgeExceeded' : 'RetryAttemptsExhausted');
        return;
      }
      await sleep(this.timing.retryDelayMs * 2 ** Math.min(attempts - 1, 6));
    }
  }

  /** undefined on success; otherwise what failed and, for partial failures, where to resume. */
  private async invoke(
    shardId: string,
    batch: _Record[],
  ): Promise<{ kind: 'error'; message: string } | { kind: 'partial'; from: number; message: string } | undefined> {
    let result: unknown;
    try {
      result = await this.fn.invoke({ Records: batch.map((r) => toLambdaRecord(r, shardId, this.config)) });
    } catch (error) {
      return { kind: 'error', message: error instanceof Error ? `${error.name}: ${error.message}` : String(error) };
    }
    if (!this.config.reportBatchItemFailures || result === null || result === undefined) return undefined;
    const parsed = BatchResponseSchema.safeParse(result);
    if (!parsed.success || parsed.data.batchItemFailures.length === 0) return undefined;
    const failed = parsed.data.batchItemFailures.map((f) => batch.findIndex((r) => r.SequenceNumber === f.itemIdentifier));
    // An identifier that is missing or not in the batch fails the whole batch, as Lambda does.
    const from = failed.some((i) => i < 0) ? 0 : Math.min(...failed);
    return { kind: 'partial', from, message: `${parsed.data.batchItemFailures.length} record(s) reported as failed` };
  }

  private async discard(shardId: string, batch: _Record[], attempts: number, message: string, condition: string): Promise<void> {
    this.onBatch({ shardId, records: batch.length, outcome: 'discarded', error: message });
    if (!this.config.onFailureQueueUrl) return;
    const first = batch[0]!;
    const last = batch[batch.length - 1]!;
    // The shape Lambda sends to an on-failure destination for stream sources.
    const body = {
      requestContext: { requestId: randomUUID(), functionArn: this.fn.spec.arn, condition, approximateInvokeCount: attempts },
      responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
      version: '1.0',
      timestamp: new Date().toISOString(),
      KinesisBatchInfo: {
        shardId,
        startSequenceNumber: first.SequenceNumber,
        endSequenceNumber: last.SequenceNumber,
        approximateArrivalOfFirstRecord: first.ApproximateArrivalTimestamp?.toISOString(),
        approximateArrivalOfLastRecord: last.ApproximateArrivalTimestamp?.toISOString(),
        batchSize: batch.length,
        streamArn: this.config.streamArn,
      },
    };
    await this.clients.sqs.send(new SendMessageCommand({ QueueUrl: this.config.onFailureQueueUrl, MessageBody: JSON.stringify(body) }));
  }

  async stop(): Promise<void> {
    this.running = false;
    this.nudge();
    await Promise.all(this.loops);
  }
}
