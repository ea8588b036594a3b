/**
 * Notify one task, at most once per (event, task) as far as the audit table can tell.
 *
 * Primary course: claim the audit item (conditional write) → POST the signed payload with
 * retries → mark DELIVERED. Alternatives:
 * - item DELIVERED: a redelivered message; nothing is sent.
 * - item IN_PROGRESS with a live lease: another consumer is sending right now; fail this
 *   record so the queue brings it back after the visibility timeout (longer than the lease).
 * - item IN_PROGRESS with an expired lease: its holder crashed, possibly after the task got
 *   the POST but before DELIVERED was written. We claim and send again with the SAME
 *   idempotency key; the receiver's replay cache answers it without acting twice.
 * - 4xx (not 429): REJECTED with the answer as lastError, no retry in this receive.
 * - retries exhausted: FAILED with the last error; the record fails, and after the queue's
 *   maxReceiveCount the message lands in the DLQ. Its reason is the audit item's lastError.
 */
import { DeliveryInProgressError, NotifyFailedError, NotifyRejectedError, describeError } from './errors';
import {
  deliverWithRetries,
  deliveryBudgetMs,
  realSenderDeps,
  type DeliveryOutcome,
  type RetryPolicy,
  type SenderDeps,
} from './http-sender';
import { idempotencyKey, type TaskMessage } from './model';
import type { AuditStore, Clock, SigningKeySource } from './ports';
import { notificationHeaders } from './signing';

export interface NotifyTaskDeps {
  audit: AuditStore;
  keys: SigningKeySource;
  clock: Clock;
  policy: RetryPolicy;
  sender?: SenderDeps;
}

export type NotifyTaskResult =
  | { outcome: 'delivered'; key: string; attempts: number; latencyMs: number; httpStatus: number }
  | { outcome: 'already-delivered'; key: string };

/** A claim's lease covers the worst-case delivery plus a margin for the audit writes. */
export function leaseSecondsFor(policy: RetryPolicy): number {
  return Math.ceil(deliveryBudgetMs(policy) / 1000) + 10;
}

export function endpointUrl(message: Pick<TaskMessage, 'ip' | 'port' | 'uri'>): URL {
  const host = message.ip.includes(':') ? `[${message.ip}]` : message.ip;
  return new URL(`http://${host}:${message.port}${message.uri}`);
}

export async function notifyTask(message: TaskMessage, deps: NotifyTaskDeps): Promise<NotifyTaskResult> {
  const key = idempotencyKey(message.eventId, message.taskArn);
  const url = endpointUrl(message);
  const claim = await deps.audit.claimTask(
    { key, eventId: message.eventId, cluster: message.cluster, service: message.serviceName, taskArn: message.taskArn, endpoint: url.href },
    deps.clock.now(),
    leaseSecondsFor(deps.policy),
  );
  if (claim.kind === 'held') {
    if (claim.item.status === 'DELIVERED') return { outcome: 'already-delivered', key };
    throw new DeliveryInProgressError(`delivery ${key} is claimed by another consumer until ${claim.item.leaseExpiresAt ?? '?'} (epoch s)`);
  }

  const body = JSON.stringify(message.payload);
  let outcome: DeliveryOutcome;
  try {
    outcome = await deliverWithRetries(
      url,
      body,
      async (nowMs) => notificationHeaders(await deps.keys.currentKey(), nowMs, key, body),
      deps.policy,
      deps.sender ?? realSenderDeps,
    );
  } catch (error) {
    // Not an HTTP failure (e.g. the signing key could not be read): release the claim
    // with the reason so a redelivery can try again at once.
    await deps.audit.markFailed(
      key,
      claim.claimId,
      { status: 'FAILED', attempts: 0, latencyMs: 0, lastError: describeError(error) },
      deps.clock.now(),
    );
    throw error;
  }

  const now = deps.clock.now();
  switch (outcome.kind) {
    case 'delivered':
      await deps.audit.markDelivered(
        key,
        { attempts: outcome.attempts, httpStatus: outcome.httpStatus, latencyMs: outcome.latencyMs },
        now,
      );
      return { outcome: 'delivered', key, attempts: outcome.attempts, latencyMs: outcome.latencyMs, httpStatus: outcome.httpStatus };
    case 'rejected':
      await deps.audit.markFailed(key, claim.claimId, { status: 'REJECTED', ...outcome }, now);
      throw new NotifyRejectedError(`task ${message.taskArn} rejected the notification: ${outcome.lastError}`);
    case 'exhausted':
      await deps.audit.markFailed(key, claim.claimId, { status: 'FAILED', ...outcome }, now);
      throw new NotifyFailedError(
        `task ${message.taskArn} at ${url.host} not reached after ${outcome.attempts} attempts: ${outcome.lastError}`,
      );
  }
}
