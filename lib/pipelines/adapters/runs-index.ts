/**
 * Queries of the Runs table's pipeline + requestedAt index: a pipeline's recent runs (the
 * "list runs" command) and its runs still going past their max runtime (the sweeper).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { queryAll } from './query-all';
import { updateIf } from './conditional-update';
import * as v from '../../shared/validation';
import { RunItemSchema } from './runs-table';
import { RUNS_BY_PIPELINE_INDEX } from './indexes';

/** A Runs item as listed: the lock's fields plus what the state machine recorded. */
export const ListedRunSchema = RunItemSchema.extend({
  startedAt: v.string().optional(),
  endedAt: v.string().optional(),
  durationMs: v.number().optional(),
  overrunNotifiedAt: v.string().optional(),
  /** While QUEUED: since when, and the place in the arrival order. */
  queuedAt: v.string().optional(),
  queueSeq: v.number().optional(),
  result: v
    .looseObject({
      status: v.string().optional(),
      errorClass: v.string().nullish(),
      errorMessage: v.string().nullish(),
      recordsAffected: v.number().nullish(),
      /** The run's estimated cost (lib/pipelines/runs/run-cost.ts); null without prices for the region. */
      cost: v
        .looseObject({
          usd: v.number(),
          tasksUsd: v.number(),
          transitionsUsd: v.number(),
          transitions: v.number(),
          taskSeconds: v.number(),
          retriedTaskSeconds: v.number().optional(),
        })
        .nullish(),
      shards: v.array(v.looseObject({ index: v.number() })).optional(),
    })
    .optional(),
});
export type ListedRun = v.Infer<typeof ListedRunSchema>;

export class ListedRunError extends Error {
  override readonly name = 'ListedRunError';
}

export function parseListedRun(raw: Record<string, unknown>): ListedRun {
  const parsed = ListedRunSchema.safeParse(raw);
  if (!parsed.success)
    throw new ListedRunError(`Runs item ${String(raw.pk)} is malformed: ${v.prettifyError(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}

export interface RunsIndex {
  /** The pipeline's runs requested in [since, until] (ISO), newest first, at most `limit`. */
  recent(pipeline: string, options: { since?: string; until?: string; limit: number }): Promise<ListedRun[]>;
  /** Runs requested before `requestedBefore` (ISO) and after `since`, still STARTING or RUNNING, not yet reported. */
  unfinishedBefore(pipeline: string, requestedBefore: string, since: string): Promise<ListedRun[]>;
  /** Records that the overrun was reported; false when it was already, or the run finished. */
  markOverrunNotified(runKey: string, at: Date): Promise<boolean>;
  /** Undoes it when the notice could not be sent, so the next pass retries. */
  unmarkOverrunNotified(runKey: string, at: Date): Promise<void>;
}

export function runsIndex(client: DynamoDBDocumentClient, tableName: string): RunsIndex {
  return {
    recent: (pipeline, { since = '0000', until = '9999', limit }) =>
      queryAll(
        client,
        {
          TableName: tableName,
          IndexName: RUNS_BY_PIPELINE_INDEX,
          KeyConditionExpression: '#pipeline = :pipeline AND #requestedAt BETWEEN :since AND :until',
          ExpressionAttributeNames: { '#pipeline': 'pipeline', '#requestedAt': 'requestedAt' },
          ExpressionAttributeValues: { ':pipeline': pipeline, ':since': since, ':until': until },
          ScanIndexForward: false,
        },
        parseListedRun,
        limit,
      ),

    unfinishedBefore: (pipeline, requestedBefore, since) =>
      queryAll(
        client,
        {
          TableName: tableName,
          IndexName: RUNS_BY_PIPELINE_INDEX,
          KeyConditionExpression: '#pipeline = :pipeline AND #requestedAt BETWEEN :since AND :before',
          FilterExpression: '#status IN (:starting, :running) AND attribute_not_exists(#notified)',
          ExpressionAttributeNames: {
            '#pipeline': 'pipeline',
            '#requestedAt': 'requestedAt',
            '#status': 'status',
            '#notified': 'overrunNotifiedAt',
          },
          ExpressionAttributeValues: {
            ':pipeline': pipeline,
            ':since': since,
            ':before': requestedBefore,
            ':starting': 'STARTING',
            ':running': 'RUNNING',
          },
        },
        parseListedRun,
      ),

    async markOverrunNotified(runKey, at) {
      return updateIf(client, {
        TableName: tableName,
        Key: { pk: runKey },
        UpdateExpression: 'SET #notified = :at',
        ConditionExpression: '#status IN (:starting, :running) AND attribute_not_exists(#notified)',
        ExpressionAttributeNames: { '#notified': 'overrunNotifiedAt', '#status': 'status' },
        ExpressionAttributeValues: { ':at': at.toISOString(), ':starting': 'STARTING', ':running': 'RUNNING' },
      });
    },

    async unmarkOverrunNotified(runKey, at) {
      await updateIf(client, {
        TableName: tableName,
        Key: { pk: runKey },
        UpdateExpression: 'REMOVE #notified',
        ConditionExpression: '#notified = :at',
        ExpressionAttributeNames: { '#notified': 'overrunNotifiedAt' },
        ExpressionAttributeValues: { ':at': at.toISOString() },
      });
    },
  };
}
