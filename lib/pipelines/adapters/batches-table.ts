/**
 * The Batches table (layout in lib/contracts/messages.ts): which files of a batch arrived. One
 * `UpdateItem` per arrival; completeness is read from the item it returns.
 */
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import * as v from '../../shared/validation';
import { isConditionFailure } from './conditional-update';
import { BATCHES_BY_PIPELINE_INDEX } from './indexes';
import { queryAll } from './query-all';
import type { FileArrival } from '../../contracts/messages';
import type { CompletedBy } from '../../registry/pipeline-index';
import type { BatchItem, StoredObject } from '../batch';

export const OBJECT_ATTRIBUTE_PREFIX = 'obj_';

const StoredObjectSchema: v.Schema<StoredObject> = v.object({
  bucket: v.string(),
  key: v.string(),
  size: v.number(),
  etag: v.string(),
  versionId: v.string().optional(),
  sequencer: v.string().optional(),
  /** The sequencer right-padded to a fixed width, so DynamoDB compares it as S3 orders events. */
  sequencerOrder: v.string().optional(),
  eventTime: v.string().optional(),
  file: v.string().optional(),
});

const stringSet = v
  .instanceof(Set)
  .optional()
  .transform((set) => (set ? [...set].map(String).sort() : undefined));

const RawBatchItemSchema = v.looseObject({
  pk: v.string(),
  pipeline: v.string(),
  batchKey: v.string(),
  // A manifest batch's item may exist before any file of it arrived.
  arrived: stringSet,
  firstArrivalAt: v.string(),
  deadline: v.number(),
  openState: v.enum(['OPEN', 'OVERDUE', 'LATE']).optional(),
  overdueNotifiedAt: v.string().optional(),
  startedRunKey: v.string().optional(),
  startedFingerprint: v.string().optional(),
  completedBy: v.enum(['files', 'manifest', 'marker', 'quiet']).optional(),
  manifestKeys: stringSet,
  manifestOptionalKeys: stringSet,
  markerAt: v.string().optional(),
  ttl: v.number().optional(),
});

export class BatchItemError extends Error {
  override readonly name = 'BatchItemError';
}

export const batchPk = (pipeline: string, batchKey: string): string => `${pipeline}#${batchKey}`;

/** Validates a raw item: a malformed item is a bug or a hand edit, and must say which. */
export function parseBatchItem(raw: Record<string, unknown>): BatchItem {
  const parsed = RawBatchItemSchema.safeParse(raw);
  if (!parsed.success) {
    throw new BatchItemError(`Batches item ${String(raw.pk)} is malformed: ${v.prettifyError(parsed.error)}`, { cause: parsed.error });
  }
  const objects: Record<string, StoredObject> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (!name.startsWith(OBJECT_ATTRIBUTE_PREFIX)) continue;
    const object = StoredObjectSchema.safeParse(value);
    if (!object.success) throw new BatchItemError(`Batches item ${parsed.data.pk}: ${name} is malformed: ${v.prettifyError(object.error)}`);
    objects[name.slice(OBJECT_ATTRIBUTE_PREFIX.length)] = object.data;
  }
  const { pk, pipeline, batchKey, arrived, firstArrivalAt, deadline, openState, overdueNotifiedAt, startedRunKey, startedFingerprint } =
    parsed.data;
  const { completedBy, manifestKeys, manifestOptionalKeys, markerAt } = parsed.data;
  return {
    pk,
    pipeline,
    batchKey,
    arrived: arrived ?? [],
    ...(completedBy !== undefined ? { completedBy } : {}),
    ...(manifestKeys !== undefined ? { manifestKeys } : {}),
    ...(manifestOptionalKeys !== undefined ? { manifestOptionalKeys } : {}),
    ...(markerAt !== undefined ? { markerAt } : {}),
    objects,
    firstArrivalAt,
    deadline,
    openState,
    startedRunKey,
    startedFingerprint,
    ...(overdueNotifiedAt !== undefined ? { overdueNotifiedAt } : {}),
  };
}

export interface ArrivalContext {
  now: Date;
  windowMinutes: number;
  ttlDays: number;
  /**
   * Batches of unknown size: the object's key is its member name (`arrived`, `obj_<key>`) and
   * its map names the logical file. `quiet`: every arrival moves the deadline (the quiet period).
   */
  byKey?: { quiet: boolean };
}

/** A batch's manifest (the keys it lists) or its marker arrived. */
export interface CompletionObject {
  arrival: FileArrival;
  manifestKeys?: string[];
  manifestOptionalKeys?: string[];
}

