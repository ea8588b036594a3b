/**
 * The Runs table (layout in lib/contracts/messages.ts): one item per run key, and the run lock.
 * The lock follows Powertools' DynamoDBPersistenceLayer: one conditional PutItem, and
 * the loser reads who holds it from the failed condition instead of a second request.
 */
import { GetCommand, PutCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import * as v from '../../shared/validation';
import { isConditionFailure } from './conditional-update';
import { BatchObjectSchema, RunStatusSchema, TriggerKindSchema, type BatchObject, type TriggerKind } from '../../contracts/messages';

/** The fields this code reads; the state machine adds more (result, endedAt, ...), kept as they are. */
export const RunItemSchema = v.looseObject({
  pk: v.string(),
  pipeline: v.string(),
  batchKey: v.string(),
  trigger: TriggerKindSchema,
  status: RunStatusSchema,
  attempt: v.number().int().positive(),
  executionName: v.string(),
  executionArn: v.string().optional(),
  leaseExpiresAt: v.number().optional(),
  requestedAt: v.string(),
  scheduledTime: v.string().optional(),
  /** Batch runs: the rule that completed the batch (files, manifest, marker, quiet). */
  completedBy: v.string().optional(),
  objects: v.array(BatchObjectSchema).optional(),
  event: v.string().optional(),
});
export type RunItem = v.Infer<typeof RunItemSchema>;

export class RunItemError extends Error {
  override readonly name = 'RunItemError';
}

export interface LockRequest {
  runKey: string;
  pipeline: string;
  batchKey: string;
  trigger: TriggerKind;
  attempt: number;
  executionName: string;
  requestedAt: string;
  /** Schedule runs: the fire time (ISO). */
  scheduledTime?: string;
  /** Batch runs: the rule that completed the batch. */
  completedBy?: string;
  /** Epoch seconds. */
  now: number;
  /** Epoch seconds; after it a retry may take the lock over (crash between lock and start). */
  leaseExpiresAt: number;
  /** Only when the execution input points here instead of carrying them. */
  objects?: BatchObject[];
  /** Only when the execution input points here instead of carrying it: the event's JSON text. */
  event?: string;
  /** Forced fresh run: also take over a finished run of exactly this attempt. */
  replacesFinishedAttempt?: number;
}

export type LockResult = { acquired: true } | { acquired: false; holder: RunItem | undefined };

export interface RunsTable {
  acquireLock(request: LockRequest): Promise<LockResult>;
  /** After StartExecution: where the run went; the lease is dropped because there is nothing left to recover. */
  /** StartExecution failed: let the next retry take over now instead of after the lease. */
  releaseLease(runKey: string, attempt: number): Promise<void>;
  get(runKey: string): Promise<RunItem | undefined>;
}

function parseRunItem(raw: Record<string, unknown>): RunItem {
  const parsed = RunItemSchema.safeParse(raw);
  if (!parsed.success)
    throw new RunItemError(`Runs item ${String(raw.pk)} is malformed: ${v.prettifyError(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}

export function runsTable(client: DynamoDBDocumentClient, tableName: string): RunsTable {
  const get = async (runKey: string): Promise<RunItem | undefined> => {
    const result = await client.send(new GetCommand({ TableName: tableName, Key: { pk: runKey }, ConsistentRead: true }));
    return result.Item ? parseRunItem(result.Item) : undefined;
  };

  return {
    async acquireLock(request) {
      const item = {
        pk: request.runKey,
        pipeline: request.pipeline,
        batchKey: request.batchKey,
        trigger: request.trigger,
        status: 'STARTING',
        attempt: request.attempt,
        executionName: request.executionName,
        requestedAt: request.requestedAt,
        leaseExpiresAt: request.leaseExpiresAt,
        ...(request.scheduledTime ? { scheduledTime: request.scheduledTime } : {}),
        ...(request.completedBy ? { completedBy: request.completedBy } : {}),
        ...(request.objects ? { objects: request.objects } : {}),
        ...(request.event !== undefined ? { event: request.event } : {}),
      };
      const takeOverFinished = request.replacesFinishedAttempt !== undefined;
      try {
        await client.send(
          new PutCommand({
            TableName: tableName,
            Item: item,
            ConditionExpression:
              // A STARTING run still in the queue index belongs to the dispatchers (run-queue.ts
              // takes it over in its place); a duplicate start must not put it at the back.
              'attribute_not_exists(pk) OR (#status = :starting AND #lease < :now AND attribute_not_exists(#queue))' +
              (takeOverFinished ? ' OR (#attempt = :previous AND #status IN (:succeeded, :failed))' : ''),
            ExpressionAttributeNames: {
              '#status': 'status',
              '#lease': 'leaseExpiresAt',
              '#queue': 'queue',
              ...(takeOverFinished ? { '#attempt': 'attempt' } : {}),
            },
            ExpressionAttributeValues: {
              ':starting': 'STARTING',
              ':now': request.now,
              ...(takeOverFinished ? { ':previous': request.replacesFinishedAttempt, ':succeeded': 'SUCCEEDED', ':failed': 'FAILED' } : {}),
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { acquired: true };
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // DynamoDB returns the holder (marshalled: the document client does not convert error
        // payloads); emulators without ReturnValuesOnConditionCheckFailure need one read.
        const holder = error.Item ? parseRunItem(unmarshall(error.Item)) : await get(request.runKey);
        return { acquired: false, holder };
      }
    },

    async releaseLease(runKey, attempt) {
      try {
        await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: runKey },
            UpdateExpression: 'SET #lease = :expired',
            ConditionExpression: '#attempt = :attempt AND #status = :starting',
            ExpressionAttributeNames: { '#lease': 'leaseExpiresAt', '#attempt': 'attempt', '#status': 'status' },
            ExpressionAttributeValues: { ':expired': 0, ':attempt': attempt, ':starting': 'STARTING' },
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
      }
    },

    get,
  };
}
