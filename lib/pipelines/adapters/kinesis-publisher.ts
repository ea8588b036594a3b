/**
 * Puts FileArrival records on the Kinesis stream with PutRecords.
 *
 * Requests hold at most 500 records and 5 MiB (data plus partition keys), the PutRecords
 * limits. Chunks go out one after another, in input order, so records of one partition key
 * keep their order across chunks. A partial failure re-sends only the records whose result
 * carries an ErrorCode, with exponential backoff and full jitter, a bounded number of times.
 * A re-sent record lands after records of the same key that succeeded beside it: Kinesis
 * cannot keep that order, and the fan-in does not rely on it (arrivals are a set).
 * A refused call as a whole (throttling, a 5xx, a dropped connection) is retried the same
 * way, with the same budget: the SDK's own few quick retries are not enough for a stream
 * at its write limit. An error that will not heal by waiting (no such stream, access
 * denied, a bad request) stops at once.
 * What still fails stops the publish and throws KinesisPublishError, listing every record
 * not written (failed or never attempted) so the caller can fail exactly their messages.
 */
import { createHash } from 'node:crypto';
import { PutRecordsCommand, type KinesisClient, type PutRecordsRequestEntry, type PutRecordsResultEntry } from '@aws-sdk/client-kinesis';
import type { FileArrival } from '../../contracts/messages';

export const MAX_RECORDS_PER_REQUEST = 500;
export const MAX_BYTES_PER_REQUEST = 5 * 1024 * 1024;
export const MAX_BYTES_PER_RECORD = 1024 * 1024;
/** Kinesis accepts partition keys of at most 256 characters. */
export const MAX_PARTITION_KEY_LENGTH = 256;

export interface FailedRecord {
  /** Position in the array given to `publish`. */
  index: number;
  partitionKey: string;
  /** Kinesis' per-record ErrorCode, the SDK error's name, or `NotAttempted`. */
  errorCode: string;
  errorMessage?: string;
}

export class KinesisPublishError extends Error {
  override readonly name = 'KinesisPublishError';
  constructor(
    readonly streamName: string,
    readonly failed: FailedRecord[],
    readonly total: number,
    readonly attempts: number,
    options?: ErrorOptions,
  ) {
    const codes = new Map<string, number>();
    for (const record of failed) codes.set(record.errorCode, (codes.get(record.errorCode) ?? 0) + 1);
    const summary = [...codes].map(([code, count]) => `${code} x${count}`).join(', ');
    super(
      `${failed.length} of ${total} records were not written to Kinesis stream "${streamName}" after up to ${attempts} attempts (${summary})`,
      options,
    );
  }
}

/** A record too large for Kinesis: a bug in what we publish, never retried. */
export class RecordTooLargeError extends Error {
  override readonly name = 'RecordTooLargeError';
}

export interface ArrivalPublisher {
  publish(arrivals: readonly FileArrival[]): Promise<void>;
}

export interface KinesisPublisherOptions {
  streamName: string;
  /** Calls per chunk including the first (default 5). */
  maxAttempts?: number;
  baseDelayMs?: number;
  maxDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
  /** In [0, 1): the jitter source. */
  random?: () => number;
}

export interface PreparedEntry {
  index: number;
  partitionKey: string;
  data: Uint8Array;
}

/**
 * `pipeline#batchKey`, so one batch's files share a shard. A longer key keeps its readable
 * start and ends in a hash of the whole: still one key per batch, within Kinesis' limit.
 */
export function partitionKeyOf(arrival: Pick<FileArrival, 'pipeline' | 'batchKey'>): string {
  const key = `${arrival.pipeline}#${arrival.batchKey}`;
  if (key.length <= MAX_PARTITION_KEY_LENGTH) return key;
  const hash = createHash('sha256').update(key).digest('hex').slice(0, 32);
  return `${key.slice(0, MAX_PARTITION_KEY_LENGTH - hash.length - 1)}#${hash}`;
}

const entryBytes = (entry: PreparedEntry): number => entry.data.byteLength + Buffer.byteLength(entry.partitionKey, 'utf8');

