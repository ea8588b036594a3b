/**
 * The audit table: one item per task delivery, claimed with a conditional write so a
 * redelivered message never notifies a task twice (see AuditStore.claimTask for the states).
 */
import { randomUUID } from 'node:crypto';
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { GetCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { AuditItemSchema, type AuditItem } from '../model';
import type { AuditStore } from '../ports';

export interface AuditStoreOptions {
  tableName: string;
  ttlDays: number;
  /** Injected for tests; a claim id identifies the holder of a lease. */
  newClaimId?: () => string;
}

const epochSeconds = (date: Date): number => Math.floor(date.getTime() / 1000);

export function createAuditStore(doc: DynamoDBDocumentClient, options: AuditStoreOptions): AuditStore {
  const { tableName, ttlDays } = options;
  const newClaimId = options.newClaimId ?? randomUUID;
  const ttlFor = (now: Date): number => epochSeconds(now) + ttlDays * 86_400;

  const get = async (key: string): Promise<AuditItem | undefined> => {
    const out = await doc.send(new GetCommand({ TableName: tableName, Key: { pk: key }, ConsistentRead: true }));
    return out.Item ? AuditItemSchema.parse(out.Item) : undefined;
  };

  return {
    get,

    async claimTask(claim, now, leaseSeconds) {
      const claimId = newClaimId();
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: claim.key },
            UpdateExpression:
              'SET #kind = :kind, eventId = :eventId, #cluster = :cluster, service = :service, taskArn = :taskArn, endpoint = :endpoint, ' +
              '#status = :inProgress, claimId = :claimId, leaseExpiresAt = :lease, claimedAt = :nowIso, updatedAt = :nowIso, #ttl = :ttl ' +
              'ADD claims :one',
            // Free, finished without delivery, or held by a claim whose lease ran out (its
            // holder crashed or timed out). DELIVERED is final; a live lease is left alone.
            ConditionExpression:
              'attribute_not_exists(pk) OR #status IN (:failed, :rejected) OR (#status = :inProgress AND leaseExpiresAt < :nowS)',
            ExpressionAttributeNames: { '#kind': 'kind', '#cluster': 'cluster', '#status': 'status', '#ttl': 'ttl' },
            ExpressionAttributeValues: {
              ':kind': 'task',
              ':eventId': claim.eventId,
              ':cluster': claim.cluster,
              ':service': claim.service,
              ':taskArn': claim.taskArn,
              ':endpoint': claim.endpoint,
              ':inProgress': 'IN_PROGRESS',
              ':failed': 'FAILED',
              ':rejected': 'REJECTED',
              ':claimId': claimId,
              ':lease': epochSeconds(now) + leaseSeconds,
              ':nowS': epochSeconds(now),
              ':nowIso': now.toISOString(),
              ':ttl': ttlFor(now),
              ':one': 1,
            },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          }),
        );
        return { kind: 'claimed', claimId };
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // The failure's Item is raw AttributeValues (and emulators may omit it): read the
        // item consistently instead, so both paths parse the same way.
        const held = await get(claim.key);
        if (!held) throw new Error(`audit item ${claim.key} failed its claim condition but cannot be read`, { cause: error });
        return { kind: 'held', item: held };
      }
    },

    async markDelivered(key, outcome, now) {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: key },
          UpdateExpression:
            'SET #status = :delivered, httpStatus = :httpStatus, latencyMs = :latency, deliveredAt = :nowIso, updatedAt = :nowIso ' +
            'ADD attempts :attempts REMOVE leaseExpiresAt, claimId',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':delivered': 'DELIVERED',
            ':httpStatus': outcome.httpStatus,
            ':latency': outcome.latencyMs,
            ':nowIso': now.toISOString(),
            ':attempts': outcome.attempts,
          },
        }),
      );
    },

    async markFailed(key, claimId, outcome, now) {
      try {
        await doc.send(
          new UpdateCommand({
            TableName: tableName,
            Key: { pk: key },
            UpdateExpression:
              'SET #status = :status, lastError = :lastError, latencyMs = :latency, updatedAt = :nowIso' +
              (outcome.httpStatus === undefined
                ? ' REMOVE httpStatus, leaseExpiresAt'
                : ', httpStatus = :httpStatus REMOVE leaseExpiresAt') +
              ' ADD attempts :attempts',
            ConditionExpression: 'claimId = :claimId',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: {
              ':status': outcome.status,
              ':lastError': outcome.lastError,
              ':latency': outcome.latencyMs,
              ':nowIso': now.toISOString(),
              ':attempts': outcome.attempts,
              ':claimId': claimId,
              ...(outcome.httpStatus === undefined ? {} : { ':httpStatus': outcome.httpStatus }),
            },
          }),
        );
      } catch (error) {
        // Another consumer re-claimed after our lease ran out: its record wins.
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
      }
    },

    async recordDiscoveryFailure(key, fields, now) {
      await doc.send(
        new UpdateCommand({
          TableName: tableName,
          Key: { pk: key },
          UpdateExpression:
            'SET #kind = :kind, eventId = :eventId, #cluster = :cluster, #status = :failed, lastError = :lastError, updatedAt = :nowIso, #ttl = :ttl' +
            (fields.service ? ', service = :service' : '') +
            ' ADD failures :one',
          ExpressionAttributeNames: { '#kind': 'kind', '#cluster': 'cluster', '#status': 'status', '#ttl': 'ttl' },
          ExpressionAttributeValues: {
            ':kind': fields.kind,
            ':eventId': fields.eventId,
            ':cluster': fields.cluster,
            ':failed': 'FAILED',
            ':lastError': fields.lastError,
            ':nowIso': now.toISOString(),
            ':ttl': ttlFor(now),
            ':one': 1,
            ...(fields.service ? { ':service': fields.service } : {}),
          },
        }),
      );
    },
  };
}
