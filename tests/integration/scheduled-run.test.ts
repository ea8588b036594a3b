/**
 * Schedule firings against real tables (dynalite): the batches a schedule selects through the
 * pipeline-batchKey index, the shared run lock with the fan-in (a batch runs once, whoever
 * comes first), and a retried firing that starts nothing new.
 */
import { batchesTable } from '../../lib/pipelines/adapters/batches-table';
import { runsTable } from '../../lib/pipelines/adapters/runs-table';
import { runQueue } from '../../lib/pipelines/adapters/run-queue';
import { recordArrival } from '../../lib/pipelines/fan-in/record-arrival';
import { startScheduledRun, type ScheduledRunDeps } from '../../lib/pipelines/start/scheduled-run';
import { startPipeline } from '../../lib/pipelines/start/start-pipeline';
import { indexRegistry, parseRegistry } from '../../lib/registry/parse-registry';
import type { RenderedNotice } from '../../lib/shared/notices';
import { startDynalite, type Dynalite } from '../helpers/dynalite';
import { arrival, fakeStepFunctions, manualClock, stack } from '../unit/pipelines/start/fakes';

const registry = indexRegistry(
  parseRegistry(`
pipelines:
  inventory:
    trigger:
      files: { snapshot: 'incoming/inventory/{region}/snapshot-{date}.csv' }
      windowMinutes: 60
    task: { taskDefinition: sample-pipeline, container: pipeline, image: 'public.ecr.aws/docker/library/node:22-slim', cpu: 256, memory: 512, launch: sync, timeoutSeconds: 1800 }
    schedule:
      expression: cron(0 6 * * ? *)
      batch: { date: '{fireDate - 1 day}' }
      whenIncomplete: notify
`),
);

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

function setup() {
  const fake = fakeStepFunctions();
  const published: RenderedNotice[] = [];
  const deps: ScheduledRunDeps = {
    runs: runsTable(db.client, db.tables.runs),
    batches: batchesTable(db.client, db.tables.batches),
    sfn: fake.sfn,
    clock: manualClock('2026-11-20T06:00:30.000Z').clock,
    registry,
    leaseSeconds: 120,
    ...stack,
    runControl: { queue: runQueue(db.client, db.tables.runs), stackLimit: 0 },
    notices: { publish: async (notice) => (published.push(notice), { messageId: 'm' }) },
  };
  const arrive = (region: string, date: string) =>
    recordArrival(
      arrival({
        pipeline: 'inventory',
        file: 'snapshot',
        batchKey: registry.match(undefined, `incoming/inventory/${region}/snapshot-${date}.csv`)!.batchKey,
        key: `incoming/inventory/${region}/snapshot-${date}.csv`,
      }),
      {
        batches: deps.batches,
        registry,
        clock: deps.clock,
        ttlDays: 35,
        start: (request) => startPipeline(request, deps),
      },
    );
  return { deps, published, arrive, ...fake };
}

test("a firing runs every region's batch of the selected day once, however it races the fan-in", async () => {
  // Prepare: eu's batch of the 19th ran through the fan-in; us and a region whose name holds
  // the joining "_" arrive with the fan-in's start lost (their runs have not started); another day too.
  const { deps, arrive, calls } = setup();
  await arrive('eu', '2026-11-19');
  const lost = setup();
  lost.deps.sfn.startExecution = async () => Promise.reject(new Error('the fan-in crashed'));
  for (const region of ['us', 'ap_south']) await expect(lost.arrive(region, '2026-11-19')).rejects.toThrow('the fan-in crashed');
  await expect(lost.arrive('us', '2026-11-18')).rejects.toThrow('the fan-in crashed');

  // Act: the 06:00 firing of the 20th, twice (the scheduler's retry).
  const first = await startScheduledRun({ pipeline: 'inventory', time: new Date('2026-11-20T06:00:00Z') }, deps);
  const retry = await startScheduledRun({ pipeline: 'inventory', time: new Date('2026-11-20T06:00:00Z') }, deps);

  // Assess: the index gave the three batches of the 19th, in key order; eu was run by the fan-in.
  expect(first.actions.map((a) => [a.batchKey, a.action])).toEqual([
    ['ap~5Fsouth_2026-11-19', 'started'],
    ['eu_2026-11-19', 'already-ran'],
    ['us_2026-11-19', 'started'],
  ]);
  expect(retry.actions.map((a) => a.action)).toEqual(['already-ran', 'already-ran', 'already-ran']);
  const runKeys = calls.map((c) => (c.input as { runKey: string }).runKey);
  expect(runKeys).toEqual(['inventory#eu_2026-11-19', 'inventory#ap~5Fsouth_2026-11-19', 'inventory#us_2026-11-19']);
  await expect(deps.batches.get('inventory', 'us_2026-11-19')).resolves.toMatchObject({
    startedRunKey: 'inventory#us_2026-11-19',
    openState: undefined,
  });
});

test('a day without any batch is reported once, naming the selection', async () => {
  const { deps, published, calls } = setup();
  const outcome = await startScheduledRun({ pipeline: 'inventory', time: new Date('2026-12-02T06:00:00Z') }, deps);
  expect(outcome.actions).toEqual([{ action: 'notified', missingFiles: ['snapshot'] }]);
  expect(published.map((n) => n.subject)).toEqual([
    '[ecs-pipelines test] WARNING: inventory: no batch of date=2026-12-01 at schedule time',
  ]);
  expect(calls).toHaveLength(0);
});