/** Splits entries, in order, into requests within both PutRecords limits. */
export function chunkEntries<T extends PreparedEntry>(
  entries: readonly T[],
  limits = { maxRecords: MAX_RECORDS_PER_REQUEST, maxBytes: MAX_BYTES_PER_REQUEST },
): T[][] {
  const chunks: T[][] = [];
  let current: T[] = [];
  let bytes = 0;
  for (const entry of entries) {
    const size = entryBytes(entry);
    if (size > MAX_BYTES_PER_RECORD) {
      throw new RecordTooLargeError(
        `record ${entry.index} (partition key "${entry.partitionKey}") is ${size} bytes; Kinesis accepts at most ${MAX_BYTES_PER_RECORD}`,
      );
    }
    if (current.length > 0 && (current.length === limits.maxRecords || bytes + size > limits.maxBytes)) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(entry);
    bytes += size;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export function prepareEntries(arrivals: readonly FileArrival[]): PreparedEntry[] {
  return arrivals.map((arrival, index) => ({
    index,
    partitionKey: partitionKeyOf(arrival),
    data: Buffer.from(JSON.stringify(arrival), 'utf8'),
  }));
}

/** Whole-call errors worth waiting out: throttling, limits, server-side and network faults. */
const RETRYABLE_CALL_ERRORS = new Set([
  'ProvisionedThroughputExceededException',
  'LimitExceededException',
  'ThrottlingException',
  'KMSThrottlingException',
  'InternalFailure',
  'InternalFailureException',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
  'ECONNRESET',
  'ECONNREFUSED',
  'EPIPE',
  'ETIMEDOUT',
]);

export function isRetryableCallError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const status = (error as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  const code = (error as { code?: string }).code;
  return (
    RETRYABLE_CALL_ERRORS.has(error.name) ||
    (code !== undefined && RETRYABLE_CALL_ERRORS.has(code)) ||
    (status !== undefined && status >= 500)
  );
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export function createKinesisPublisher(client: KinesisClient, options: KinesisPublisherOptions): ArrivalPublisher {
  const { streamName } = options;
  const maxAttempts = options.maxAttempts ?? 5;
  const baseDelayMs = options.baseDelayMs ?? 100;
  const maxDelayMs = options.maxDelayMs ?? 2_000;
  const sleep = options.sleep ?? defaultSleep;
  const random = options.random ?? Math.random;

  /** Full jitter: a random wait up to the capped exponential step (AWS Architecture Blog). */
  const backoff = (retry: number): number => Math.floor(random() * Math.min(maxDelayMs, baseDelayMs * 2 ** (retry - 1)));

  const notAttempted = (chunks: PreparedEntry[][]): FailedRecord[] =>
    chunks.flat().map((entry) => ({ index: entry.index, partitionKey: entry.partitionKey, errorCode: 'NotAttempted' }));

  return {
    async publish(arrivals) {
      if (arrivals.length === 0) return;
      const chunks = chunkEntries(prepareEntries(arrivals));
      for (const [chunkIndex, chunk] of chunks.entries()) {
        let pending: PreparedEntry[] = chunk;
        let failures: FailedRecord[] = [];
        for (let attempt = 1; attempt <= maxAttempts && pending.length > 0; attempt += 1) {
          if (attempt > 1) await sleep(backoff(attempt - 1));
          let results: PutRecordsResultEntry[];
          try {
            const response = await client.send(
              new PutRecordsCommand({
                StreamName: streamName,
                Records: pending.map((entry): PutRecordsRequestEntry => ({ PartitionKey: entry.partitionKey, Data: entry.data })),
              }),
            );
            results = response.Records ?? [];
          } catch (error) {
            const code = error instanceof Error ? error.name : 'UnknownError';
            const failed = pending.map((entry) => ({ index: entry.index, partitionKey: entry.partitionKey, errorCode: code }));
            if (isRetryableCallError(error) && attempt < maxAttempts) {
              failures = failed;
              continue;
            }
            throw new KinesisPublishError(
              streamName,
              [...failed, ...notAttempted(chunks.slice(chunkIndex + 1))],
              arrivals.length,
              attempt,
              {
                cause: error,
              },
            );
          }
          // Results are positional: result i belongs to request entry i.
          failures = [];
          const retry: PreparedEntry[] = [];
          pending.forEach((entry, i) => {
            const result = results[i];
            if (result && !result.ErrorCode && result.SequenceNumber) return;
            retry.push(entry);
            failures.push({
              index: entry.index,
              partitionKey: entry.partitionKey,
              errorCode: result?.ErrorCode ?? 'MissingResult',
              ...(result?.ErrorMessage ? { errorMessage: result.ErrorMessage } : {}),
            });
          });
          pending = retry;
        }
        if (pending.length > 0) {
          throw new KinesisPublishError(
            streamName,
            [...failures, ...notAttempted(chunks.slice(chunkIndex + 1))],
            arrivals.length,
            maxAttempts,
          );
        }
      }
    },
  };
}
