import { KinesisClient, PutRecordsCommand, ResourceNotFoundException, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { mockClient } from 'aws-sdk-client-mock';
import {
  chunkEntries,
  createKinesisPublisher,
  KinesisPublishError,
  MAX_BYTES_PER_REQUEST,
  partitionKeyOf,
  RecordTooLargeError,
  type PreparedEntry,
} from '../../../../lib/pipelines/adapters/kinesis-publisher';
import type { FileArrival } from '../../../../lib/contracts/messages';

const kinesis = mockClient(KinesisClient);

const arrival = (i: number, batchKey = `b${i % 7}`): FileArrival => ({
  pipeline: 'orders-daily',
  batchKey,
  file: 'orders',
  bucket: 'uploads',
  key: `incoming/acme/orders-${i}.csv`,
  size: i,
  etag: `etag-${i}`,
  sequencer: `00${i}`,
  eventTime: '2026-11-20T10:00:00.000Z',
  source: 's3',
});

const sentKeys = (input: PutRecordsCommandInput): string[] =>
  (input.Records ?? []).map((record) => (JSON.parse(Buffer.from(record.Data!).toString('utf8')) as FileArrival).key);

const calls = () => kinesis.commandCalls(PutRecordsCommand).map((call) => call.args[0].input);

let sleeps: number[];
const publisher = (options: { maxAttempts?: number } = {}) =>
  createKinesisPublisher(new KinesisClient({}), {
    streamName: 'file-arrivals',
    sleep: async (ms) => {
      sleeps.push(ms);
    },
    random: () => 0.5,
    ...options,
  });

/** A PutRecords answer: every record written except those given an error code. */
const answer = (input: PutRecordsCommandInput, codes: Record<number, string> = {}) => ({
  FailedRecordCount: Object.keys(codes).length,
  Records: (input.Records ?? []).map((_, i) =>
    codes[i]
      ? { ErrorCode: codes[i], ErrorMessage: `record ${i} refused` }
      : { SequenceNumber: `seq-${i}`, ShardId: 'shardId-000000000000' },
  ),
});

beforeEach(() => {
  kinesis.reset();
  sleeps = [];
});

describe('Kinesis publisher', () => {
  it('sends nothing for no arrivals', async () => {
    await publisher().publish([]);
    expect(calls()).toEqual([]);
  });

  it('writes each arrival as JSON under partition key pipeline#batchKey', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => answer(input));

    await publisher().publish([arrival(1), arrival(2)]);

    const [input] = calls();
    expect(input!.StreamName).toBe('file-arrivals');
    expect(input!.Records!.map((r) => r.PartitionKey)).toEqual(['orders-daily#b1', 'orders-daily#b2']);
    expect(JSON.parse(Buffer.from(input!.Records![0]!.Data!).toString('utf8'))).toEqual(arrival(1));
  });

  it('splits 1,200 records into 3 calls of 500, 500 and 200, keeping input order', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => answer(input));
    const arrivals = Array.from({ length: 1_200 }, (_, i) => arrival(i));

    await publisher().publish(arrivals);

    expect(calls().map((input) => input.Records!.length)).toEqual([500, 500, 200]);
    expect(calls().flatMap(sentKeys)).toEqual(arrivals.map((a) => a.key));
  });

  it('re-sends only the records that failed, in their order, after a jittered backoff', async () => {
    kinesis
      .on(PutRecordsCommand)
      .callsFakeOnce((input: PutRecordsCommandInput) =>
        answer(input, { 1: 'ProvisionedThroughputExceededException', 3: 'InternalFailure' }),
      )
      .callsFake((input: PutRecordsCommandInput) => answer(input));
    const arrivals = Array.from({ length: 5 }, (_, i) => arrival(i));

    await publisher().publish(arrivals);

    expect(calls().map(sentKeys)).toEqual([arrivals.map((a) => a.key), [arrivals[1]!.key, arrivals[3]!.key]]);
    expect(sleeps).toEqual([50]);
  });

  it('gives up after the attempt limit with an error naming the count and the error codes', async () => {
    kinesis
      .on(PutRecordsCommand)
      .callsFake((input: PutRecordsCommandInput) => answer(input, { 0: 'ProvisionedThroughputExceededException' }));
    const arrivals = [arrival(0), arrival(1), arrival(2)];

    const error = await publisher({ maxAttempts: 5 })
      .publish(arrivals)
      .then(
        () => undefined,
        (e: unknown) => e,
      );

    expect(error).toBeInstanceOf(KinesisPublishError);
    expect((error as Error).message).toBe(
      '1 of 3 records were not written to Kinesis stream "file-arrivals" after up to 5 attempts (ProvisionedThroughputExceededException x1)',
    );
    expect((error as KinesisPublishError).failed).toEqual([
      { index: 0, partitionKey: 'orders-daily#b0', errorCode: 'ProvisionedThroughputExceededException', errorMessage: 'record 0 refused' },
    ]);
    expect(calls().map((input) => input.Records!.length)).toEqual([3, 1, 1, 1, 1]);
    // Full jitter over 100, 200, 400, 800 ms with random() = 0.5.
    expect(sleeps).toEqual([50, 100, 200, 400]);
  });

  it('caps the backoff', async () => {
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => answer(input, { 0: 'InternalFailure' }));

    await expect(publisher({ maxAttempts: 8 }).publish([arrival(0)])).rejects.toThrow(KinesisPublishError);

    expect(sleeps).toEqual([50, 100, 200, 400, 800, 1000, 1000]);
  });

  it('stops at a chunk that cannot be written and lists the later records as not attempted', async () => {
    const arrivals = Array.from({ length: 502 }, (_, i) => arrival(i));
    // Arrival 499 (last of the first chunk) is refused every time it is sent.
    kinesis.on(PutRecordsCommand).callsFake((input: PutRecordsCommandInput) => {
      const at = sentKeys(input).indexOf(arrivals[499]!.key);
      return answer(input, at === -1 ? {} : { [at]: 'InternalFailure' });
    });

    const error = (await publisher({ maxAttempts: 2 })
      .publish(arrivals)
      .catch((e: unknown) => e)) as KinesisPublishError;

    expect(error.failed.map((f) => [f.index, f.errorCode])).toEqual([
      [499, 'InternalFailure'],
      [500, 'NotAttempted'],
      [501, 'NotAttempted'],
    ]);
    expect(error.message).toContain('3 of 502 records');
    expect(calls()).toHaveLength(2);
  });

  it('treats a missing result entry as a failure, never as written', async () => {
    kinesis
      .on(PutRecordsCommand)
      .resolvesOnce({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 's' }] })
      .callsFake((input: PutRecordsCommandInput) => answer(input));

    await publisher().publish([arrival(0), arrival(1)]);

    expect(calls().map(sentKeys)).toEqual([[arrival(0).key, arrival(1).key], [arrival(1).key]]);
  });

  it('wraps an error of the call itself, with its name as the code and the cause kept', async () => {
    const cause = new ResourceNotFoundException({ message: 'Stream file-arrivals not found', $metadata: {} });
    kinesis.on(PutRecordsCommand).rejects(cause);

    const error = (await publisher()
      .publish([arrival(0), arrival(1)])
      .catch((e: unknown) => e)) as KinesisPublishError;

    expect(error).toBeInstanceOf(KinesisPublishError);
    expect(error.cause).toBe(cause);
    expect(error.failed.map((f) => f.errorCode)).toEqual(['ResourceNotFoundException', 'ResourceNotFoundException']);
    expect(calls()).toHaveLength(1);
  });
});