export interface BatchesTable {
  /** Records one file of a batch and returns the whole item as it is now. */
  recordArrival(arrival: FileArrival, context: ArrivalContext): Promise<BatchItem>;
  /**
   * The second write per start: which run the batch started, and closes it for the sweeper.
   * `late`: the sweeper had reported the batch overdue; the batch moves to LATE so the
   * sweeper tells people it ran after all.
   */
  markStarted(
    pipeline: string,
    batchKey: string,
    started: { runKey: string; fingerprint: string; late?: boolean; completedBy?: CompletedBy },
  ): Promise<void>;
  /**
   * Records a batch's manifest (the keys it lists become its required set) or its marker, and
   * returns the whole item. A batch that already started keeps what it had.
   */
  recordCompletionObject(object: CompletionObject, context: ArrivalContext): Promise<BatchItem>;
  get(pipeline: string, batchKey: string): Promise<BatchItem | undefined>;
  /** Batch keys of a pipeline that have an item, in key order; `prefix` narrows them (index pipeline-batchKey). */
  listBatchKeys(pipeline: string, prefix?: string): Promise<string[]>;
}

const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);
const withoutUndefined = <T extends object>(value: T): T =>
  Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as T;

/**
 * S3 orders the events of one key by `sequencer`: right-pad the shorter with zeros, then
 * compare as text (S3 User Guide). A fixed width makes DynamoDB's string comparison do that.
 */
export const SEQUENCER_ORDER_WIDTH = 48;
export const sequencerOrder = (sequencer: string): string => sequencer.toUpperCase().padEnd(SEQUENCER_ORDER_WIDTH, '0');

