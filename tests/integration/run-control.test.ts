/**
 * Concurrency limits against real conditional writes (dynalite): runs beyond a pipeline's
 * maxConcurrentRuns or the stack-wide limit wait as QUEUED in arrival order, start as slots
 * free, never start twice, and slots of runs that ended without a release are given back.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { runQueue, slotScope } from '../../lib/pipelines/adapters/run-queue';
import { runsTable } from '../../lib/pipelines/adapters/runs-table';
import { dispatchQueuedRuns, releaseRunSlots, type RunControl } from '../../lib/pipelines/start/run-control';
import { startPipeline, type StartPipelineDeps } from '../../lib/pipelines/start/start-pipeline';
import { indexRegistry, parseRegistry } from '../../lib/registry/parse-registry';
import { startDynalite, type Dynalite } from '../helpers/dynalite';
import { fakeStepFunctions, manualClock, stack } from '../unit/pipelines/start/fakes';

jest.setTimeout(120_000);

const task = (limit?: number) =>
  `{ taskDefinition: sample-pipeline, container: pipeline, image: 'public.ecr.aws/docker/library/node:22-slim', cpu: 256, memory: 512, launch: sync, timeoutSeconds: 1800${limit ? `, maxConcurrentRuns: ${limit}` : ''} }`;
const registry = indexRegistry(
  parseRegistry(`
pipelines:
  limited:
    trigger: { files: { a: 'in/limited/a-{date}.csv' }, windowMinutes: 60 }
    task: ${task(2)}
  other:
    trigger: { files: { a: 'in/other/a-{date}.csv' }, windowMinutes: 60 }
    task: ${task()}
`),
);

/** A fresh emulator per test: the queue and the slots are table-wide. */
async function setup(stackLimit = 0) {
  const fresh: Dynalite = await startDynalite();
  const fake = fakeStepFunctions();
  const runControl: RunControl = { queue: runQueue(fresh.client, fresh.tables.runs), stackLimit };
  const deps: StartPipelineDeps = {
    runs: runsTable(fresh.client, fresh.tables.runs),
    sfn: fake.sfn,
    clock: manualClock().clock,
    registry,
    leaseSeconds: 120,
    ...stack,
    runControl,
  };
  const start = (pipeline: string, batchKey: string) =>
    startPipeline({ pipeline, runKey: `${pipeline}#${batchKey}`, batchKey, trigger: 's3', objects: [] }, deps);
  const status = async (runKey: string) =>
    (await fresh.client.send(new GetCommand({ TableName: fresh.tables.runs, Key: { pk: runKey } }))).Item?.status as string | undefined;
  const setStatus = (runKey: string, value: string) =>
    fresh.client.send(
      new UpdateCommand({
        TableName: fresh.tables.runs,
        Key: { pk: runKey },
        UpdateExpression: 'SET #s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': value },
      }),
    );
  /** The execution closed (as Step Functions reports it). */
  const closeExecution = async (runKey: string) => fake.statuses.set((await deps.runs.get(runKey))!.executionName, 'SUCCEEDED');
  /** The run ended: the state machine's last write, then the status-change event's release. */
  const end = async (runKey: string, pipeline: string) => {
    await closeExecution(runKey);
    await setStatus(runKey, 'SUCCEEDED');
    return releaseRunSlots({ runKey, pipeline }, deps);
  };
  const startedKeys = () => fake.calls.map((c) => (c.input as { runKey: string }).runKey);
  return { deps, start, status, end, setStatus, closeExecution, startedKeys, fake, runControl, stop: () => fresh.stop() };
}

test('beyond maxConcurrentRuns runs wait as QUEUED and start in arrival order as slots free', async () => {
  const t = await setup();
  try {
    // Act: five batches complete at once.
    const outcomes = [];
    for (const day of ['01', '02', '03', '04', '05']) outcomes.push(await t.start('limited', `2026-12-${day}`));
    // Assess: two started, three queued with their place in the order.
    expect(outcomes.map((o) => o.status)).toEqual(['started', 'started', 'queued', 'queued', 'queued']);
    expect(await t.status('limited#2026-12-03')).toBe('QUEUED');
    expect(await t.runControl.queue.holders(slotScope.pipeline('limited'))).toEqual(['limited#2026-12-01', 'limited#2026-12-02']);

    // A start of a queued run again is a duplicate, not a second run.
    await expect(t.start('limited', '2026-12-03')).resolves.toMatchObject({ status: 'already-started', runStatus: 'QUEUED' });

    // The first ends: the third (not the fourth) starts; a duplicate end event changes nothing.
    await expect(t.end('limited#2026-12-01', 'limited')).resolves.toMatchObject({
      started: [{ runKey: 'limited#2026-12-03' }],
      waiting: 2,
    });
    await expect(releaseRunSlots({ runKey: 'limited#2026-12-01', pipeline: 'limited' }, t.deps)).resolves.toMatchObject({ started: [] });
    await t.end('limited#2026-12-02', 'limited');
    await t.end('limited#2026-12-03', 'limited');
    await t.end('limited#2026-12-04', 'limited');
    expect(t.startedKeys()).toEqual([
      'limited#2026-12-01',
      'limited#2026-12-02',
      'limited#2026-12-03',
      'limited#2026-12-04',
      'limited#2026-12-05',
    ]);
    // Other pipelines are not limited by it.
    await expect(t.start('other', '2026-12-01')).resolves.toMatchObject({ status: 'started' });
  } finally {
    await t.stop();
  }
});

