/**
 * An in-process Kinesis (kinesalite) on a free loopback port, with one stream created.
 * Its client is built like lib/shared/clients builds it: HTTP/1.1 through NodeHttpHandler,
 * the only protocol kinesalite speaks. Start one per test file; `stop()` in afterAll.
 */
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import {
  CreateStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  KinesisClient,
  ListShardsCommand,
  waitUntilStreamExists,
} from '@aws-sdk/client-kinesis';
import { NodeHttpHandler } from '@smithy/node-http-handler';
// kinesalite ships no types.
const kinesalite = require('kinesalite') as (options: Record<string, unknown>) => Server;

export interface StreamRecord {
  shardId: string;
  sequenceNumber: string;
  partitionKey: string;
  data: string;
}

export interface Kinesalite {
  endpoint: string;
  /** A new client for this emulator (each test may add its own middleware). */
  client(): KinesisClient;
  createStream(name: string, shardCount: number): Promise<void>;
  /** Every record of the stream, shard by shard, each shard in sequence order. */
  readAll(name: string): Promise<StreamRecord[]>;
  stop(): Promise<void>;
}

export async function startKinesalite(): Promise<Kinesalite> {
  const server = kinesalite({ createStreamMs: 0, deleteStreamMs: 0, updateStreamMs: 0, shardLimit: 100 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const client = (): KinesisClient =>
    new KinesisClient({
      endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      requestHandler: new NodeHttpHandler(),
    });
  const admin = client();

  return {
    endpoint,
    client,
    async createStream(name, shardCount) {
      await admin.send(new CreateStreamCommand({ StreamName: name, ShardCount: shardCount }));
      await waitUntilStreamExists({ client: admin, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 }, { StreamName: name });
    },
    async readAll(name) {
      const records: StreamRecord[] = [];
      const { Shards = [] } = await admin.send(new ListShardsCommand({ StreamName: name }));
      for (const shard of Shards) {
        let { ShardIterator: iterator } = await admin.send(
          new GetShardIteratorCommand({ StreamName: name, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }),
        );
        // An open shard always hands back a next iterator: stop at the first empty page.
        while (iterator) {
          const page = await admin.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 10_000 }));
          const batch = page.Records ?? [];
          for (const record of batch) {
            records.push({
              shardId: shard.ShardId!,
              sequenceNumber: record.SequenceNumber!,
              partitionKey: record.PartitionKey!,
              data: Buffer.from(record.Data!).toString('utf8'),
            });
          }
          iterator = batch.length > 0 ? page.NextShardIterator : undefined;
        }
      }
      return records;
    },
    async stop() {
      admin.destroy();
      await new Promise<void>((resolve, reject) => server.close((error?: Error) => (error ? reject(error) : resolve())));
    },
  };
}
