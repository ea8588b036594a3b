/**
 * An in-process DynamoDB (dynalite) on a free port, with the Batches and Runs tables created
 * as resources/ingest.yml declares them (partition key `pk`, string). Real conditional
 * writes, no network. Start one per test file; `stop()` in afterAll.
 *
 * dynalite lacks TransactWriteItems, TTL and ReturnValuesOnConditionCheckFailure (the run lock
 * falls back to one read there).
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
// dynalite ships no types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => import('node:http').Server;

export interface Dynalite {
  endpoint: string;
  /** A document client as lib/clients.ts builds it (undefined values removed). */
  client: DynamoDBDocumentClient;
  tables: { batches: string; runs: string };
  stop(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const endpoint = `http://127.0.0.1:${port}`;
  const raw = new DynamoDBClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  const tables = { batches: 'Batches', runs: 'Runs' };
  for (const TableName of Object.values(tables)) {
    await raw.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
    await waitUntilTableExists({ client: raw, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 }, { TableName });
  }
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return {
    endpoint,
    client,
    tables,
    async stop() {
      client.destroy();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
