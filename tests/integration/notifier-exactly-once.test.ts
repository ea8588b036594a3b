/**
 * Exactly-once delivery per task under redelivery, against dynalite (real conditional
 * writes) and the sample container's notify endpoint (real receiver): duplicates and
 * concurrent copies of a task message reach the task once; a crash between the POST and
 * the DELIVERED write is recovered after the lease with the same idempotency key, which
 * the receiver answers as a duplicate.
 */
import { startNotifyEndpoint, type NotifyEndpoint } from '../../container/sample/notify-endpoint';
import { startAuditDynalite, type AuditDynalite } from '../helpers/dynalite';
import { createAuditStore } from '../../lib/notifier/adapters/audit-table';
import { DeliveryInProgressError, NotifyFailedError } from '../../lib/notifier/errors';
import type { TaskMessage } from '../../lib/notifier/model';
import { leaseSecondsFor, notifyTask, type NotifyTaskDeps } from '../../lib/notifier/notify-task';
import type { AuditStore } from '../../lib/notifier/ports';

const KEY = 'integration-signing-key-'.padEnd(64, 'k');
let emulators: AuditDynalite;
let endpoint: NotifyEndpoint;
let handled: string[];
let failNext: number;
let audit: AuditStore;
let nowMs: number;

beforeAll(async () => {
  emulators = await startAuditDynalite();
  endpoint = await startNotifyEndpoint({
    host: '127.0.0.1',
    port: 0,
    path: '/notify',
    secrets: [KEY],
    log: () => undefined,
    onNotification: (n) => {
      if (failNext > 0) {
        failNext -= 1;
        throw new Error('task is busy');
      }
      handled.push(n.idempotencyKey);
    },
  });
});
afterAll(async () => {
  endpoint.server.closeAllConnections();
  await endpoint.close();
  await emulators.stop();
});
beforeEach(() => {
  handled = [];
  failNext = 0;
  nowMs = Date.UTC(2026, 0, 5, 12);
  audit = createAuditStore(emulators.dynamo, { tableName: emulators.auditTable, ttlDays: 14 });
});

let counter = 0;
function taskMessage(): TaskMessage {
  counter += 1;
  const port = Number(new URL(endpoint.url).port);
  return {
    eventId: `evt-${counter}`,
    cluster: 'local',
    serviceName: 'web',
    taskArn: `arn:aws:ecs:us-east-1:123456789012:task/local/task${counter}`,
    container: 'web',
    ip: '127.0.0.1',
    port,
    uri: '/notify',
    addressing: 'awsvpc',
    payload: { action: 'reload' },
  };
}

const deps = (overrides: Partial<NotifyTaskDeps> = {}): NotifyTaskDeps => ({
  audit,
  keys: { currentKey: async () => KEY },
  // The signature's timestamp uses the real clock (the receiver checks it); the audit's
  // lease uses this controllable one.
  clock: { now: () => new Date(nowMs) },
  policy: { maxAttempts: 2, timeoutMs: 1_000, baseDelayMs: 1, maxDelayMs: 5 },
  ...overrides,
});

describe('notifyTask exactly once per task', () => {
  it('notifies once when the same message is delivered twice', async () => {
    const message = taskMessage();

    const first = await notifyTask(message, deps());
    const second = await notifyTask(message, deps());

    expect(first).toMatchObject({ outcome: 'delivered', attempts: 1, httpStatus: 204 });
    expect(second).toEqual({ outcome: 'already-delivered', key: first.key });
    expect(handled).toEqual([`${message.eventId}#${message.taskArn}`]);
    expect(await audit.get(first.key)).toMatchObject({
      status: 'DELIVERED',
      claims: 1,
      attempts: 1,
      httpStatus: 204,
      endpoint: expect.stringContaining('/notify'),
    });
  });

  it('notifies once when five copies arrive at the same time', async () => {
    const message = taskMessage();

    const results = await Promise.allSettled(Array.from({ length: 5 }, () => notifyTask(message, deps())));
    const retried = await Promise.all(results.filter((r) => r.status === 'rejected').map(() => notifyTask(message, deps())));

    const delivered = results.filter((r) => r.status === 'fulfilled' && r.value.outcome === 'delivered');
    expect(delivered).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(DeliveryInProgressError);
    expect(retried.every((r) => r.outcome === 'already-delivered')).toBe(true);
    expect(handled).toHaveLength(1);
  });

  it('recovers a crash between the POST and DELIVERED without acting twice', async () => {
    const message = taskMessage();
    const crashing: AuditStore = { ...audit, markDelivered: async () => Promise.reject(new Error('Lambda timed out')) };

    await expect(notifyTask(message, deps({ audit: crashing }))).rejects.toThrow('Lambda timed out');
    // Redelivered while the crashed claim's lease still runs: nothing is sent.
    await expect(notifyTask(message, deps())).rejects.toBeInstanceOf(DeliveryInProgressError);
    // After the lease: claimed again, sent again with the same key, answered as duplicate.
    nowMs += (leaseSecondsFor(deps().policy) + 1) * 1000;
    const recovered = await notifyTask(message, deps());

    expect(recovered).toMatchObject({ outcome: 'delivered', httpStatus: 200 });
    expect(handled).toEqual([`${message.eventId}#${message.taskArn}`]);
    expect(await audit.get(recovered.key)).toMatchObject({ status: 'DELIVERED', claims: 2 });
  });

  it('records the last error when retries run out, and a redelivery can still succeed', async () => {
    const message = taskMessage();
    failNext = 2;

    await expect(notifyTask(message, deps())).rejects.toBeInstanceOf(NotifyFailedError);
    const failed = await audit.get(`${message.eventId}#${message.taskArn}`);
    const redelivered = await notifyTask(message, deps());

    expect(failed).toMatchObject({ status: 'FAILED', attempts: 2, httpStatus: 500, lastError: expect.stringContaining('handler-failed') });
    expect(redelivered).toMatchObject({ outcome: 'delivered' });
    expect(await audit.get(redelivered.key)).toMatchObject({ status: 'DELIVERED', claims: 2, attempts: 3 });
    expect(handled).toHaveLength(1);
  });
});
