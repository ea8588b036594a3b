/**
 * The order queued runs' executions begin in, when dispatchers overlap, against real
 * conditional writes (dynalite) and the local Step Functions (its execution-name rules):
 * a dispatcher that reads the queue while another is still starting an earlier run lets that
 * run's execution begin first, takes it over when its dispatcher stalls, died or failed to
 * start it, takes it out of the queue for a dispatcher that died after starting it, and every
 * run gets exactly one execution.
 */
import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { runQueue, slotScope } from '../../lib/pipelines/adapters/run-queue';
import { runsTable } from '../../lib/pipelines/adapters/runs-table';
import { stepFunctions, type StepFunctions } from '../../lib/pipelines/adapters/step-functions';
import { dispatchQueuedRuns, START_WAIT_MS, type DispatchDeps } from '../../lib/pipelines/start/run-control';
import { startPipeline, type StartPipelineDeps } from '../../lib/pipelines/start/start-pipeline';
import { indexRegistry, parseRegistry } from '../../lib/registry/parse-registry';
import { startLocalStepFunctions, type LocalStepFunctionsServer } from '../../local/emulators/stepfunctions';
import { startDynalite, type Dynalite } from '../helpers/dynalite';
import { manualClock, stack } from '../unit/pipelines/start/fakes';

jest.setTimeout(60_000);

const registry = indexRegistry(
  parseRegistry(`
pipelines:
  limited:
    trigger: { files: { a: 'in/limited/a-{date}.csv' }, windowMinutes: 60 }
    task: { taskDefinition: sample-pipeline, container: pipeline, image: 'public.ecr.aws/docker/library/node:22-slim', cpu: 256, memory: 512, launch: sync, timeoutSeconds: 1800, maxConcurrentRuns: 2 }
`),
);
const LEASE_SECONDS = 120;

/** A StartExecution held back until the test lets it through (a slow or dead dispatcher). */
function gate() {
  let open!: () => void;
  let reached!: () => void;
  return {
    opened: new Promise<void>((r) => (open = r)),
    reachedNow: new Promise<void>((r) => (reached = r)),
    open: () => open(),
    reach: () => reached(),
  };
}

/** One emulator pair per test; two runs started and ended, two queued behind them with their slots free. */
async function setup() {
  const db: Dynalite = await startDynalite();
  const server: LocalStepFunctionsServer = await startLocalStepFunctions();
  const client = new SFNClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  // Executions stay RUNNING (until the emulator stops): a repeated StartExecution meets an open one.
  server.sfn.createStateMachine({
    name: 'pipeline',
    definition: JSON.stringify({ StartAt: 'Hold', States: { Hold: { Type: 'Wait', Seconds: 3600, End: true } } }),
  });
  const sfn = stepFunctions(client, server.sfn.stateMachineArn('pipeline'));
  /** Execution names in the order the emulator began them. */
  const begun: string[] = [];
  server.sfn.on('event', ({ executionArn, event }: { executionArn: string; event: { type: string } }) => {
    if (event.type === 'ExecutionStarted') begun.push(executionArn.split(':').pop()!);
  });
  const time = manualClock();
  const runControl = { queue: runQueue(db.client, db.tables.runs), stackLimit: 0 };
  const depsWith = (withSfn: StepFunctions): StartPipelineDeps & DispatchDeps => ({
    runs: runsTable(db.client, db.tables.runs),
    sfn: withSfn,
    clock: time.clock,
    registry,
    leaseSeconds: LEASE_SECONDS,
    ...stack,
    runControl,
  });
  const start = (day: string) =>
    startPipeline({ pipeline: 'limited', runKey: `limited#${day}`, batchKey: day, trigger: 's3', objects: [] }, depsWith(sfn));
  const nameOf = async (runKey: string) =>
    (await db.client.send(new GetCommand({ TableName: db.tables.runs, Key: { pk: runKey } }))).Item!.executionName as string;

  expect((await start('d1')).status).toBe('started');
  expect((await start('d2')).status).toBe('started');
  expect((await start('d3')).status).toBe('queued');
  expect((await start('d4')).status).toBe('queued');
  // d1 and d2 end; their slots are free, and no dispatcher has run yet.
  for (const runKey of ['limited#d1', 'limited#d2']) await runControl.queue.release(slotScope.pipeline('limited'), runKey);
  const [d3, d4] = [await nameOf('limited#d3'), await nameOf('limited#d4')];

  /** The adapter with d3's StartExecution held at `held` (and d3's lookups reported to `onLookup`). */
  const heldAt = (held: ReturnType<typeof gate>, onLookup?: () => void): StepFunctions => ({
    ...sfn,
    async startExecution(request) {
      if (request.name === d3) {
        held.reach();
        await held.opened;
      }
      return sfn.startExecution(request);
    },
    async findExecution(name) {
      if (name === d3) onLookup?.();
      return sfn.findExecution(name);
    },
  });
  /** Executions of each name, as Step Functions lists them. */
  const executionsByName = async () => {
    const listed =
      (await client.send(new ListExecutionsCommand({ stateMachineArn: server.sfn.stateMachineArn('pipeline') }))).executions ?? [];
    const counts: Record<string, number> = {};
    for (const execution of listed) counts[execution.name!] = (counts[execution.name!] ?? 0) + 1;
    return counts;
  };
  const stop = async () => {
    client.destroy();
    await server.stop();
    await db.stop();
  };
  return { sfn, depsWith, heldAt, time, runControl, begun, d3, d4, executionsByName, start, stop };
}

