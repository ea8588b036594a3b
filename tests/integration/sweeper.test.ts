/**
 * The incomplete-batch sweeper against dynalite with a controlled clock: real GSI queries and
 * conditional writes, the real fan-in arrival path for the files, a fake Step Functions start.
 */
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { batchesTable } from '../../lib/pipelines/adapters/batches-table';
import { recordArrival, type RecordArrivalDeps } from '../../lib/pipelines/fan-in/record-arrival';
import type { FileArrival } from '../../lib/contracts/messages';
import type { RenderedNotice } from '../../lib/shared/notices/notice';
import { pipelines } from '../../lib/registry';
import type { StartOutcome, StartRunRequest } from '../../lib/pipelines/start/start-pipeline';
import { batchesSweepTable } from '../../lib/pipelines/adapters/batches-sweep-table';
import { runsIndex } from '../../lib/pipelines/adapters/runs-index';
import { sweep, SweepError, type SweepDeps } from '../../lib/pipelines/sweeper/sweep';
import type { PipelineMetrics } from '../../lib/shared/pipeline-metrics';
import { startDynalite, type Dynalite } from '../helpers/dynalite';

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => db.stop());

const T0 = Date.parse('2026-11-20T06:00:00Z');
const minutes = (n: number) => n * 60_000;

/** One world per test: its own batch keys, clock, notices and counts. */
function world() {
  let now = new Date(T0);
  const notices: RenderedNotice[] = [];
  const counts: Array<[string, string]> = [];
  const starts: StartRunRequest[] = [];
  let failStart = false;
  let failPublish = false;
  const registry = pipelines();
  const clock = () => now;
  const start = async (request: StartRunRequest): Promise<StartOutcome> => {
    if (failStart) throw new Error('StartExecution throttled');
    starts.push(request);
    return {
      status: 'started',
      runKey: request.runKey,
      attempt: 1,
      executionName: 'x',
      executionArn: `arn:aws:states:us-east-1:123456789012:execution:p:${starts.length}`,
    };
  };
  const arrivalDeps: RecordArrivalDeps = { batches: batchesTable(db.client, db.tables.batches), registry, clock, ttlDays: 35, start };
  const metrics: PipelineMetrics = {
    count: (pipeline, name) => void counts.push([pipeline, name]),
    runFailed: () => undefined,
    value: () => undefined,
    flush: () => undefined,
  };
  const deps: SweepDeps = {
    batches: batchesSweepTable(db.client, db.tables.batches),
    runs: runsIndex(db.client, db.tables.runs),
    registry,
    publisher: {
      publish: async (notice) => {
        if (failPublish) throw new Error('SNS is down');
        notices.push(notice);
        return { messageId: String(notices.length) };
      },
    },
    clock,
    metrics,
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    stack: { service: 'ecs-pipelines', stage: 'test' },
    stuckAfterSeconds: 900,
    runLookbackHours: 48,
  };
  const arrive = (file: 'orders' | 'customers', date: string, change: Partial<FileArrival> = {}) => {
    const arrival: FileArrival = {
      pipeline: 'orders-daily',
      batchKey: date,
      file,
      bucket: 'uploads',
      key: `incoming/acme/${file}-${date}.csv`,
      size: 10,
      etag: `etag-${file}-${date}`,
      sequencer: '0A',
      eventTime: now.toISOString(),
      source: 's3',
      ...change,
    };
    return recordArrival(arrival, arrivalDeps);
  };
  return {
    deps,
    notices,
    counts,
    starts,
    arrive,
    at: (ms: number) => void (now = new Date(T0 + ms)),
    failStart: (v: boolean) => void (failStart = v),
    failPublish: (v: boolean) => void (failPublish = v),
    /** Only this world's batches: dynalite is shared by the tests of this file. */
    mine: (pks: string[], date: string) => pks.filter((pk) => pk.endsWith(`#${date}`)),
  };
}

