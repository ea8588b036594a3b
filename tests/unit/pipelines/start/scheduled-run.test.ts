/**
 * What a schedule firing runs (lib/pipelines/start/scheduled-run.ts), over in-memory doubles of
 * the tables: cron jobs without files, the batch a schedule selects, whenIncomplete, open captures.
 */
import type { BatchesTable } from '../../../../lib/pipelines/adapters/batches-table';
import type { BatchItem } from '../../../../lib/pipelines/batch';
import type { RunItem } from '../../../../lib/pipelines/adapters/runs-table';
import { NotScheduledError, RunStartInProgressError } from '../../../../lib/pipelines/start/errors';
import { batchAtSchedule, startScheduledRun, type ScheduledRunDeps } from '../../../../lib/pipelines/start/scheduled-run';
import type { RenderedNotice } from '../../../../lib/shared/notices';
import { indexRegistry, parseRegistry } from '../../../../lib/registry/parse-registry';
import { fakeStepFunctions, manualClock, memoryRuns, noRunControl, registry as sampleRegistry, stack } from './fakes';

const task = `
    task: { taskDefinition: sample-pipeline, container: pipeline, image: 'public.ecr.aws/docker/library/node:22-slim', cpu: 256, memory: 512, launch: sync, timeoutSeconds: 1800 }`;
const daily = (name: string, whenIncomplete?: string) => `
  ${name}:
    trigger:
      files: { orders: 'incoming/${name}/orders-{date}.csv', customers: 'incoming/${name}/customers-{date}.csv' }
      windowMinutes: 360${task}
    schedule:
      expression: cron(0 6 * * ? *)
      batch: { date: '{fireDate - 1 day}' }${whenIncomplete ? `\n      whenIncomplete: ${whenIncomplete}` : ''}`;
const regional = (name: string, whenIncomplete: string) => `
  ${name}:
    trigger:
      files: { snapshot: 'incoming/${name}/{region}/snapshot-{date}.csv' }
      windowMinutes: 60${task}
    schedule:
      expression: cron(0 6 * * ? *)
      batch: { date: '{fireDate - 1 day}' }
      whenIncomplete: ${whenIncomplete}`;

const berlin = `
  berlin:
    trigger:
      files: { orders: 'incoming/berlin/orders-{date}.csv' }
      windowMinutes: 60${task}
    schedule:
      expression: cron(30 0 * * ? *)
      timezone: Europe/Berlin
      batch: { date: '{fireDate - 1 day}' }`;

const registry = indexRegistry(
  parseRegistry(`
pipelines:${berlin}${daily('daily')}${daily('daily-run', 'run')}${daily('daily-skip', 'skip')}${regional('regional', 'run')}${regional('regional-notify', 'notify')}
`),
);

const FIRE = new Date('2026-11-20T06:00:00Z');

function item(pipeline: string, batchKey: string, files: string[], extra: Partial<BatchItem> = {}): BatchItem {
  return {
    pk: `${pipeline}#${batchKey}`,
    pipeline,
    batchKey,
    arrived: [...files].sort(),
    objects: Object.fromEntries(
      files.map((file) => [
        file,
        { bucket: 'uploads', key: `incoming/${pipeline}/${file}-${batchKey}.csv`, size: 10, etag: `e-${file}`, sequencer: '01' },
      ]),
    ),
    firstArrivalAt: '2026-11-19T08:00:00.000Z',
    deadline: 0,
    openState: 'OPEN',
    ...extra,
  };
}

/** The Batches table in memory: items by pk, keys listed in order as the index returns them. */
function memoryBatches(items: BatchItem[] = []) {
  const byPk = new Map(items.map((i) => [i.pk, i]));
  const marked: Array<[string, string, { runKey: string; fingerprint: string }]> = [];
  const table: BatchesTable = {
    recordArrival: jest.fn(),
    recordCompletionObject: jest.fn(),
    async markStarted(pipeline, batchKey, started) {
      marked.push([pipeline, batchKey, started]);
      const held = byPk.get(`${pipeline}#${batchKey}`);
      if (held) byPk.set(held.pk, { ...held, startedRunKey: started.runKey, startedFingerprint: started.fingerprint });
    },
    get: async (pipeline, batchKey) => byPk.get(`${pipeline}#${batchKey}`),
    listBatchKeys: async (pipeline, prefix = '') =>
      [...byPk.values()]
        .filter((i) => i.pipeline === pipeline && i.batchKey.startsWith(prefix))
        .map((i) => i.batchKey)
        .sort(),
  };
  return { table, marked };
}