const oneEach = (t: { d3: string; d4: string }) => expect.objectContaining({ [t.d3]: 1, [t.d4]: 1 });

test('a dispatcher that reads the queue while another is still starting the earlier run lets that run begin first', async () => {
  const t = await setup();
  try {
    // Prepare: dispatcher A takes d3 and is slow to start it.
    const held = gate();
    const a = dispatchQueuedRuns(t.depsWith(t.heldAt(held)));
    await held.reachedNow;

    // Act: dispatcher B reads the queue now (d3 taken, not begun; d4 queued). Once B looks for
    // d3's execution (or B is done), A's StartExecution goes through.
    let bWaits!: () => void;
    const bLooksForD3 = new Promise<void>((r) => (bWaits = r));
    const b = dispatchQueuedRuns(t.depsWith(t.heldAt(gate(), bWaits)));
    await Promise.race([bLooksForD3, b]);
    held.open();
    const [byA, byB] = await Promise.all([a, b]);

    // Assess: d3's execution began before d4's; one execution each; both left the queue.
    expect(t.begun.slice(2)).toEqual([t.d3, t.d4]);
    // A started d3; d4 went to whichever dispatcher reached it first once d3 had begun.
    expect(byA.started[0]).toMatchObject({ runKey: 'limited#d3' });
    expect([...byA.started, ...byB.started].map((s) => s.runKey).sort()).toEqual(['limited#d3', 'limited#d4']);
    expect(await t.executionsByName()).toEqual(oneEach(t));
    expect(await t.runControl.queue.listQueued(10)).toEqual([]);
  } finally {
    await t.stop();
  }
});

test('a dispatcher whose start of the earlier run stalls past the wait is taken over: the earlier run still begins first, once', async () => {
  const t = await setup();
  try {
    // Prepare: dispatcher A takes d3 and its StartExecution hangs.
    const held = gate();
    const a = dispatchQueuedRuns(t.depsWith(t.heldAt(held)));
    await held.reachedNow;

    // Act: B waits START_WAIT_MS for d3, then takes it over (A's lease is still live) and starts d3, then d4.
    const waitedFrom = Date.now();
    const byB = await dispatchQueuedRuns(t.depsWith(t.sfn));
    // Then A's StartExecution of d3 goes through after all, with the same name and input.
    held.open();
    await a;

    // Assess
    expect(Date.now() - waitedFrom).toBeGreaterThanOrEqual(START_WAIT_MS);
    expect(byB.started).toEqual([
      expect.objectContaining({ runKey: 'limited#d3', takenOver: true }),
      expect.not.objectContaining({ takenOver: true }),
    ]);
    expect(byB.started[1]).toMatchObject({ runKey: 'limited#d4' });
    expect(t.begun.slice(2)).toEqual([t.d3, t.d4]);
    expect(await t.executionsByName()).toEqual(oneEach(t));
    expect(await t.runControl.queue.listQueued(10)).toEqual([]);
  } finally {
    await t.stop();
  }
});

test('a run whose dispatcher died after taking it is taken over by exactly one dispatcher once its lease ends', async () => {
  const t = await setup();
  try {
    // Prepare: dispatcher A takes d3 and dies before its StartExecution (it never returns).
    const held = gate();
    const a = dispatchQueuedRuns(t.depsWith(t.heldAt(held)));
    await held.reachedNow;
    // Inside the lease nobody takes d3 over at once: a dispatcher first waits for its execution.
    expect(
      await t.runControl.queue.take(
        { pk: 'limited#d3', pipeline: 'limited', executionName: t.d3, queueSeq: 1 },
        { now: 0, leaseExpiresAt: 1 },
      ),
    ).toMatchObject({
      result: 'not-queued',
      status: 'STARTING',
      inQueue: true,
    });

    // Act: after the lease, two dispatchers at once.
    t.time.advance(LEASE_SECONDS + 1);
    const [byB, byC] = await Promise.all([dispatchQueuedRuns(t.depsWith(t.sfn)), dispatchQueuedRuns(t.depsWith(t.sfn))]);

    // Assess: one of them took d3 over and started it; d3 began before d4; one execution each.
    const started = [...byB.started, ...byC.started];
    expect(started.filter((s) => s.runKey === 'limited#d3')).toEqual([expect.objectContaining({ takenOver: true })]);
    expect(started.filter((s) => s.runKey === 'limited#d4')).toHaveLength(1);
    expect(t.begun.slice(2)).toEqual([t.d3, t.d4]);
    expect(await t.executionsByName()).toEqual(oneEach(t));
    expect(await t.runControl.queue.listQueued(10)).toEqual([]);
    // Had A only stalled, its StartExecution (same name and input) meets the same execution.
    held.open();
    await a;
    expect(await t.executionsByName()).toEqual(oneEach(t));
  } finally {
    await t.stop();
  }
});