describe('sweeper', () => {
  it('reports an overdue incomplete batch once, listing arrived and missing files', async () => {
    const w = world();
    await w.arrive('orders', '2026-01-01');
    w.at(minutes(359));
    expect(w.mine((await sweep(w.deps)).incomplete, '2026-01-01')).toEqual([]);

    w.at(minutes(361));
    const first = await sweep(w.deps);
    expect(w.mine(first.incomplete, '2026-01-01')).toEqual(['orders-daily#2026-01-01']);
    const notice = w.notices.find((n) => n.message.includes('2026-01-01'))!;
    expect(notice.subject).toBe('[ecs-pipelines test] WARNING: orders-daily 2026-01-01: batch incomplete, missing customers');
    expect(notice.message).toContain('Files missing:  customers');
    expect(notice.message).toContain('Files arrived:  orders (incoming/acme/orders-2026-01-01.csv)');
    expect(notice.attributes).toMatchObject({ kind: 'batch-incomplete', pipeline: 'orders-daily' });
    expect(w.counts).toContainEqual(['orders-daily', 'IncompleteBatches']);

    w.at(minutes(400));
    const second = await sweep(w.deps);
    expect(w.mine(second.incomplete, '2026-01-01')).toEqual([]);
    expect(w.notices.filter((n) => n.message.includes('2026-01-01'))).toHaveLength(1);
  });

  it('ignores batches that completed and started', async () => {
    const w = world();
    await w.arrive('orders', '2026-01-02');
    await w.arrive('customers', '2026-01-02');
    expect(w.starts).toHaveLength(1);
    w.at(minutes(24 * 60));
    const report = await sweep(w.deps);
    expect([...report.incomplete, ...report.stuck, ...report.late].filter((pk) => pk.endsWith('2026-01-02'))).toEqual([]);
    expect(w.notices.filter((n) => n.message.includes('2026-01-02'))).toEqual([]);
  });

  it('closes a started batch that a later upload re-opened, without a notice', async () => {
    const w = world();
    await w.arrive('orders', '2026-01-09');
    await w.arrive('customers', '2026-01-09');
    // A newer upload of a file after the start: its arrival write re-creates openState.
    await w.arrive('customers', '2026-01-09', { sequencer: '0B', etag: 'etag-customers-again' });
    const open = () => w.deps.batches.openPastDeadline(Math.floor((T0 + minutes(24 * 60)) / 1000));
    expect(
      w.mine(
        (await open()).map((i) => i.pk),
        '2026-01-09',
      ),
    ).toEqual(['orders-daily#2026-01-09']);

    w.at(minutes(24 * 60));
    await sweep(w.deps);

    expect(
      w.mine(
        (await open()).map((i) => i.pk),
        '2026-01-09',
      ),
    ).toEqual([]);
    expect(w.notices.filter((n) => n.message.includes('2026-01-09'))).toEqual([]);
    expect(w.starts).toHaveLength(1);
  });

  it('still runs a batch whose missing file arrives after the notice, and says so once', async () => {
    const w = world();
    await w.arrive('orders', '2026-01-03');
    w.at(minutes(361));
    await sweep(w.deps);

    w.at(minutes(500));
    const outcome = await w.arrive('customers', '2026-01-03');
    expect(outcome).toMatchObject({ kind: 'started', runKey: 'orders-daily#2026-01-03', late: true });
    expect(w.starts.map((s) => s.batchKey)).toEqual(['2026-01-03']);

    w.at(minutes(505));
    const report = await sweep(w.deps);
    expect(w.mine(report.late, '2026-01-03')).toEqual(['orders-daily#2026-01-03']);
    const late = w.notices.filter((n) => n.message.includes('2026-01-03'));
    expect(late.map((n) => n.attributes.kind)).toEqual(['batch-incomplete', 'batch-late-completed']);
    expect(late[1]!.subject).toBe('[ecs-pipelines test] orders-daily 2026-01-03: late batch completed, run started');
    expect(late[1]!.message).toContain('Run:            orders-daily#2026-01-03');

    w.at(minutes(520));
    expect(w.mine((await sweep(w.deps)).late, '2026-01-03')).toEqual([]);
    // A redelivery of the late file now is a duplicate and starts nothing.
    expect(await w.arrive('customers', '2026-01-03')).toMatchObject({ kind: 'duplicate' });
    expect(w.starts).toHaveLength(1);
  });

  it('reports a complete batch whose run never started, once its last file is old enough', async () => {
    const w = world();
    w.failStart(true);
    await w.arrive('orders', '2026-01-04');
    await expect(w.arrive('customers', '2026-01-04')).rejects.toThrow('StartExecution throttled');
    w.at(minutes(361));
    // The last file is 361 minutes old: stuck.
    const report = await sweep(w.deps);
    expect(w.mine(report.stuck, '2026-01-04')).toEqual(['orders-daily#2026-01-04']);
    const notice = w.notices.find((n) => n.message.includes('2026-01-04'))!;
    expect(notice.attributes.kind).toBe('batch-stuck');
    expect(notice.message).toContain('no run was started');
    expect(w.counts).toContainEqual(['orders-daily', 'StuckBatches']);
    expect(w.mine((await sweep(w.deps)).stuck, '2026-01-04')).toEqual([]);
  });

  it('waits for a batch that completed moments ago (its start may be in flight)', async () => {
    const w = world();
    w.failStart(true);
    await w.arrive('orders', '2026-01-05');
    w.at(minutes(365));
    await expect(w.arrive('customers', '2026-01-05')).rejects.toThrow();
    w.at(minutes(370));
    const report = await sweep(w.deps);
    expect(w.mine([...report.stuck, ...report.incomplete], '2026-01-05')).toEqual([]);
  });

  it('undoes the mark when the notice cannot be sent, so the next sweep retries', async () => {
    const w = world();
    await w.arrive('orders', '2026-01-06');
    w.at(minutes(361));
    w.failPublish(true);
    await expect(sweep(w.deps)).rejects.toThrow(SweepError);
    w.failPublish(false);
    const report = await sweep(w.deps);
    expect(w.mine(report.incomplete, '2026-01-06')).toEqual(['orders-daily#2026-01-06']);
    expect(w.notices.filter((n) => n.message.includes('2026-01-06'))).toHaveLength(1);
  });

  it('reports a run still RUNNING past its max runtime once, and not a finished one', async () => {
    const w = world();
    const put = (pk: string, status: string, requestedAt: string) =>
      db.client.send(
        new PutCommand({
          TableName: db.tables.runs,
          Item: {
            pk,
            pipeline: 'orders-daily',
            batchKey: pk.split('#')[1],
            trigger: 's3',
            status,
            attempt: 1,
            executionName: 'e',
            requestedAt,
            startedAt: requestedAt,
            executionArn: `arn:aws:states:us-east-1:1:execution:p:${pk}`,
          },
        }),
      );
    await put('orders-daily#2026-02-01', 'RUNNING', new Date(T0).toISOString());
    await put('orders-daily#2026-02-02', 'SUCCEEDED', new Date(T0).toISOString());
    await put('orders-daily#2026-02-03', 'RUNNING', new Date(T0 + minutes(20)).toISOString());
    w.at(minutes(31)); // orders-daily: maxRuntimeSeconds 1800
    const report = await sweep(w.deps);
    expect(report.overrunning).toEqual(['orders-daily#2026-02-01']);
    const notice = w.notices.find((n) => n.attributes.kind === 'run-over-max-runtime')!;
    expect(notice.subject).toBe('[ecs-pipelines test] WARNING: orders-daily 2026-02-01: run still RUNNING after 31m 0s');
    expect(notice.message).toContain(
      'https://us-east-1.console.aws.amazon.com/states/home?region=us-east-1#/v2/executions/details/arn:aws:states:us-east-1:1:execution:p:orders-daily#2026-02-01',
    );
    w.at(minutes(60));
    expect((await sweep(w.deps)).overrunning).toEqual(['orders-daily#2026-02-03']);
  });
});