describe('chunkEntries (PutRecords limits)', () => {
  const MiB = 1024 * 1024;
  /** An entry of exactly `bytes` bytes, counting data and partition key as Kinesis does. */
  const entry = (index: number, bytes: number): PreparedEntry => ({ index, partitionKey: 'k', data: new Uint8Array(bytes - 1) });

  it('fills a request up to exactly 5 MiB', () => {
    const entries = Array.from({ length: 5 }, (_, i) => entry(i, MiB));
    expect(chunkEntries(entries).map((c) => c.length)).toEqual([5]);
    expect(5 * MiB).toBe(MAX_BYTES_PER_REQUEST);
  });

  it('starts a new request when one more byte would pass 5 MiB', () => {
    const entries = [...Array.from({ length: 4 }, (_, i) => entry(i, MiB)), entry(4, MiB - 10), entry(5, 11)];
    expect(chunkEntries(entries).map((c) => c.map((e) => e.index))).toEqual([[0, 1, 2, 3, 4], [5]]);
  });

  it('counts the partition key bytes (UTF-8) towards the limit', () => {
    const big = (index: number): PreparedEntry => ({ index, partitionKey: 'é', data: new Uint8Array(MiB - 2) });
    const entries = [...Array.from({ length: 5 }, (_, i) => big(i)), { index: 5, partitionKey: 'k', data: new Uint8Array(0) }];
    // Five entries of exactly 1 MiB (é is two bytes) fill the request; the empty-data one needs 1 more byte.
    expect(chunkEntries(entries).map((c) => c.length)).toEqual([5, 1]);
  });

  it('puts at most 500 records in a request', () => {
    expect(chunkEntries(Array.from({ length: 1_001 }, (_, i) => entry(i, 100))).map((c) => c.length)).toEqual([500, 500, 1]);
  });

  it('rejects a record over 1 MiB instead of sending a request Kinesis refuses', () => {
    expect(() => chunkEntries([entry(7, MiB + 1)])).toThrow(RecordTooLargeError);
    expect(() => chunkEntries([entry(7, MiB + 1)])).toThrow(/record 7/);
  });
});

describe('partitionKeyOf', () => {
  it('is pipeline#batchKey', () => {
    expect(partitionKeyOf({ pipeline: 'orders-daily', batchKey: '2026-11-20' })).toBe('orders-daily#2026-11-20');
  });

  it('keeps a long key within 256 characters, readable, deterministic and distinct per batch', () => {
    const a = partitionKeyOf({ pipeline: 'p', batchKey: `${'x'.repeat(400)}a` });
    const b = partitionKeyOf({ pipeline: 'p', batchKey: `${'x'.repeat(400)}b` });

    expect(a).toHaveLength(256);
    expect(a.startsWith('p#xxx')).toBe(true);
    expect(a).toBe(partitionKeyOf({ pipeline: 'p', batchKey: `${'x'.repeat(400)}a` }));
    expect(a).not.toBe(b);
  });
});