test('a stack-wide limit counts every pipeline, and a pipeline that is full does not hold up the others', async () => {
  const t = await setup(3);
  try {
    const order = [
      ['limited', '1'],
      ['limited', '2'],
      ['limited', '3'],
      ['other', '1'],
      ['other', '2'],
    ] as const;
    const outcomes = [];
    for (const [pipeline, day] of order) outcomes.push((await t.start(pipeline, day)).status);
    // limited#3 waits for its pipeline's slot; other#1 takes the stack's third; other#2 waits for the stack.
    expect(outcomes).toEqual(['started', 'started', 'queued', 'started', 'queued']);
    // An "other" run ends: the stack slot goes to the earliest run that fits: limited#3 still
    // waits for its pipeline, so other#2 starts.
    await expect(t.end('other#1', 'other')).resolves.toMatchObject({ started: [{ runKey: 'other#2' }] });
    await expect(t.end('limited#1', 'limited')).resolves.toMatchObject({ started: [{ runKey: 'limited#3' }] });
  } finally {
    await t.stop();
  }
});

test('slots of runs that ended without their release are given back when the scope looks full', async () => {
  const t = await setup();
  try {
    for (const day of ['1', '2', '3']) await t.start('limited', day);
    // Both end events were lost: limited#1's execution recorded SUCCEEDED; limited#2's closed
    // without recording its outcome (the Runs item still says RUNNING).
    await t.closeExecution('limited#1');
    await t.setStatus('limited#1', 'SUCCEEDED');
    await t.setStatus('limited#2', 'RUNNING');
    await t.closeExecution('limited#2');
    // Act: a pass on the hot path leaves them; the dispatcher's periodic pass gives them back.
    await expect(dispatchQueuedRuns(t.deps)).resolves.toMatchObject({ started: [], reclaimed: [] });
    const outcome = await dispatchQueuedRuns(t.deps, { reclaim: true });
    // Assess
    expect(outcome).toMatchObject({ reclaimed: ['limited#1', 'limited#2'], started: [{ runKey: 'limited#3' }], waiting: 0 });
    expect(await t.runControl.queue.holders(slotScope.pipeline('limited'))).toEqual(['limited#3']);
  } finally {
    await t.stop();
  }
});

test('50 runs started at once with maxConcurrentRuns 2: each starts exactly once, in arrival order', async () => {
  const t = await setup();
  try {
    // Act: 50 concurrent starts (the fan-in's records of one batch window), then each run ends
    // as soon as it started, its release racing the other starts.
    const keys = Array.from({ length: 50 }, (_, i) => `limited#b${String(i).padStart(2, '0')}`);
    let running = 0;
    let maxRunning = 0;
    const ended = new Set<string>();
    const pending: Promise<unknown>[] = [];
    const original = t.deps.sfn.startExecution.bind(t.deps.sfn);
    t.deps.sfn.startExecution = async (request) => {
      const started = await original(request);
      if (!started.alreadyExisted) {
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        const runKey = (JSON.parse(request.input) as { runKey: string }).runKey;
        pending.push(
          new Promise((resolve) => setTimeout(resolve, 5)).then(async () => {
            running -= 1;
            ended.add(runKey);
            return t.end(runKey, 'limited');
          }),
        );
      }
      return started;
    };
    const outcomes = await Promise.all(keys.map((key) => t.start('limited', key.split('#')[1]!)));
    // Until every run ended (or a minute passed, so a stuck queue fails instead of hanging).
    const deadline = Date.now() + 60_000;
    while (ended.size < 50 && Date.now() < deadline) {
      await Promise.all(pending.splice(0));
      if (ended.size < 50 && pending.length === 0) await dispatchQueuedRuns(t.deps).then(() => new Promise((r) => setTimeout(r, 20)));
    }
    // The last runs count as ended before their release (and the dispatch it makes) is done:
    // let those finish before the emulator stops under them.
    while (pending.length) await Promise.all(pending.splice(0));
    // Assess
    expect(maxRunning).toBeLessThanOrEqual(2);
    expect(new Set(t.startedKeys()).size).toBe(50);
    expect(t.startedKeys()).toHaveLength(50);
    const seqOf = new Map(
      await Promise.all(keys.map(async (key) => [key, (await t.deps.runs.get(key)) as unknown as { queueSeq?: number }] as const)),
    );
    const arrival = [...keys].sort((a, b) => (seqOf.get(a)!.queueSeq ?? 0) - (seqOf.get(b)!.queueSeq ?? 0));
    expect(t.startedKeys()).toEqual(arrival);
    expect(outcomes.filter((o) => o.status === 'started' || o.status === 'queued')).toHaveLength(50);
  } finally {
    await t.stop();
  }
});
