/**
 * An in-process DynamoDB (dynalite) on a free port, with the Batches and Runs tables created
 * as resources/ingest.yml declares them (partition key `pk`, string, and their secondary indexes). Real conditional
 * writes, no network. Start one per test file; `stop()` in afterAll.
 *
 * dynalite lacks TransactWriteItems, TTL and ReturnValuesOnConditionCheckFailure (the run lock
 * falls back to one read there).
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import {
  BATCHES_BY_PIPELINE_INDEX,
  BATCHES_OPEN_INDEX,
  RUNS_BY_PIPELINE_INDEX,
  RUNS_QUEUE_INDEX,
} from '../../lib/pipelines/adapters/indexes';
// dynalite ships no types.
const dynalite = require('dynalite') as (options: Record<string, unknown>) => import('node:http').Server;

export interface Dynalite {
  endpoint: string;
  /** A document client as lib/shared/clients builds it (undefined values removed). */
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
  // The secondary indexes of resources/ingest.yml (names in lib/pipelines/adapters/indexes.ts).
  type Index = { name: string; hash: [string, 'S' | 'N']; range: [string, 'S' | 'N']; projection: 'ALL' | 'KEYS_ONLY' | string[] };
  const indexes: Record<string, Index[]> = {
    Batches: [
      { name: BATCHES_OPEN_INDEX, hash: ['openState', 'S'], range: ['deadline', 'N'], projection: 'ALL' },
      { name: BATCHES_BY_PIPELINE_INDEX, hash: ['pipeline', 'S'], range: ['batchKey', 'S'], projection: 'KEYS_ONLY' },
    ],
    Runs: [
      { name: RUNS_BY_PIPELINE_INDEX, hash: ['pipeline', 'S'], range: ['requestedAt', 'S'], projection: 'ALL' },
      { name: RUNS_QUEUE_INDEX, hash: ['queue', 'S'], range: ['queueSeq', 'N'], projection: ['pipeline', 'executionName'] },
    ],
  };
  for (const TableName of Object.values(tables)) {
    const tableIndexes = indexes[TableName]!;
    const attributes = new Map<string, 'S' | 'N'>([['pk', 'S']]);
    for (const index of tableIndexes) for (const [name, type] of [index.hash, index.range]) attributes.set(name, type);
    await raw.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [...attributes].map(([AttributeName, AttributeType]) => ({ AttributeName, AttributeType })),
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        GlobalSecondaryIndexes: tableIndexes.map((index) => ({
          IndexName: index.name,
          KeySchema: [
            { AttributeName: index.hash[0], KeyType: 'HASH' },
            { AttributeName: index.range[0], KeyType: 'RANGE' },
          ],
          Projection: Array.isArray(index.projection)
            ? { ProjectionType: 'INCLUDE', NonKeyAttributes: index.projection }
            : { ProjectionType: index.projection },
        })),
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

export interface AuditDynalite {
  /** A document client as lib/clients.ts builds it (undefined values removed). */
  dynamo: DynamoDBDocumentClient;
  /** The notifier's audit table (partition key `pk`, as resources/notifier.yml declares it). */
  auditTable: string;
  stop(): Promise<void>;
}

/** An in-process DynamoDB with the notifier's audit table: real conditional writes. */
export async function startAuditDynalite(): Promise<AuditDynalite> {
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const raw = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });
  const auditTable = 'NotifierAudit';
  await raw.send(
    new CreateTableCommand({
      TableName: auditTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client: raw, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 }, { TableName: auditTable });
  const dynamo = DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } });
  return {
    dynamo,
    auditTable,
    async stop() {
      dynamo.destroy();
      (server as import('node:http').Server).closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((error) => (error ? reject(error) : resolve())));
    },
  };
}