export function batchesTable(client: DynamoDBDocumentClient, tableName: string): BatchesTable {
  return {
    async recordArrival(arrival, { now, windowMinutes, ttlDays, byKey }) {
      const nowSeconds = epochSeconds(now);
      const object = withoutUndefined({
        bucket: arrival.bucket,
        key: arrival.key,
        size: arrival.size,
        etag: arrival.etag,
        versionId: arrival.versionId,
        sequencer: arrival.sequencer,
        sequencerOrder: arrival.sequencer ? sequencerOrder(arrival.sequencer) : undefined,
        eventTime: arrival.eventTime,
        file: byKey ? arrival.file : undefined,
      });
      const member = byKey ? arrival.key : arrival.file;
      const pk = batchPk(arrival.pipeline, arrival.batchKey);
      // S3 may deliver an older event of a key after a newer one: the batch must keep the
      // newest object (its version is what the run reads), so an event that is not newer than
      // the stored one writes nothing and the batch is read as it is.
      const newerOnly = object.sequencerOrder
        ? { ConditionExpression: 'attribute_not_exists(#obj.#order) OR #obj.#order < :order', order: { ':order': object.sequencerOrder } }
        : undefined;
      let result;
      try {
        result = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk },
            ...(newerOnly ? { ConditionExpression: newerOnly.ConditionExpression } : {}),
            // Set semantics make a duplicate delivery harmless; the if_not_exists fields keep the
            // first arrival's window.
            UpdateExpression:
              'ADD #arrived :file SET #obj = :obj, #pipeline = :pipeline, #batchKey = :batchKey, ' +
              `#firstArrivalAt = if_not_exists(#firstArrivalAt, :nowIso), #deadline = ${byKey?.quiet ? ':deadline' : 'if_not_exists(#deadline, :deadline)'}, ` +
              '#openState = if_not_exists(#openState, :open), #ttl = :ttl',
            ExpressionAttributeNames: {
              '#arrived': 'arrived',
              '#obj': `${OBJECT_ATTRIBUTE_PREFIX}${member}`,
              '#pipeline': 'pipeline',
              '#batchKey': 'batchKey',
              '#firstArrivalAt': 'firstArrivalAt',
              '#deadline': 'deadline',
              '#openState': 'openState',
              '#ttl': 'ttl',
              ...(newerOnly ? { '#order': 'sequencerOrder' } : {}),
            },
            ExpressionAttributeValues: {
              ...newerOnly?.order,
              ':file': new Set([member]),
              ':obj': object,
              ':pipeline': arrival.pipeline,
              ':batchKey': arrival.batchKey,
              ':nowIso': now.toISOString(),
              ':deadline': nowSeconds + Math.round(windowMinutes * 60),
              ':open': 'OPEN',
              ':ttl': nowSeconds + ttlDays * 86_400,
            },
            ReturnValues: 'ALL_NEW',
          }),
        );
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        // A repeat or an older event of this file: the batch as it stands decides what follows.
        const current = await client.send(new GetCommand({ TableName: tableName, Key: { pk }, ConsistentRead: true }));
        if (!current.Item) throw new BatchItemError(`Batches item ${pk} failed its arrival condition but cannot be read`, { cause: error });
        return parseBatchItem(current.Item);
      }
      if (!result.Attributes) throw new BatchItemError(`UpdateItem on ${tableName} returned no attributes for ${pk}`);
      return parseBatchItem(result.Attributes);
    },

    async markStarted(pipeline, batchKey, { runKey, fingerprint, late, completedBy }) {
      const set = `SET #startedRunKey = :runKey, #startedFingerprint = :fingerprint${completedBy ? ', #completedBy = :completedBy' : ''}`;
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: batchPk(pipeline, batchKey) },
          UpdateExpression: late ? `${set}, #openState = :late` : `${set} REMOVE #openState`,
          ExpressionAttributeNames: {
            '#startedRunKey': 'startedRunKey',
            '#startedFingerprint': 'startedFingerprint',
            '#openState': 'openState',
            ...(completedBy ? { '#completedBy': 'completedBy' } : {}),
          },
          ExpressionAttributeValues: {
            ':runKey': runKey,
            ':fingerprint': fingerprint,
            ...(late ? { ':late': 'LATE' } : {}),
            ...(completedBy ? { ':completedBy': completedBy } : {}),
          },
        }),
      );
    },

    async recordCompletionObject({ arrival, manifestKeys, manifestOptionalKeys }, { now, windowMinutes, ttlDays }) {
      const optional = manifestOptionalKeys?.length ? manifestOptionalKeys : undefined;
      const nowSeconds = epochSeconds(now);
      const pk = batchPk(arrival.pipeline, arrival.batchKey);
      const role = arrival.role === 'manifest' ? 'manifest' : 'marker';
      const object = withoutUndefined({
        bucket: arrival.bucket,
        key: arrival.key,
        size: arrival.size,
        etag: arrival.etag,
        versionId: arrival.versionId,
        eventTime: arrival.eventTime,
      });
      const set =
        role === 'marker'
          ? '#markerAt = if_not_exists(#markerAt, :nowIso), #object = :object'
          : `#manifestKeys = :keys, #object = :object${optional ? ', #optional = :optional' : ''}`;
      const input = {
        TableName: tableName,
        Key: { pk },
        // Once started, the batch keeps the list it ran with.
        ConditionExpression: 'attribute_not_exists(#started)',
        UpdateExpression:
          `SET ${set}, #pipeline = :pipeline, #batchKey = :batchKey, #firstArrivalAt = if_not_exists(#firstArrivalAt, :nowIso), ` +
          '#deadline = if_not_exists(#deadline, :deadline), #openState = if_not_exists(#openState, :open), #ttl = :ttl',
        ExpressionAttributeNames: {
          ...(role === 'manifest' ? { '#manifestKeys': 'manifestKeys' } : { '#markerAt': 'markerAt' }),
          ...(optional ? { '#optional': 'manifestOptionalKeys' } : {}),
          '#object': `${role}Object`,
          '#started': 'startedRunKey',
          '#pipeline': 'pipeline',
          '#batchKey': 'batchKey',
          '#firstArrivalAt': 'firstArrivalAt',
          '#deadline': 'deadline',
          '#openState': 'openState',
          '#ttl': 'ttl',
        },
        ExpressionAttributeValues: {
          ...(role === 'manifest' ? { ':keys': new Set(manifestKeys ?? []) } : {}),
          ...(optional ? { ':optional': new Set(optional) } : {}),
          ':object': object,
          ':pipeline': arrival.pipeline,
          ':batchKey': arrival.batchKey,
          ':nowIso': now.toISOString(),
          ':deadline': nowSeconds + Math.round(windowMinutes * 60),
          ':open': 'OPEN',
          ':ttl': nowSeconds + ttlDays * 86_400,
        },
        ReturnValues: 'ALL_NEW' as const,
      };
      try {
        const result = await client.send(new UpdateCommand(input));
        if (!result.Attributes) throw new BatchItemError(`UpdateItem on ${tableName} returned no attributes for ${pk}`);
        return parseBatchItem(result.Attributes);
      } catch (error) {
        if (!isConditionFailure(error)) throw error;
        const current = await client.send(new GetCommand({ TableName: tableName, Key: { pk }, ConsistentRead: true }));
        if (!current.Item) throw new BatchItemError(`Batches item ${pk} failed its ${role} condition but cannot be read`, { cause: error });
        return parseBatchItem(current.Item);
      }
    },

    async listBatchKeys(pipeline, prefix) {
      return queryAll(
        client,
        {
          TableName: tableName,
          IndexName: BATCHES_BY_PIPELINE_INDEX,
          KeyConditionExpression: prefix ? '#pipeline = :pipeline AND begins_with(#batchKey, :prefix)' : '#pipeline = :pipeline',
          ExpressionAttributeNames: { '#pipeline': 'pipeline', ...(prefix ? { '#batchKey': 'batchKey' } : {}) },
          ExpressionAttributeValues: { ':pipeline': pipeline, ...(prefix ? { ':prefix': prefix } : {}) },
        },
        (raw) => v.object({ batchKey: v.string() }).parse(raw).batchKey,
      );
    },

    async get(pipeline, batchKey) {
      const result = await client.send(
        new GetCommand({ TableName: tableName, Key: { pk: batchPk(pipeline, batchKey) }, ConsistentRead: true }),
      );
      return result.Item ? parseBatchItem(result.Item) : undefined;
    },
  };
}
