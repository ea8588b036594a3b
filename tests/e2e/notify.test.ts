/**
 * `npm run demo:notify` as a test: the notifier scenario on a fresh local cloud (its queues'
 * timings shortened as the demo shortens them), with real task processes on the local ECS.
 */
import { freshLocalCloud } from '../../local/cloud/test-support';
import type { LocalCloud } from '../../local/cloud/start';
import { NOTIFY_OVERRIDES, runNotifyScenario, type NotifyResult } from '../../local/scenarios/notify/notify';

jest.setTimeout(180_000);

let cloud: LocalCloud;
let result: NotifyResult;
beforeAll(async () => {
  cloud = await freshLocalCloud({ resourceOverrides: NOTIFY_OVERRIDES });
  result = await runNotifyScenario(cloud);
});
afterAll(async () => {
  await cloud?.stop();
});

const auditOf = (service: string) => result.audit.filter((item) => item.service === service);

test('every labelled task is notified once; the unlabelled service is not', () => {
  expect(result.problems).toEqual([]);
  expect(result.tasks.map((t) => t.service).sort()).toEqual([
    'batch-runner',
    'cache-worker',
    'cache-worker',
    'cache-worker',
    'orders-api',
    'orders-api',
  ]);
  expect(auditOf('orders-api').map((item) => [item.status, item.claims, item.attempts])).toEqual([
    ['DELIVERED', 1, 1],
    ['DELIVERED', 1, 1],
  ]);
  expect(auditOf('batch-runner')).toEqual([]);
  expect(result.receipts.filter((r) => r.startsWith('batch-runner'))).toEqual([]);
});

test('receipts are the deliveries a task accepted, once per task; the 500 and the unanswered requests are listed as failed attempts', () => {
  const receivers = result.receipts.map((r) => r.split(': ')[0]);
  expect(receivers).toHaveLength(4);
  expect(new Set(receivers).size).toBe(4);
  expect(result.failedAttempts.filter((a) => a.includes('answered 500'))).toHaveLength(1);
  expect(result.failedAttempts.filter((a) => a.includes('never answering')).length).toBeGreaterThanOrEqual(1);
  // The task that answered 500 accepted the retry: it is among the receipts too.
  const retried = result.failedAttempts.find((a) => a.includes('answered 500'))!.split(': ')[0];
  expect(receivers).toContain(retried);
});

test('the task that answers 500 once is delivered on the retry; the one that never answers ends in the DLQ with its reason', () => {
  const cache = auditOf('cache-worker')
    .map((item) => [item.status, item.attempts])
    .sort();
  // Two receives of 3 attempts each for the silent task (maxReceiveCount 2, NOTIFY_MAX_ATTEMPTS 3).
  expect(cache).toEqual([
    ['DELIVERED', 1],
    ['DELIVERED', 2],
    ['FAILED', 6],
  ]);
  const failed = auditOf('cache-worker').find((item) => item.status === 'FAILED')!;
  expect(failed.lastError).toEqual(expect.stringContaining('NotifyTimeoutError'));
  expect(result.dead).toHaveLength(1);
  expect(`${result.dead[0]!.eventId}#${result.dead[0]!.taskArn}`).toBe(failed.pk);
});

test('discovery costs one ListServices and one DescribeServices for the whole cluster', () => {
  expect(result.ecsCalls).toMatchObject({ ListServices: 1, DescribeServices: 1 });
});
