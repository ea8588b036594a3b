/**
 * Run control on the Runs table: the queue of runs waiting for a concurrency slot and the
 * slots themselves. A slot scope (one pipeline, or the whole stack) is one item whose
 * `holders` is the string set of run keys admitted and not yet released: admitting is one
 * conditional `ADD` (room left, or already a holder), releasing one `DELETE`, so both are
 * idempotent and a retried or duplicated call changes nothing, like the Batches arrivals.
 * Queued runs carry `queueSeq` from one atomic counter (arrival order) and sit in the sparse
 * index queue-queueSeq until a dispatcher takes them (QUEUED → STARTING, conditional).
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as v from '../../shared/validation';
import { isConditionFailure, updateIf } from './conditional-update';
import { RUNS_QUEUE_INDEX } from './indexes';
import { queryAll } from './query-all';

/** The key of the queue index for every queued run: one partition, ordered by queueSeq. */
export const QUEUED = 'QUEUED';
const SEQUENCE_KEY = 'queue#seq';
export const slotScope = { pipeline: (name: string) => `slots#pipeline#${name}`, stack: 'slots#stack' } as const;

/** A queued run as the index holds it (keys and what a dispatch decides on; the input stays on the item). */
export const QueuedRunSchema = v.looseObject({
  pk: v.string(),
  pipeline: v.string(),
  executionName: v.string(),
  queueSeq: v.number().int(),
});
export type QueuedRun = v.Infer<typeof QueuedRunSchema>;

/** `taken` comes with the execution input the run was queued with; otherwise the run's status now (none: gone). */
export type TakeResult = { result: 'taken'; input: string } | { result: 'not-queued'; status?: string };

export interface RunQueue {
  /** The next number of the arrival order (1, 2, ...). */
  nextSeq(): Promise<number>;
  /** The run holding the lock (STARTING, this execution name) waits as QUEUED; false if it is not that run's lock any more. */
  enqueue(run: { runKey: string; executionName: string; seq: number; input: string; queuedAt: string }): Promise<boolean>;
  /** Queued runs in arrival order, up to `limit`, after the one numbered `afterSeq`. */
  listQueued(limit: number, afterSeq?: number): Promise<QueuedRun[]>;
  /** QUEUED → STARTING with a fresh lease, for exactly one dispatcher. */
  take(run: QueuedRun, leaseExpiresAt: number): Promise<TakeResult>;
  /** A slot in a scope with `limit` slots: true if admitted (or already admitted). */
  admit(scope: string, runKey: string, limit: number): Promise<boolean>;
  release(scope: string, runKey: string): Promise<void>;
  holders(scope: string): Promise<string[]>;
}

export function runQueue(client: DynamoDBDocumentClient, tableName: string): RunQueue {
  return {
    async nextSeq() {
      const out = await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: SEQUENCE_KEY },
          UpdateExpression: 'ADD #n :one',
          ExpressionAttributeNames: { '#n': 'n' },
          ExpressionAttributeValues: { ':one': 1 },
          ReturnValues: 'UPDATED_NEW',
        }),
      );
      return v.object({ n: v.number().int() }).parse(out.Attributes).n;
    },

    enqueue({ runKey, executionName, seq, input, queuedAt }) {
      return updateIf(client, {
        TableName: tableName,
        Key: { pk: runKey },
        UpdateExpression:
          'SET #status = :queued, #queue = :queued, queueSeq = :seq, queuedAt = :queuedAt, #input = :input REMOVE leaseExpiresAt',
        ConditionExpression: 'executionName = :name AND #status = :starting',
        ExpressionAttributeNames: { '#status': 'status', '#queue': 'queue', '#input': 'input' },
        ExpressionAttributeValues: {
          ':queued': QUEUED,
          ':seq': seq,
          ':queuedAt': queuedAt,
          ':input': input,
          ':name': executionName,
          ':starting': 'STARTING',
        },
      });
    },

    listQueued(limit, afterSeq) {
      return queryAll(
        client,
        {
          TableName: tableName,
          IndexName: RUNS_QUEUE_INDEX,
          KeyConditionExpression: afterSeq === undefined ? '#queue = :queued' : '#queue = :queued AND queueSeq > :after',
          ExpressionAttributeNames: { '#queue': 'queue' },
          ExpressionAttributeValues: { ':queued': QUEUED, ...(afterSeq === undefined ? {} : { ':after': afterSeq }) },
        },
        (raw) => QueuedRunSchema.parse(raw),
        limit,
      );
    },

    async take(run, leaseExpiresAt) {
      try {
        // ALL_OLD hands back the input the run was queued with, in the same request.
        const out = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: run.pk },
            UpdateExpression: 'SET #status = :starting, leaseExpiresAt = :lease REMOVE #queue, #input',
            ConditionExpression: 'executionName = :name AND #status = :queued',
            ExpressionAttributeNames: { '#status': 'status', '#queue': 'queue', '#input': 'input' },
            ExpressionAttributeValues: { ':starting': 'STARTING', ':lease': leaseExpiresAt, ':name': run.executionName, ':queued': QUEUED },
            ReturnValues: 'ALL_OLD',
          }),
        );
        return { result: 'taken', input: v.object({ input: v.string() }).parse(out.Attributes).input };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const current = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: run.pk },
          ConsistentRead: true,
          ProjectionExpression: 'executionName, #status',
          ExpressionAttributeNames: { '#status': 'status' },
        }),
      );
      const status = current.Item?.executionName === run.executionName ? (current.Item.status as string) : undefined;
      return { result: 'not-queued', ...(status ? { status } : {}) };
    },

    admit(scope, runKey, limit) {
      return updateIf(client, {
        TableName: tableName,
        Key: { pk: scope },
        UpdateExpression: 'ADD holders :key',
        ConditionExpression: 'attribute_not_exists(holders) OR size(holders) < :limit OR contains(holders, :runKey)',
        ExpressionAttributeValues: { ':key': new Set([runKey]), ':limit': limit, ':runKey': runKey },
      });
    },

    async release(scope, runKey) {
      // No item, nothing to give back (and none is created).
      await updateIf(client, {
        TableName: tableName,
        Key: { pk: scope },
        UpdateExpression: 'DELETE holders :key',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':key': new Set([runKey]) },
      });
    },

    async holders(scope) {
      const out = await client.send(new GetCommand({ TableName: tableName, Key: { pk: scope }, ConsistentRead: true }));
      const holders = out.Item?.holders as Set<string> | undefined;
      return holders ? [...holders].sort() : [];
    },
  };
}
