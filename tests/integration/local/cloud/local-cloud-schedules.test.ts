/**
 * Schedules through the local cloud, end to end: the schedule rule fired by the local
 * scheduler and the documented manual command (`sls invoke local -f startPipeline` with a
 * schedule event) each start a run of the real state machine, whose containers (the sample
 * pipeline, built) run without files and succeed.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { freshLocalCloud, projectRoot, waitFor } from '../../../../local/cloud/test-support';
import type { LocalCloud } from '../../../../local/cloud/start';

jest.setTimeout(300_000);
const run = promisify(execFile);

let cloud: LocalCloud & { scratch: string };
let endpointsFile: string;
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
});

const runItem = async (runKey: string) => {
  const out = await cloud.clients.documents.send(new GetCommand({ TableName: cloud.resources.tables.RunsTable!, Key: { pk: runKey } }));
  return out.Item;
};

/** The run's final Runs item, once the state machine recorded its outcome. */
const finishedRun = (runKey: string) =>
  waitFor(`run ${runKey} to finish`, async () => {
    const item = await runItem(runKey);
    return item && (item.status === 'SUCCEEDED' || item.status === 'FAILED') ? item : undefined;
  }, 120_000);

test('the inventory-snapshot schedule fired by the local scheduler runs the pipeline without files and succeeds', async () => {
  // Act: the schedule rule's time has come.
  const rule = cloud.resolver.resources('AWS::Events::Rule').find(([, r]) => (r.Properties as { ScheduleExpression?: string }).ScheduleExpression)!;
  cloud.wiring.fireSchedule(rule[0], new Date('2026-11-20T06:00:00Z'));
  // Assess: one run keyed by the fire minute, SUCCEEDED; the fire time reached the run.
  const item = await finishedRun('inventory-snapshot#schedule#2026-11-20T06:00Z');
  expect(item).toMatchObject({ pipeline: 'inventory-snapshot', trigger: 'schedule', status: 'SUCCEEDED', scheduledTime: '2026-11-20T06:00:00.000Z' });
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
    { cwd: projectRoot, env: { ...process.env, LOCAL_CLOUD_ENDPOINTS_FILE: endpointsFile, SLS_TELEMETRY_DISABLED: '1', SLS_NOTIFICATIONS_MODE: 'off' } },
  );
  // Assess: this invocation started a run of its minute (the clock's, as no fire time was given), which succeeded.
  expect(stdout).toMatch(/"status": "started"/);
  const minutes = [before, new Date()].map((d) => `inventory-snapshot#schedule#${d.toISOString().slice(0, 16)}Z`);
  const runKey = await waitFor('the run of the manual schedule start', async () => {
    for (const key of new Set(minutes)) if (await runItem(key)) return key;
    return undefined;
  });
  const item = await finishedRun(runKey);
  expect(item).toMatchObject({ trigger: 'schedule', status: 'SUCCEEDED' });
});
