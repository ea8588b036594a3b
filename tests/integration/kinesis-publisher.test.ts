/**
 * The Kinesis publisher against kinesalite: what is written can be read back, partition
 * keys are `pipeline#batchKey`, records of one key keep their order on one shard, and a
 * partial failure re-sends only the refused records, so each arrival lands exactly once.
 */
import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { KinesisClient, type PutRecordsCommandInput, type PutRecordsCommandOutput } from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { createKinesisPublisher, KinesisPublishError, partitionKeyOf } from '../../lib/pipelines/adapters/kinesis-publisher';
import { FileArrivalSchema, type FileArrival } from '../../lib/contracts/messages';
import { startKinesalite, type Kinesalite } from '../helpers/kinesalite';

let emulator: Kinesalite;
let streamCount = 0;
/** Refusing endpoints a test started: closed after each test, whether it passed or not. */
const proxies: Array<{ close: () => Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(proxies.splice(0).map((proxy) => proxy.close()));
});

beforeAll(async () => {
  emulator = await startKinesalite();
});
afterAll(async () => {
  await emulator.stop();
});

const newStream = async (shards: number): Promise<string> => {
  streamCount += 1;
  const name = `file-arrivals-${streamCount}`;
  await emulator.createStream(name, shards);
  return name;
};

const arrivals = (count: number, batches: number): FileArrival[] =>
  Array.from({ length: count }, (_, i) => ({
    pipeline: i % 2 === 0 ? 'orders-daily' : 'inventory-snapshot',
    batchKey: `2026-11-${String((i % batches) + 1).padStart(2, '0')} 09:30+01:00`,
    file: `file-${i}`,
    bucket: 'uploads',
    key: `incoming/acme/file-${i}.csv`,
    size: i,
    etag: `etag-${i}`,
    sequencer: i.toString(16).padStart(16, '0'),
    eventTime: '2026-11-20T10:00:00.000Z',
    source: 's3',
  }));

const noSleep = async (): Promise<void> => {};

/** Groups what the stream holds by partition key, keeping stream order. */
const byPartitionKey = (records: Array<{ partitionKey: string; data: string; shardId: string }>) => {
  const groups = new Map<string, { shards: Set<string>; files: string[] }>();
  for (const record of records) {
    const group = groups.get(record.partitionKey) ?? { shards: new Set(), files: [] };
    group.shards.add(record.shardId);
    group.files.push(FileArrivalSchema.parse(JSON.parse(record.data)).file);
    groups.set(record.partitionKey, group);
  }
  return groups;
};

/**
 * A Kinesis endpoint that refuses the first `refusals` PutRecords calls whole, as Kinesis does
 * when a stream is over its write limit (HTTP 400, ProvisionedThroughputExceededException),
 * and passes every other request through to kinesalite.
 */
