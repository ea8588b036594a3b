/**
 * The batch's object list: inline from OBJECTS, or from the Runs item when the list was
 * too long for ECS container overrides (8,192 characters).
 */
import { GetCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as v from '../../lib/shared/validation';
import { BatchObjectSchema, type BatchObject } from '../../lib/contracts/messages';
import type { EventSource, ObjectsSource } from './env';
import { BatchObjectsError } from './errors';

const RunObjectsSchema = v.object({ objects: v.array(BatchObjectSchema).min(1) });

export async function resolveObjects(source: ObjectsSource, dynamo: () => DynamoDBDocumentClient): Promise<BatchObject[]> {
  if (source.kind === 'inline') return source.objects;
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: source.table,
      Key: { pk: source.runKey },
      ProjectionExpression: 'objects',
      ConsistentRead: true,
    }),
  );
  if (!Item) throw new BatchObjectsError(`run ${source.runKey} not found in table ${source.table}`);
  const parsed = RunObjectsSchema.safeParse(Item);
  if (!parsed.success) {
    throw new BatchObjectsError(`run ${source.runKey} in table ${source.table} has no valid objects list`, {
      cause: parsed.error,
    });
  }
  return parsed.data.objects;
}

const RunEventSchema = v.object({ event: v.string().min(1) });

/** The run's event (`events` and `queue` runs): inline from EVENT, or the Runs item's `event` when it was too large. */
export async function resolveEvent(source: EventSource | undefined, dynamo: () => DynamoDBDocumentClient): Promise<unknown> {
  if (source === undefined) return undefined;
  if (source.kind === 'inline') return source.event;
  const { Item } = await dynamo().send(
    new GetCommand({
      TableName: source.table,
      Key: { pk: source.runKey },
      ProjectionExpression: '#event',
      ExpressionAttributeNames: { '#event': 'event' },
      ConsistentRead: true,
    }),
  );
  if (!Item) throw new BatchObjectsError(`run ${source.runKey} not found in table ${source.table}`);
  const parsed = RunEventSchema.safeParse(Item);
  if (!parsed.success) throw new BatchObjectsError(`run ${source.runKey} in table ${source.table} has no event`, { cause: parsed.error });
  try {
    return JSON.parse(parsed.data.event) as unknown;
  } catch (error) {
    throw new BatchObjectsError(`run ${source.runKey} in table ${source.table}: its event is not JSON`, { cause: error });
  }
}
