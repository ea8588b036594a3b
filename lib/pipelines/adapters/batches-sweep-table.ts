/**
 * The sweeper's operations on the Batches table: QUERIES of the sparse openState + deadline
 * index (never a scan), and the conditional writes that make each notice go out once.
 */
import { UpdateCommand, type DynamoDBDocumentClient, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { isConditionFailure, updateIf } from './conditional-update';
import { queryAll } from './query-all';
import type { BatchItem } from '../batch';
import { parseBatchItem } from './batches-table';
import { BATCHES_OPEN_INDEX } from './indexes';

export type OverdueReason = 'incomplete' | 'not-started';

export interface BatchesSweepTable {
  /** Batches still OPEN whose deadline (epoch s) is before `before`, oldest deadline first. */
  openPastDeadline(before: number): Promise<BatchItem[]>;
  /** Batches that completed after being reported overdue (openState LATE). */
  late(): Promise<BatchItem[]>;
  /**
   * OPEN → OVERDUE with overdueNotifiedAt, only if the batch is still open, not started and
   * (for `incomplete`) still misses at least one of `requiredFiles`. Returns the item as
   * written, or undefined when another writer got there first (it completed, or another
   * sweeper reported it).
   */
  markOverdue(
    item: BatchItem,
    change: {
      at: Date;
      reason: OverdueReason;
      requiredFiles: readonly string[];
      /** Batches of unknown size still without their manifest or marker: still without it at the write. */
      waitingFor?: 'manifest' | 'marker';
    },
  ): Promise<BatchItem | undefined>;
  /** Undoes markOverdue when the notice could not be sent, so the next pass retries it. */
  unmarkOverdue(item: BatchItem, at: Date): Promise<void>;
  /** LATE → no openState, once the late notice went out; false when someone else did it. */
  clearLate(item: BatchItem): Promise<boolean>;
  /** Puts LATE back when the late notice could not be sent (only if nothing else set a state). */
  restoreLate(item: BatchItem): Promise<void>;
  /**
   * OPEN → no openState for a batch whose run started: a delivery after the start re-creates
   * openState (the arrival write cannot see the start), and closing it here keeps that write
   * off the arrival path. False when it changed in between.
   */
  closeStarted(item: BatchItem): Promise<boolean>;
  /**
   * A quiet batch whose quiet period passed: records completedBy = quiet, only if its deadline
   * is still the one read (no file arrived since) and no run started. The item as written, or
   * undefined when it changed.
   */
  claimQuiet(item: BatchItem, at: Date): Promise<BatchItem | undefined>;
}

export function batchesSweepTable(client: DynamoDBDocumentClient, tableName: string): BatchesSweepTable {
  const queryOpen = (input: Omit<QueryCommandInput, 'TableName' | 'IndexName'>): Promise<BatchItem[]> =>
    queryAll(client, { TableName: tableName, IndexName: BATCHES_OPEN_INDEX, ...input }, parseBatchItem);

  return {
    async closeStarted(item) {
      return updateIf(client, {
        TableName: tableName,
        Key: { pk: item.pk },
        UpdateExpression: 'REMOVE #openState',
        ConditionExpression: '#openState = :open AND attribute_exists(#started)',
        ExpressionAttributeNames: { '#openState': 'openState', '#started': 'startedRunKey' },
        ExpressionAttributeValues: { ':open': 'OPEN' },
      });
    },

    async claimQuiet(item, at) {
      try {
        const result = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: item.pk },
            UpdateExpression: 'SET #completedBy = :quiet, #claimedAt = if_not_exists(#claimedAt, :at)',
            ConditionExpression: '#deadline = :deadline AND attribute_not_exists(#started)',
            ExpressionAttributeNames: {
              '#completedBy': 'completedBy',
              '#claimedAt': 'quietClaimedAt',
              '#deadline': 'deadline',
              '#started': 'startedRunKey',
            },
            ExpressionAttributeValues: { ':quiet': 'quiet', ':at': at.toISOString(), ':deadline': item.deadline },
            ReturnValues: 'ALL_NEW',
          }),
        );
        return result.Attributes ? parseBatchItem(result.Attributes) : undefined;
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },

    openPastDeadline: (before) =>
      queryOpen({
        KeyConditionExpression: '#openState = :open AND #deadline < :before',
        ExpressionAttributeNames: { '#openState': 'openState', '#deadline': 'deadline' },
        ExpressionAttributeValues: { ':open': 'OPEN', ':before': before },
      }),

    late: () =>
      queryOpen({
        KeyConditionExpression: '#openState = :late',
        ExpressionAttributeNames: { '#openState': 'openState' },
        ExpressionAttributeValues: { ':late': 'LATE' },
      }),

    async markOverdue(item, { at, reason, requiredFiles, waitingFor }) {
      const names: Record<string, string> = {
        '#openState': 'openState',
        '#notified': 'overdueNotifiedAt',
        '#reason': 'overdueReason',
        '#started': 'startedRunKey',
      };
      const values: Record<string, unknown> = { ':open': 'OPEN', ':overdue': 'OVERDUE', ':at': at.toISOString(), ':reason': reason };
      let condition = '#openState = :open AND attribute_not_exists(#started)';
      if (reason === 'incomplete' && waitingFor) {
        // Still without its manifest or marker at the moment of the write.
        names['#awaited'] = waitingFor === 'manifest' ? 'manifestKeys' : 'markerAt';
        condition += ' AND attribute_not_exists(#awaited)';
      } else if (reason === 'incomplete' && requiredFiles.length > 0) {
        // Still incomplete at the moment of the write: a file that completed the batch in
        // between makes this fail, and the batch runs without a false alarm.
        names['#arrived'] = 'arrived';
        const stillMissing = requiredFiles.map((file, i) => {
          values[`:f${i}`] = file;
          return `NOT contains(#arrived, :f${i})`;
        });
        condition += ` AND (${stillMissing.join(' OR ')})`;
      }
      try {
        const result = await client.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: item.pk },
            UpdateExpression: 'SET #openState = :overdue, #notified = :at, #reason = :reason',
            ConditionExpression: condition,
            ExpressionAttributeNames: names,
            ExpressionAttributeValues: values,
            ReturnValues: 'ALL_NEW',
          }),
        );
        return result.Attributes ? parseBatchItem(result.Attributes) : undefined;
      } catch (error) {
        if (isConditionFailure(error)) return undefined;
        throw error;
      }
    },

    async unmarkOverdue(item, at) {
      // It completed meanwhile: nothing to retry.
      await updateIf(client, {
        TableName: tableName,
        Key: { pk: item.pk },
        UpdateExpression: 'SET #openState = :open REMOVE #notified, #reason',
        ConditionExpression: '#openState = :overdue AND #notified = :at',
        ExpressionAttributeNames: { '#openState': 'openState', '#notified': 'overdueNotifiedAt', '#reason': 'overdueReason' },
        ExpressionAttributeValues: { ':open': 'OPEN', ':overdue': 'OVERDUE', ':at': at.toISOString() },
      });
    },

    async clearLate(item) {
      return updateIf(client, {
        TableName: tableName,
        Key: { pk: item.pk },
        UpdateExpression: 'REMOVE #openState',
        ConditionExpression: '#openState = :late',
        ExpressionAttributeNames: { '#openState': 'openState' },
        ExpressionAttributeValues: { ':late': 'LATE' },
      });
    },

    async restoreLate(item) {
      await updateIf(client, {
        TableName: tableName,
        Key: { pk: item.pk },
        UpdateExpression: 'SET #openState = :late',
        ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(#openState)',
        ExpressionAttributeNames: { '#openState': 'openState' },
        ExpressionAttributeValues: { ':late': 'LATE' },
      });
    },
  };
}