function setup(options: { items?: BatchItem[]; runs?: RunItem[]; registry?: typeof registry } = {}) {
  const memory = memoryRuns(options.runs);
  const fake = fakeStepFunctions();
  const batches = memoryBatches(options.items);
  const published: RenderedNotice[] = [];
  const deps: ScheduledRunDeps = {
    runs: memory.runs,
    sfn: fake.sfn,
    clock: manualClock('2026-11-20T06:00:41.123Z').clock,
    registry: options.registry ?? registry,
    leaseSeconds: 120,
    ...stack,
    ...noRunControl,
    batches: batches.table,
    notices: { publish: async (notice) => (published.push(notice), { messageId: `m${published.length}` }) },
  };
  return { deps, published, ...memory, ...fake, ...batches };
}

describe('a schedule without batch: one run without files per firing', () => {
  test('keys the run by the schedule time to the minute, so retries of one firing share it', async () => {
    const { deps, calls } = setup({ registry: sampleRegistry });
    const first = await startScheduledRun({ pipeline: 'inventory-snapshot', time: new Date('2026-11-20T06:00:00Z') }, deps);
    const retry = await startScheduledRun({ pipeline: 'inventory-snapshot', time: new Date('2026-11-20T06:00:00Z') }, deps);

    expect(first.actions[0]).toMatchObject({ action: 'started', runKey: 'inventory-snapshot#schedule#2026-11-20T06:00Z' });
    expect(retry.actions[0]!.action).toBe('already-started');
    expect(calls).toHaveLength(1);
    expect(calls[0]!.input).toMatchObject({ trigger: 'schedule', batchKey: 'schedule#2026-11-20T06:00Z', objects: [] });
  });

  test('passes the fire time to the execution and records it on the run', async () => {
    const { deps, calls, locks } = setup({ registry: sampleRegistry });
    await startScheduledRun({ pipeline: 'inventory-snapshot', time: new Date('2026-11-20T06:00:07Z') }, deps);
    expect(calls[0]!.input).toMatchObject({ scheduledTime: '2026-11-20T06:00:07.000Z' });
    expect(locks[0]).toMatchObject({ runKey: 'inventory-snapshot#schedule#2026-11-20T06:00Z', scheduledTime: '2026-11-20T06:00:07.000Z' });
  });

  test('without a time it uses the clock minute; a pipeline without a schedule is refused', async () => {
    const { deps } = setup({ registry: sampleRegistry });
    await expect(startScheduledRun({ pipeline: 'inventory-snapshot' }, deps)).resolves.toMatchObject({
      actions: [{ runKey: 'inventory-snapshot#schedule#2026-11-20T06:00Z' }],
    });
    await expect(startScheduledRun({ pipeline: 'orders-daily' }, deps)).rejects.toBeInstanceOf(NotScheduledError);
  });
});

