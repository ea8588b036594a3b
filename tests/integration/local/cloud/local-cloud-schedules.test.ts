/**
 * Schedules through the local cloud, end to end: the schedule fired by the local scheduler
 * and the documented manual command (`sls invoke local -f startPipeline` with a schedule
 * event) each start a run of the real state machine, whose containers (the sample pipeline,
 * built) run without files and succeed; a schedule whose batch is incomplete at fire time
 * tells the operators instead of running (orders-daily, whenIncomplete: notify).
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { freshLocalCloud, projectRoot, waitFor } from '../../../../local/cloud/test-support';
import { uploadFixture } from '../../../../local/scenarios/demo/demo';
import type { LocalCloud } from '../../../../local/cloud/start';
import { scheduleLogicalId } from '../../../../stack/schedules';

jest.setTimeout(300_000);
const run = promisify(execFile);

let cloud: LocalCloud & { scratch: string };
let endpointsFile: string;
const workFolder = `.esbuild-schedules-${process.pid}`;
beforeAll(async () => {
  // The local ECS runs the sample container's bundle: build it from the sources under test.
  execFileSync(process.execPath, [join(projectRoot, 'container/build.mjs')], { stdio: 'pipe' });
  // Its own endpoints file: a developer's `npm run local` may be running beside the tests.
  endpointsFile = join(mkdtempSync(join(tmpdir(), 'local-cloud-endpoints-')), 'endpoints.json');
  process.env.LOCAL_CLOUD_ENDPOINTS_FILE = endpointsFile;
  cloud = await freshLocalCloud({ writeEndpoints: true });
});
afterAll(async () => {
  await cloud?.stop();
  delete process.env.LOCAL_CLOUD_ENDPOINTS_FILE;
  rmSync(join(projectRoot, workFolder), { recursive: true, force: true });
});

const runItem = async (runKey: string) => {
  const out = await cloud.clients.documents.send(new GetCommand({ TableName: cloud.resources.tables.RunsTable!, Key: { pk: runKey } }));
  return out.Item;
};

/** The run's final Runs item, once the state machine recorded its outcome. */
const finishedRun = (runKey: string) =>
  waitFor(
    `run ${runKey} to finish`,
    async () => {
      const item = await runItem(runKey);
      return item && (item.status === 'SUCCEEDED' || item.status === 'FAILED') ? item : undefined;
    },
    120_000,
  );

/** Fires the EventBridge Scheduler schedule of a pipeline as if its time had come. */
function fireScheduleOf(pipeline: string, time: Date) {
  cloud.wiring.fireSchedule(scheduleLogicalId(pipeline), time);
}

test('the inventory-snapshot schedule fired by the local scheduler runs the pipeline without files and succeeds', async () => {
  // Act: 06:00 in Berlin (05:00 UTC) has come; no region sent yesterday's snapshot (whenIncomplete: run).
  fireScheduleOf('inventory-snapshot', new Date('2026-11-20T05:00:00Z'));
  // Assess: one run keyed by the fire minute, SUCCEEDED; the scheduled time reached the run.
  const item = await finishedRun('inventory-snapshot#schedule#2026-11-20T05:00Z');
  expect(item).toMatchObject({
    pipeline: 'inventory-snapshot',
    trigger: 'schedule',
    status: 'SUCCEEDED',
    scheduledTime: '2026-11-20T05:00:00.000Z',
  });
  // A sync launch reports through its exit code: both shards' containers exited 0.
  expect((item.result as { shards: Array<{ exitCode?: number }> }).shards.map((shard) => shard.exitCode)).toEqual([0, 0]);
  const execution = await cloud.clients.sfn!.send(new DescribeExecutionCommand({ executionArn: item.executionArn as string }));
  expect(execution.status).toBe('SUCCEEDED');
});

test('the documented manual command starts a schedule run that succeeds', async () => {
  const before = new Date();
  // Act: exactly the README's command, against this cloud.
  const { stdout } = await run(
    join(projectRoot, 'node_modules/.bin/sls'),
    ['invoke', 'local', '--stage', 'local', '-f', 'startPipeline', '--data', '{"pipeline":"inventory-snapshot","trigger":"schedule"}'],
    {
      cwd: projectRoot,
      // Its own esbuild work folder: another test may run `sls invoke local` at the same time.
      env: {
        ...process.env,
        LOCAL_CLOUD_ENDPOINTS_FILE: endpointsFile,
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        SLS_ESBUILD_WORK_FOLDER: workFolder,
      },
    },
  );
  // Assess: this invocation started a run of its minute (the clock's, as no fire time was given), which succeeded.
  expect(stdout).toMatch(/"action": "started"/);
  const minutes = [before, new Date()].map((d) => `inventory-snapshot#schedule#${d.toISOString().slice(0, 16)}Z`);
  const runKey = await waitFor('the run of the manual schedule start', async () => {
    for (const key of new Set(minutes)) if (await runItem(key)) return key;
    return undefined;
  });
  const item = await finishedRun(runKey);
  expect(item).toMatchObject({ trigger: 'schedule', status: 'SUCCEEDED' });
});

test("the orders-daily schedule with yesterday's batch incomplete tells the operators and runs nothing", async () => {
  // Prepare: only the orders of the 19th arrived.
  await uploadFixture(cloud, { fixture: 'orders-2026-11-20.csv', key: 'incoming/acme/orders-2026-11-19.csv', why: '' });
  await waitFor('the batch of the 19th', async () => {
    const out = await cloud.clients.documents.send(
      new GetCommand({ TableName: cloud.resources.tables.BatchesTable!, Key: { pk: 'orders-daily#2026-11-19' } }),
    );
    return out.Item;
  });
  // Act: the 07:00 (Berlin) firing of the 20th.
  fireScheduleOf('orders-daily', new Date('2026-11-20T06:00:00Z'));
  // Assess: one notice through the function's SNS publish, and no run of the batch.
  const notice = await waitFor('the notice', async () =>
    cloud.monitoring.notices().find((n) => n.attributes.kind?.StringValue === 'batch-incomplete-at-schedule'),
  );
  expect(notice.subject).toBe('[ecs-pipelines local] WARNING: orders-daily 2026-11-19: incomplete at schedule, missing customers');
  expect(Object.fromEntries(Object.entries(notice.attributes).map(([k, a]) => [k, a.StringValue]))).toMatchObject({
    pipeline: 'orders-daily',
    severity: 'WARNING',
  });
  await cloud.wiring.drain();
  expect(await runItem('orders-daily#2026-11-19')).toBeUndefined();
});
