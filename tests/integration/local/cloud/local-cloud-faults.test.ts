/**
 * Faults through the whole local cloud: the real state machine, local ECS, handlers and the
 * stuck-callback guard. The container's command is replaced for one task (ecs.injectTaskCommand);
 * the task token, overrides and events stay real. Time is scaled so a 120 s heartbeat is short.
 */
import { DescribeExecutionCommand, ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { freshLocalCloud, waitFor } from '../../../../local/cloud/test-support';
import { uploadFixture } from '../../../../local/scenarios/demo/demo';
import { describeExecutionDetail } from '../../../../local/console/server';
import type { LocalCloud } from '../../../../local/cloud/start';

jest.setTimeout(300_000);

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await freshLocalCloud({ timeScale: 0.02 });
});
afterAll(async () => {
  await cloud?.stop();
});

/** Uploads a complete orders-daily batch for `date` and returns its closed execution. */
async function runBatch(date: string) {
  await uploadFixture(cloud, { fixture: 'customers-2026-11-20.csv', key: `incoming/acme/customers-${date}.csv`, why: '' });
  await uploadFixture(cloud, { fixture: 'orders-2026-11-20.csv', key: `incoming/acme/orders-${date}.csv`, why: '' });
  const arn = await waitFor(`the execution of ${date}`, async () => {
    const out = await cloud.clients.sfn!.send(new ListExecutionsCommand({ stateMachineArn: cloud.resources.stateMachineArn }));
    return out.executions?.find((e) => e.name!.includes(date))?.executionArn;
  });
  await waitFor(
    `the execution of ${date} to close`,
    async () => {
      const d = await cloud.clients.sfn!.send(new DescribeExecutionCommand({ executionArn: arn }));
      return d.status === 'RUNNING' ? undefined : d.status;
    },
    120_000,
  );
  return describeExecutionDetail(cloud.clients.sfn!, arn);
}

const taskState = (detail: Awaited<ReturnType<typeof runBatch>>) =>
  detail.view.rows.find((r) => r.name === 'Run ECS Task And Wait For Callback');

test('a container that exits 1 before calling back fails the run through the stuck-callback guard', async () => {
  cloud.ecs.injectTaskCommand(['node', '-e', 'process.exit(1)']);
  const detail = await runBatch('2026-09-01');
  expect(detail.status).toBe('FAILED');
  expect(taskState(detail)?.error).toBeDefined();
  expect(taskState(detail)?.cause).toMatch(/exit|Essential container/i);
});

test('a container that hangs without heartbeats fails with States.HeartbeatTimeout and is stopped', async () => {
  const stopped: string[] = [];
  cloud.ecs.events.on('taskStateChange', (e) => {
    if ((e.detail as { lastStatus?: string }).lastStatus === 'STOPPED') stopped.push(e.resources[0]!);
  });
  cloud.ecs.injectTaskCommand(['node', '-e', 'setInterval(() => {}, 1000)']);
  const detail = await runBatch('2026-09-02');
  expect(detail.status).toBe('FAILED');
  expect(taskState(detail)?.error).toBe('States.HeartbeatTimeout');
  await waitFor('the hung task to be stopped', async () => (stopped.length ? true : undefined));
});

test('a container killed before it calls back fails the execution through the guard', async () => {
  cloud.ecs.injectTaskCommand(['node', '-e', 'setInterval(() => {}, 1000)']);
  const killer = (e: { detail: unknown; resources: string[] }) => {
    if ((e.detail as { lastStatus?: string }).lastStatus === 'RUNNING') cloud.ecs.ecs.stopTask(e.resources[0]!, 'killed by the test');
  };
  cloud.ecs.events.on('taskStateChange', killer);
  const detail = await runBatch('2026-09-03');
  cloud.ecs.events.off('taskStateChange', killer);
  expect(detail.status).toBe('FAILED');
  expect(taskState(detail)?.error).not.toBe('States.HeartbeatTimeout');
  expect(taskState(detail)?.cause).toMatch(/stop|killed|exit/i);
});