describe('a schedule with batch: the batch of the fire time', () => {
  test("runs yesterday's complete batch under the fan-in's run key, with its files, and marks it started", async () => {
    const { deps, calls, marked } = setup({ items: [item('daily', '2026-11-19', ['orders', 'customers'])] });

    const outcome = await startScheduledRun({ pipeline: 'daily', time: FIRE }, deps);

    expect(outcome).toMatchObject({
      selected: { date: '2026-11-19' },
      timeZone: 'UTC',
      actions: [{ action: 'started', runKey: 'daily#2026-11-19', batchKey: '2026-11-19' }],
    });
    expect(calls[0]!.input).toMatchObject({ trigger: 'schedule', batchKey: '2026-11-19', scheduledTime: FIRE.toISOString() });
    expect((calls[0]!.input as { objects: Array<{ file: string }> }).objects.map((o) => o.file)).toEqual(['orders', 'customers']);
    expect(marked).toEqual([['daily', '2026-11-19', { runKey: 'daily#2026-11-19', fingerprint: expect.any(String) }]]);
  });

  test('a batch the fan-in already ran is not run again, and a retried firing starts nothing new', async () => {
    const ran = setup({
      items: [item('daily', '2026-11-19', ['orders', 'customers'], { startedRunKey: 'daily#2026-11-19', openState: undefined })],
    });
    await expect(startScheduledRun({ pipeline: 'daily', time: FIRE }, ran.deps)).resolves.toMatchObject({
      actions: [{ action: 'already-ran', runKey: 'daily#2026-11-19' }],
    });
    expect(ran.calls).toHaveLength(0);

    const retried = setup({ items: [item('daily', '2026-11-19', ['orders', 'customers'])] });
    await startScheduledRun({ pipeline: 'daily', time: FIRE }, retried.deps);
    await expect(startScheduledRun({ pipeline: 'daily', time: FIRE }, retried.deps)).resolves.toMatchObject({
      actions: [{ action: 'already-ran' }],
    });
    expect(retried.calls).toHaveLength(1);
  });

  test('a batch the fan-in is starting right now (its lock taken, not yet marked) is not started twice', async () => {
    const lock: RunItem = {
      pk: 'daily#2026-11-19',
      pipeline: 'daily',
      batchKey: '2026-11-19',
      trigger: 's3',
      status: 'RUNNING',
      attempt: 1,
      executionName: 'x',
      executionArn: 'arn:x',
      requestedAt: 't',
    };
    const { deps, calls } = setup({ items: [item('daily', '2026-11-19', ['orders', 'customers'])], runs: [lock] });
    await expect(startScheduledRun({ pipeline: 'daily', time: FIRE }, deps)).resolves.toMatchObject({
      actions: [{ action: 'already-started', runKey: 'daily#2026-11-19' }],
    });
    expect(calls).toHaveLength(0);
  });

  test('another caller holding a live lease makes the firing fail for a retry, before any notice', async () => {
    const lease: RunItem = {
      pk: 'daily#2026-11-19',
      pipeline: 'daily',
      batchKey: '2026-11-19',
      trigger: 's3',
      status: 'STARTING',
      attempt: 1,
      executionName: 'x',
      requestedAt: 't',
      leaseExpiresAt: 4_000_000_000,
    };
    const { deps } = setup({ items: [item('daily', '2026-11-19', ['orders', 'customers'])], runs: [lease] });
    await expect(startScheduledRun({ pipeline: 'daily', time: FIRE }, deps)).rejects.toBeInstanceOf(RunStartInProgressError);
  });
});

test("reads the fire time in the schedule's time zone: 00:30 in Berlin is still the 19th in UTC", async () => {
  const { deps, calls } = setup({ items: [item('berlin', '2026-11-19', ['orders'])] });
  const outcome = await startScheduledRun({ pipeline: 'berlin', time: new Date('2026-11-19T23:30:00Z') }, deps);
  expect(outcome).toMatchObject({
    timeZone: 'Europe/Berlin',
    selected: { date: '2026-11-19' },
    actions: [{ action: 'started', runKey: 'berlin#2026-11-19' }],
  });
  expect(calls).toHaveLength(1);
});