async function refusingEndpoint(target: string, refusals: number): Promise<{ endpoint: string; refused: () => number }> {
  let refused = 0;
  const readBody = (req: IncomingMessage) =>
    new Promise<Buffer>((resolve, reject) => {
      const parts: Buffer[] = [];
      req.on('data', (part: Buffer) => parts.push(part));
      req.on('end', () => resolve(Buffer.concat(parts)));
      req.on('error', reject);
    });
  const server: Server = createServer(async (req, res) => {
    const body = await readBody(req);
    if (String(req.headers['x-amz-target']).endsWith('.PutRecords') && refused < refusals) {
      refused += 1;
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ProvisionedThroughputExceededException' });
      res.end(
        JSON.stringify({
          __type: 'ProvisionedThroughputExceededException',
          message: 'Rate exceeded for stream file-arrivals under account 000000000000.',
        }),
      );
      return;
    }
    const upstream = httpRequest(`${target}${req.url ?? '/'}`, { method: req.method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 500, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', (error) => res.destroy(error));
    upstream.end(body);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  proxies.push({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return {
    endpoint: `http://127.0.0.1:${port}`,
    refused: () => refused,
  };
}

/** The SDK's own retries off: every refusal reaches the publisher, whose retries are under test. */
const clientFor = (endpoint: string) =>
  new KinesisClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    requestHandler: new NodeHttpHandler(),
    maxAttempts: 1,
  });

describe('Kinesis publisher on kinesalite', () => {
  it('writes 1,200 arrivals in three requests that read back complete, keyed, and in order per key', async () => {
    const stream = await newStream(4);
    const client = emulator.client();
    let requests = 0;
    client.middlewareStack.add(
      (next) => async (args) => {
        requests += 1;
        return next(args);
      },
      { step: 'initialize', name: 'countRequests' },
    );
    const input = arrivals(1_200, 30);

    await createKinesisPublisher(client, { streamName: stream, sleep: noSleep }).publish(input);

    const stored = await emulator.readAll(stream);
    expect(requests).toBe(3);
    expect(stored).toHaveLength(1_200);
    const byFile = (a: FileArrival, b: FileArrival) => a.file.localeCompare(b.file);
    expect(stored.map((r) => FileArrivalSchema.parse(JSON.parse(r.data))).sort(byFile)).toEqual([...input].sort(byFile));
    const groups = byPartitionKey(stored);
    expect([...groups.keys()].sort()).toEqual([...new Set(input.map(partitionKeyOf))].sort());
    for (const [key, group] of groups) {
      expect(group.shards.size).toBe(1);
      expect(group.files).toEqual(input.filter((a) => partitionKeyOf(a) === key).map((a) => a.file));
    }
    expect(new Set(stored.map((r) => r.shardId)).size).toBeGreaterThan(1);
    client.destroy();
  });

  it('re-sends only refused records after a partial failure: every arrival is stored exactly once', async () => {
    const stream = await newStream(2);
    const client = emulator.client();
    const sent: string[][] = [];
    let refuseNext = true;
    // Stands in for Kinesis throttling: the first request lets only every third record
    // through to the stream and answers the others with a per-record ErrorCode.
    client.middlewareStack.add(
      (next) => async (args) => {
        const request = args.input as PutRecordsCommandInput;
        const all = request.Records ?? [];
        sent.push(all.map((r) => JSON.parse(Buffer.from(r.Data!).toString('utf8')).file));
        if (!refuseNext) return next(args);
        refuseNext = false;
        const passed = all.filter((_, i) => i % 3 === 0);
        const result = await next({ ...args, input: { ...request, Records: passed } });
        const output = result.output as PutRecordsCommandOutput;
        const written = [...(output.Records ?? [])];
        output.Records = all.map((_, i) =>
          i % 3 === 0 ? written.shift()! : { ErrorCode: 'ProvisionedThroughputExceededException', ErrorMessage: 'Rate exceeded for shard' },
        );
        output.FailedRecordCount = all.length - passed.length;
        return result;
      },
      { step: 'initialize', name: 'refuseTwoInThree' },
    );
    const input = arrivals(30, 3);

    await createKinesisPublisher(client, { streamName: stream, sleep: noSleep }).publish(input);

    const refused = input.filter((_, i) => i % 3 !== 0).map((a) => a.file);
    expect(sent).toEqual([input.map((a) => a.file), refused]);
    const stored = (await emulator.readAll(stream)).map((r) => FileArrivalSchema.parse(JSON.parse(r.data)).file);
    expect([...stored].sort()).toEqual(input.map((a) => a.file).sort());
    client.destroy();
  });

  it('waits out a stream that refuses whole calls (throttling) with its own backoff and loses no record', async () => {
    const stream = await newStream(1);
    const proxy = await refusingEndpoint(emulator.endpoint, 3);
    const client = clientFor(proxy.endpoint);
    const waits: number[] = [];
    const input = arrivals(20, 4);

    await createKinesisPublisher(client, { streamName: stream, sleep: async (ms) => void waits.push(ms), random: () => 0.5 }).publish(
      input,
    );

    const stored = await emulator.readAll(stream);
    expect(proxy.refused()).toBe(3);
    // One jittered wait before each of the three retries, growing: 100, 200, 400 ms halved by the jitter.
    expect(waits).toEqual([50, 100, 200]);
    expect(stored.map((r) => FileArrivalSchema.parse(JSON.parse(r.data)).file).sort()).toEqual(input.map((a) => a.file).sort());
    client.destroy();
  });

  it('gives up on a stream that keeps refusing whole calls, naming the throttling and every record not written', async () => {
    const stream = await newStream(1);
    const proxy = await refusingEndpoint(emulator.endpoint, 1_000);
    const client = clientFor(proxy.endpoint);

    const error = await createKinesisPublisher(client, { streamName: stream, sleep: noSleep, maxAttempts: 3 })
      .publish(arrivals(4, 2))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(KinesisPublishError);
    expect((error as KinesisPublishError).failed.map((f) => f.errorCode)).toEqual(Array(4).fill('ProvisionedThroughputExceededException'));
    expect((error as KinesisPublishError).attempts).toBe(3);
    expect(await emulator.readAll(stream)).toHaveLength(0);
    client.destroy();
  });

  it('fails with KinesisPublishError naming the stream when it does not exist', async () => {
    const client = emulator.client();

    const error = await createKinesisPublisher(client, { streamName: 'no-such-stream', sleep: noSleep })
      .publish(arrivals(2, 1))
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(KinesisPublishError);
    expect((error as KinesisPublishError).message).toMatch(
      /2 of 2 records were not written to Kinesis stream "no-such-stream".*ResourceNotFoundException x2/,
    );
    client.destroy();
  });
});