test('a dispatcher that started the earlier run and died before taking it out of the queue is helped: the later run starts after it', async () => {
  const t = await setup();
  try {
    // Prepare: A's StartExecution of d3 goes through, then A dies (the call never returns to it).
    const begunD3 = gate();
    const dying: StepFunctions = {
      ...t.sfn,
      async startExecution(request) {
        const started = await t.sfn.startExecution(request);
        if (request.name !== t.d3) return started;
        begunD3.reach();
        return new Promise(() => undefined);
      },
    };
    void dispatchQueuedRuns(t.depsWith(dying));
    await begunD3.reachedNow;
    expect(await t.runControl.queue.listQueued(10)).toEqual([
      expect.objectContaining({ pk: 'limited#d3' }),
      expect.objectContaining({ pk: 'limited#d4' }),
    ]);

    // Act: B reads the queue (d3 still in it, its lease live).
    const byB = await dispatchQueuedRuns(t.depsWith(t.sfn));

    // Assess: B saw d3's execution, took d3 out of the queue for A, and started d4 after it.
    expect(byB).toMatchObject({ started: [{ runKey: 'limited#d4' }], waiting: 0 });
    expect(t.begun.slice(2)).toEqual([t.d3, t.d4]);
    expect(await t.executionsByName()).toEqual(oneEach(t));
    expect(await t.runControl.queue.listQueued(10)).toEqual([]);
  } finally {
    await t.stop();
  }
});

test('a failed StartExecution gives up the lease, so the next dispatcher starts the run at once and still before the later one', async () => {
  const t = await setup();
  try {
    // Prepare: A's StartExecution of d3 is throttled.
    const throttled: StepFunctions = {
      ...t.sfn,
      async startExecution(request) {
        if (request.name === t.d3) throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
        return t.sfn.startExecution(request);
      },
    };
    await expect(dispatchQueuedRuns(t.depsWith(throttled))).rejects.toThrow('Rate exceeded');

    // Act: the next dispatcher, well inside the lease A took.
    const waitedFrom = Date.now();
    const byB = await dispatchQueuedRuns(t.depsWith(t.sfn));

    // Assess: no wait for A; d3 taken over and started, then d4.
    expect(Date.now() - waitedFrom).toBeLessThan(START_WAIT_MS);
    expect(byB.started).toEqual([
      expect.objectContaining({ runKey: 'limited#d3', takenOver: true }),
      expect.objectContaining({ runKey: 'limited#d4' }),
    ]);
    expect(t.begun.slice(2)).toEqual([t.d3, t.d4]);
    expect(await t.executionsByName()).toEqual(oneEach(t));
  } finally {
    await t.stop();
  }
});

test('a duplicate start of a taken run whose dispatcher died does not push it behind the later run', async () => {
  const t = await setup();
  try {
    // Prepare: dispatcher A takes d3 and dies before its StartExecution; its lease ends.
    const held = gate();
    void dispatchQueuedRuns(t.depsWith(t.heldAt(held)));
    await held.reachedNow;
    t.time.advance(LEASE_SECONDS + 1);

    // Act: d3's start arrives again (a redelivered record), then a dispatcher runs.
    const duplicate = await t.start('d3');
    const byB = await dispatchQueuedRuns(t.depsWith(t.sfn));

    // Assess: the duplicate left the run to the dispatchers (it did not take the lock and
    // queue d3 again at the back); d3 still began before d4, once each.
    expect(duplicate).toMatchObject({ status: 'already-started', runStatus: 'STARTING' });
    expect(byB.started.map((s) => s.runKey)).toEqual(['limited#d3', 'limited#d4']);
    expect(t.begun.slice(2)).toEqual([t.d3, t.d4]);
    expect(await t.executionsByName()).toEqual(oneEach(t));
  } finally {
    await t.stop();
  }
});