describe('whenIncomplete', () => {
  test('notify (the default): nothing runs, and the operators get one notice naming the missing files', async () => {
    const { deps, calls, published } = setup({ items: [item('daily', '2026-11-19', ['orders'])] });

    const outcome = await startScheduledRun({ pipeline: 'daily', time: FIRE }, deps);

    expect(outcome.actions).toEqual([{ action: 'notified', batchKey: '2026-11-19', missingFiles: ['customers'] }]);
    expect(calls).toHaveLength(0);
    expect(published).toHaveLength(1);
    expect(published[0]!.attributes).toMatchObject({ kind: 'batch-incomplete-at-schedule', pipeline: 'daily', severity: 'WARNING' });
    expect(published[0]!.subject).toBe('[ecs-pipelines test] WARNING: daily 2026-11-19: incomplete at schedule, missing customers');
    expect(published[0]!.message).toMatch(/Files missing: +customers/);
    expect(published[0]!.message).toMatch(/Files arrived: +orders \(incoming\/daily\/orders-2026-11-19\.csv\)/);
    expect(published[0]!.message).toMatch(/Fire time: +2026-11-20T06:00:00\.000Z \(cron\(0 6 \* \* \? \*\), UTC\)/);
  });

  test('notify also covers a batch of which nothing arrived', async () => {
    const { deps, published } = setup();
    await expect(startScheduledRun({ pipeline: 'daily', time: FIRE }, deps)).resolves.toMatchObject({
      actions: [{ action: 'notified', batchKey: '2026-11-19', missingFiles: ['orders', 'customers'] }],
    });
    expect(published[0]!.message).toMatch(/Files arrived: +none/);
  });

  test('skip: nothing runs and nobody is told', async () => {
    const { deps, calls, published } = setup({ items: [item('daily-skip', '2026-11-19', ['orders'])] });
    await expect(startScheduledRun({ pipeline: 'daily-skip', time: FIRE }, deps)).resolves.toMatchObject({
      actions: [{ action: 'skipped', missingFiles: ['customers'] }],
    });
    expect(calls).toHaveLength(0);
    expect(published).toHaveLength(0);
  });

  test('run: the files that arrived run under a key of their own, and the batch stays open for its complete run', async () => {
    const { deps, calls, marked } = setup({ items: [item('daily-run', '2026-11-19', ['orders'])] });

    const outcome = await startScheduledRun({ pipeline: 'daily-run', time: FIRE }, deps);

    expect(outcome.actions).toEqual([
      expect.objectContaining({
        action: 'started',
        runKey: 'daily-run#2026-11-19#schedule#2026-11-20T06:00Z',
        batchKey: '2026-11-19',
        missingFiles: ['customers'],
      }),
    ]);
    expect((calls[0]!.input as { objects: Array<{ file: string }> }).objects.map((o) => o.file)).toEqual(['orders']);
    expect(marked).toEqual([]);
  });

  test('run with nothing arrived: a run of the batch without files', async () => {
    const { deps, calls } = setup();
    await expect(startScheduledRun({ pipeline: 'daily-run', time: FIRE }, deps)).resolves.toMatchObject({
      actions: [{ action: 'started', runKey: 'daily-run#2026-11-19#schedule#2026-11-20T06:00Z' }],
    });
    expect(calls[0]!.input).toMatchObject({ batchKey: '2026-11-19', objects: [] });
  });
});

describe('a capture the schedule leaves open: every batch of the selected values', () => {
  test("runs every region's batch of yesterday, leaving other days alone", async () => {
    const items = [
      item('regional', 'eu_2026-11-19', ['snapshot']),
      item('regional', 'us_2026-11-19', ['snapshot']),
      item('regional', 'eu_2026-11-18', ['snapshot']),
    ];
    const { deps, calls } = setup({ items });

    const outcome = await startScheduledRun({ pipeline: 'regional', time: FIRE }, deps);

    expect(outcome.actions.map((a) => [a.action, a.batchKey])).toEqual([
      ['started', 'eu_2026-11-19'],
      ['started', 'us_2026-11-19'],
    ]);
    expect(calls.map((c) => (c.input as { runKey: string }).runKey)).toEqual(['regional#eu_2026-11-19', 'regional#us_2026-11-19']);
  });

  test('no batch of that day: run starts one run without files; notify tells the operators', async () => {
    const run = setup();
    await expect(startScheduledRun({ pipeline: 'regional', time: FIRE }, run.deps)).resolves.toMatchObject({
      actions: [{ action: 'started', runKey: 'regional#schedule#2026-11-20T06:00Z' }],
    });

    const notify = setup();
    await expect(startScheduledRun({ pipeline: 'regional-notify', time: FIRE }, notify.deps)).resolves.toMatchObject({
      actions: [{ action: 'notified', missingFiles: ['snapshot'] }],
    });
    expect(notify.published[0]!.subject).toBe(
      '[ecs-pipelines test] WARNING: regional-notify: no batch of date=2026-11-19 at schedule time',
    );
  });
});

describe('batchAtSchedule', () => {
  test('reads ran, complete and incomplete from the item', () => {
    expect(batchAtSchedule(undefined, ['a', 'b'])).toEqual({ state: 'incomplete', objects: [], missing: ['a', 'b'] });
    expect(batchAtSchedule(item('p', 'k', ['a'], { startedRunKey: 'p#k' }), ['a', 'b'])).toEqual({ state: 'ran', runKey: 'p#k' });
    expect(batchAtSchedule(item('p', 'k', ['a']), ['a', 'b'])).toMatchObject({ state: 'incomplete', missing: ['b'] });
    expect(batchAtSchedule(item('p', 'k', ['a', 'b']), ['a', 'b'])).toMatchObject({ state: 'complete', fingerprint: expect.any(String) });
  });
});
