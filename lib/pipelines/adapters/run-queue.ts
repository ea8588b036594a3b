/**
 * Run control on the Runs table: the queue of runs waiting for a concurrency slot and the
 * slots themselves. A slot scope (one pipeline, or the whole stack) is one item whose
 * `holders` is the string set of run keys admitted and not yet released: admitting is one
 * conditional `ADD` (room left, or already a holder), releasing one `DELETE`, so both are
 * idempotent and a retried or duplicated call changes nothing, like the Batches arrivals.
 * Queued runs carry `queueSeq` from one atomic counter (arrival order) and sit in the sparse
 * index queue-queueSeq until their execution has begun: a dispatcher takes one (QUEUED →
 * STARTING, conditional, with a lease), starts its execution, and only then takes it out of the
 * index (`leave`). A taken run thus stays in the order, so a dispatcher that reads the queue
 * later sees it and lets its execution begin before starting a later one (run-control.ts).
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

/**
 * `taken` comes with the execution input the run was queued with (`takenOver`: from a dispatcher
 * that took it before and did not get its execution going); otherwise the run's status now
 * (none: gone), its lease and whether it is still in the queue index.
 */
export type TakeResult =
  | { result: 'taken'; input: string; takenOver: boolean }
  | { result: 'not-queued'; status?: string; leaseExpiresAt?: number; inQueue?: boolean };

export interface TakeRequest {
  /** Epoch seconds: a STARTING run whose lease ended before it is taken over. */
  now: number;
  /** Epoch seconds: the taker's lease. */
  leaseExpiresAt: number;
  /** Take over a STARTING run whose dispatcher holds this very lease (live, but its start is overdue). */
  overdueLease?: number;
}

export interface RunQueue {
  /** The next number of the arrival order (1, 2, ...). */
  nextSeq(): Promise<number>;
  /** The run holding the lock (STARTING, this execution name) waits as QUEUED; false if it is not that run's lock any more. */
  enqueue(run: { runKey: string; executionName: string; seq: number; input: string; queuedAt: string }): Promise<boolean>;
  /** Queued runs in arrival order, up to `limit`, after the one numbered `afterSeq`. */
  listQueued(limit: number, afterSeq?: number): Promise<QueuedRun[]>;
  /**
   * QUEUED → STARTING with a fresh lease, for exactly one dispatcher; also takes over a STARTING
   * run still in the queue whose lease ended (or is `overdueLease`). The run stays in the index.
   */
  take(run: QueuedRun, request: TakeRequest): Promise<TakeResult>;
  /** Its execution has begun: the run leaves the queue index (idempotent). */
  leave(run: QueuedRun): Promise<void>;
  /** Starting its execution failed: the next dispatcher may take it over at once. */
  dropLease(run: QueuedRun, leaseExpiresAt: number): Promise<void>;
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

    async take(run, { now, leaseExpiresAt, overdueLease }) {
      // A taken run keeps `queue` (its place in the order) and `input` (for a takeover's
      // StartExecution, which must repeat the input to be idempotent) until it leaves.
      const takeable =
        overdueLease === undefined
          ? '(#status = :queued OR (#status = :starting AND attribute_exists(#queue) AND leaseExpiresAt < :now))'
          : '(#status = :starting AND attribute_exists(#queue) AND leaseExpiresAt = :overdue)';
      try {
        // ALL_OLD hands back the input the run was queued with, in the same request.
        const out = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: run.pk },
            UpdateExpression: 'SET #status = :starting, leaseExpiresAt = :lease',
            ConditionExpression: `executionName = :name AND ${takeable}`,
            ExpressionAttributeNames: { '#status': 'status', '#queue': 'queue' },
            ExpressionAttributeValues: {
              ':starting': 'STARTING',
              ':lease': leaseExpiresAt,
              ':name': run.executionName,
              ...(overdueLease === undefined ? { ':queued': QUEUED, ':now': now } : { ':overdue': overdueLease }),
            },
            ReturnValues: 'ALL_OLD',
          }),
        );
        const old = v.object({ input: v.string(), status: v.string().optional() }).parse(out.Attributes);
        return { result: 'taken', input: old.input, takenOver: old.status === 'STARTING' };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
      const current = await client.send(
        new GetCommand({
          TableName: tableName,
          Key: { pk: run.pk },
          ConsistentRead: true,
          ProjectionExpression: 'executionName, #status, leaseExpiresAt, #queue',
          ExpressionAttributeNames: { '#status': 'status', '#queue': 'queue' },
        }),
      );
      const item = current.Item;
      if (item?.executionName !== run.executionName) return { result: 'not-queued' };
      return {
        result: 'not-queued',
        status: item.status as string,
        inQueue: item.queue !== undefined,
        ...(typeof item.leaseExpiresAt === 'number' ? { leaseExpiresAt: item.leaseExpiresAt } : {}),
      };
    },

    async leave(run) {
      await updateIf(client, {
        TableName: tableName,
        Key: { pk: run.pk },
        UpdateExpression: 'REMOVE #queue, #input',
        ConditionExpression: 'executionName = :name AND attribute_exists(#queue)',
        ExpressionAttributeNames: { '#queue': 'queue', '#input': 'input' },
        ExpressionAttributeValues: { ':name': run.executionName },
      });
    },

    async dropLease(run, leaseExpiresAt) {
      await updateIf(client, {
        TableName: tableName,
        Key: { pk: run.pk },
        UpdateExpression: 'SET leaseExpiresAt = :expired',
        ConditionExpression: 'executionName = :name AND #status = :starting AND leaseExpiresAt = :lease',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':expired': 0, ':name': run.executionName, ':starting': 'STARTING', ':lease': leaseExpiresAt },
      });
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
