/**
 * Batches of unknown size against real conditional writes (dynalite): manifest, marker and
 * quiet-period batches each start exactly one run under duplicated, reordered and concurrent
 * arrivals, and the Batches and Runs items record which rule completed them.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { batchesTable } from '../../lib/pipelines/adapters/batches-table';
import { batchesSweepTable } from '../../lib/pipelines/adapters/batches-sweep-table';
import { runsIndex } from '../../lib/pipelines/adapters/runs-index';
import { runsTable } from '../../lib/pipelines/adapters/runs-table';
import { runQueue } from '../../lib/pipelines/adapters/run-queue';
import type { UploadedObject } from '../../lib/pipelines/adapters/uploaded-objects';
import { recordArrival, type ArrivalOutcome, type RecordArrivalDeps } from '../../lib/pipelines/fan-in/record-arrival';
import { InvalidManifestError } from '../../lib/pipelines/fan-in/manifest';
import { startPipeline } from '../../lib/pipelines/start/start-pipeline';
import { startManualRun } from '../../lib/pipelines/start/manual-run';
import { backfill } from '../../lib/pipelines/operations/backfill';
import { sweep, type SweepDeps } from '../../lib/pipelines/sweeper/sweep';
import type { FileArrival } from '../../lib/contracts/messages';
import type { RenderedNotice } from '../../lib/shared/notices/notice';
import { parseRegistry } from '../../lib/registry/parse-registry';
import { indexRegistry } from '../../lib/registry/registry';
import { startDynalite, type Dynalite } from '../helpers/dynalite';
import { fakeStepFunctions, manualClock, stack } from '../unit/pipelines/start/fakes';

const registry = indexRegistry(
  parseRegistry(`
pipelines:
  by-manifest:
    trigger:
      files: { part: 'in/m/{date}/part-*.csv' }
      complete: { manifest: 'in/m/{date}/manifest.json' }
      windowMinutes: 60
    task: { container: c, image: repo/image:1, cpu: 256, memory: 512, launch: sync, timeoutSeconds: 600 }
  by-marker:
    trigger:
      files: { part: 'in/k/{date}/part-*.csv' }
      complete: { marker: 'in/k/{date}/_SUCCESS' }
      windowMinutes: 60
    task: { container: c, image: repo/image:1, cpu: 256, memory: 512, launch: sync, timeoutSeconds: 600 }
  by-quiet:
    trigger:
      files: { part: 'in/q/{date}/part-*.csv' }
      complete: { quietMinutes: 15 }
    task: { container: c, image: repo/image:1, cpu: 256, memory: 512, launch: sync, timeoutSeconds: 600 }
`),
);

let db: Dynalite;
beforeAll(async () => {
  db = await startDynalite();
});
afterAll(async () => {
  await db.stop();
});

/** The bucket as S3 would list and serve it. */
function bucket() {
  const objects = new Map<string, string>();
  return {
    objects,
    reader: {
      async read(_bucket: string, key: string) {
        const body = objects.get(key);
        if (body === undefined) throw Object.assign(new Error('The specified key does not exist.'), { name: 'NoSuchKey' });
        return body;
      },
      async *list(_bucket: string, prefix: string): AsyncIterable<UploadedObject> {
        for (const [key, body] of [...objects].sort()) if (key.startsWith(prefix)) yield { key, size: body.length, etag: `etag-${key}` };
      },
    },
  };
}

function world() {
  const sfn = fakeStepFunctions();
  const time = manualClock('2026-11-20T08:00:00.000Z');
  const s3 = bucket();
  const startDeps = {
    runs: runsTable(db.client, db.tables.runs),
    sfn: sfn.sfn,
    clock: time.clock,
    registry,
    leaseSeconds: 120,
    ...stack,
    runControl: { queue: runQueue(db.client, db.tables.runs), stackLimit: 0 },
  };
  const batches = batchesTable(db.client, db.tables.batches);
  const deps: RecordArrivalDeps = {
    batches,
    registry,
    clock: time.clock,
    ttlDays: 35,
    start: (request) => startPipeline(request, startDeps),
    objects: s3.reader,
  };
  const notices: RenderedNotice[] = [];
  const sweepDeps: SweepDeps = {
    batches: batchesSweepTable(db.client, db.tables.batches),
    runs: runsIndex(db.client, db.tables.runs),
    registry,
    publisher: { publish: async (notice) => ({ messageId: String(notices.push(notice)) }) },
    clock: time.clock,
    metrics: { count: () => undefined, runFailed: () => undefined, value: () => undefined, flush: () => undefined },
    log: { info: () => undefined, warn: () => undefined, error: () => undefined },
    stack,
    stuckAfterSeconds: 900,
    runLookbackHours: 48,
    quiet: { start: (request) => startPipeline(request, startDeps), markStarted: batches.markStarted },
  };
  let sequencer = 0x100;
  /** An object put in the bucket, and its event as the watcher publishes it. */
  const put = (pipeline: string, key: string, body = 'sku,region\n', role?: 'manifest' | 'marker'): FileArrival => {
    s3.objects.set(key, body);
    sequencer += 1;
    const match = registry.match('uploads', key, 'uploads')!;
    return {
      pipeline,
      batchKey: match.batchKey,
      file: match.file,
      bucket: 'uploads',
      key,
      size: body.length,
      etag: `etag-${key}`,
      sequencer: sequencer.toString(16).toUpperCase(),
      eventTime: time.clock().toISOString(),
      source: 's3',
      ...(role ? { role } : {}),
    };
  };
  const manualDeps = { ...startDeps, batches };
  return { sfn, time, s3, deps, sweepDeps, manualDeps, notices, put, deliver: (a: FileArrival) => recordArrival(a, deps) };
}

const item = async (pk: string) => (await db.client.send(new GetCommand({ TableName: db.tables.batches, Key: { pk } }))).Item;
const run = async (pk: string) => (await db.client.send(new GetCommand({ TableName: db.tables.runs, Key: { pk } }))).Item;
const kinds = (outcomes: ArrivalOutcome[]) => outcomes.map((o) => o.kind);

describe('manifest', () => {
  test('the manifest first, then its files duplicated and out of order, and a file it does not list: one run, with the listed files', async () => {
    // Prepare
    const w = world();
    const keys = ['in/m/2026-11-01/part-1.csv', 'in/m/2026-11-01/part-2.csv', 'in/m/2026-11-01/part-3.csv'];
    const manifest = w.put('by-manifest', 'in/m/2026-11-01/manifest.json', JSON.stringify({ files: keys }), 'manifest');
    const [p1, p2, p3] = keys.map((key) => w.put('by-manifest', key));
    const stray = w.put('by-manifest', 'in/m/2026-11-01/part-9.csv');

    // Act
    const outcomes: ArrivalOutcome[] = [];
    for (const a of [manifest, p3!, stray, p1!, p3!, manifest, p2!, p1!]) outcomes.push(await w.deliver(a));

    // Assess
    expect(kinds(outcomes)).toEqual(['waiting', 'waiting', 'ignored', 'waiting', 'waiting', 'waiting', 'started', 'duplicate']);
    expect(w.sfn.calls).toHaveLength(1);
    const input = w.sfn.calls[0]!.input as { objects: Array<{ key: string; file: string }>; runKey: string };
    expect(input.runKey).toBe('by-manifest#2026-11-01');
    expect(input.objects.map((o) => o.key)).toEqual(keys);
    expect(input.objects.every((o) => o.file === 'part')).toBe(true);
    expect(await item('by-manifest#2026-11-01')).toMatchObject({ completedBy: 'manifest', startedRunKey: 'by-manifest#2026-11-01' });
    expect(await run('by-manifest#2026-11-01')).toMatchObject({ completedBy: 'manifest' });
  });

  test('a Redshift COPY manifest arriving after every file starts the run on its own arrival', async () => {
    const w = world();
    const keys = ['in/m/2026-11-02/part-a.csv', 'in/m/2026-11-02/part-b.csv'];
    const files = keys.map((key) => w.put('by-manifest', key));
    const body = JSON.stringify({ entries: keys.map((key) => ({ url: `s3://uploads/${key}`, mandatory: true })) });
    const manifest = w.put('by-manifest', 'in/m/2026-11-02/manifest.json', body, 'manifest');

    const outcomes: ArrivalOutcome[] = [];
    for (const a of [...files, manifest, manifest]) outcomes.push(await w.deliver(a));
    // The manifest deleted after the run, then its event delivered once more.
    w.s3.objects.delete(manifest.key);
    outcomes.push(await w.deliver(manifest));

    expect(kinds(outcomes)).toEqual(['waiting', 'waiting', 'started', 'duplicate', 'duplicate']);
    expect(w.sfn.calls).toHaveLength(1);
  });

  test('a manifest that is gone before its batch ran fails its record (to the DLQ), saying so', async () => {
    const w = world();
    const manifest = w.put(
      'by-manifest',
      'in/m/2026-11-06/manifest.json',
      JSON.stringify({ files: ['in/m/2026-11-06/part-1.csv'] }),
      'manifest',
    );
    w.s3.objects.delete(manifest.key);
    await expect(w.deliver(manifest)).rejects.toThrow('The specified key does not exist.');
  });

  test('two invocations delivering the same batch at once start one execution', async () => {
    const w = world();
    const keys = ['in/m/2026-11-03/part-1.csv', 'in/m/2026-11-03/part-2.csv'];
    const manifest = w.put('by-manifest', 'in/m/2026-11-03/manifest.json', JSON.stringify({ files: keys }), 'manifest');
    const files = keys.map((key) => w.put('by-manifest', key));

    const outcomes = await Promise.all([manifest, ...files, ...files.reverse(), manifest].map((a) => w.deliver(a).catch((e: Error) => e)));

    expect(new Set(w.sfn.calls.map((c) => c.name)).size).toBe(1);
    expect(outcomes.filter((o) => !(o instanceof Error) && o.kind === 'started')).toHaveLength(1);
  });

  test('a manifest listing a key that is no file of its batch is refused, naming it; nothing is recorded', async () => {
    const w = world();
    const manifest = w.put(
      'by-manifest',
      'in/m/2026-11-04/manifest.json',
      JSON.stringify({ files: ['in/m/2026-11-05/part-1.csv'] }),
      'manifest',
    );

    await expect(w.deliver(manifest)).rejects.toThrow(InvalidManifestError);
    await expect(w.deliver(manifest)).rejects.toThrow(
      'lists 1 key(s) that are not files of batch "2026-11-04" of pipeline "by-manifest" (its file patterns decide): in/m/2026-11-05/part-1.csv',
    );
    expect(await item('by-manifest#2026-11-04')).toBeUndefined();
  });
});

describe('marker', () => {
  test("the marker before some of its files' events: one run with every file in its folder (listed), duplicates start nothing", async () => {
    const w = world();
    const p1 = w.put('by-marker', 'in/k/2026-11-01/part-1.csv');
    const p2 = w.put('by-marker', 'in/k/2026-11-01/part-2.csv');
    const marker = w.put('by-marker', 'in/k/2026-11-01/_SUCCESS', '', 'marker');
    w.s3.objects.set('in/k/2026-11-01/notes.txt', 'not a file of the pipeline');

    const outcomes: ArrivalOutcome[] = [];
    for (const a of [p2, marker, marker, p1, p2]) outcomes.push(await w.deliver(a));

    expect(kinds(outcomes)).toEqual(['waiting', 'started', 'duplicate', 'duplicate', 'duplicate']);
    expect(w.sfn.calls).toHaveLength(1);
    const input = w.sfn.calls[0]!.input as { objects: Array<{ key: string }> };
    expect(input.objects.map((o) => o.key)).toEqual(['in/k/2026-11-01/part-1.csv', 'in/k/2026-11-01/part-2.csv']);
    expect(await item('by-marker#2026-11-01')).toMatchObject({ completedBy: 'marker', markerAt: expect.any(String) });
  });
});

describe('quiet period', () => {
  test('every arrival moves the deadline; the sweep starts the batch once, after the quiet period, and concurrent sweeps start one run', async () => {
    const w = world();
    const p1 = w.put('by-quiet', 'in/q/2026-11-01/part-1.csv');
    const p2 = w.put('by-quiet', 'in/q/2026-11-01/part-2.csv');
    expect(kinds([await w.deliver(p1), await w.deliver(p1)])).toEqual(['waiting', 'waiting']);
    w.time.advance(10 * 60);
    await w.deliver(p2);
    w.time.advance(10 * 60); // 20 minutes after the first file, 10 after the last

    expect((await sweep(w.sweepDeps)).quiet).toEqual([]);
    expect(w.sfn.calls).toHaveLength(0);

    w.time.advance(6 * 60);
    const reports = await Promise.all([sweep(w.sweepDeps), sweep(w.sweepDeps)]);

    expect(reports.flatMap((r) => r.quiet).length).toBeGreaterThanOrEqual(1);
    expect(new Set(w.sfn.calls.map((c) => c.name)).size).toBe(1);
    const input = w.sfn.calls[0]!.input as { objects: Array<{ key: string }> };
    expect(input.objects.map((o) => o.key).sort()).toEqual([p1.key, p2.key]);
    expect(await item('by-quiet#2026-11-01')).toMatchObject({ completedBy: 'quiet', startedRunKey: 'by-quiet#2026-11-01' });
    expect(await run('by-quiet#2026-11-01')).toMatchObject({ completedBy: 'quiet' });

    // A late duplicate re-opens nothing that runs again.
    expect(kinds([await w.deliver(p2)])).toEqual(['duplicate']);
    w.time.advance(20 * 60);
    await sweep(w.sweepDeps);
    expect(new Set(w.sfn.calls.map((c) => c.name)).size).toBe(1);
  });

  test('a file that arrives between the sweep reading the batch and claiming it keeps the batch open', async () => {
    const w = world();
    await w.deliver(w.put('by-quiet', 'in/q/2026-11-02/part-1.csv'));
    w.time.advance(16 * 60);
    const [seen] = (await w.sweepDeps.batches.openPastDeadline(Math.floor(w.time.clock().getTime() / 1000))).filter(
      (b) => b.pk === 'by-quiet#2026-11-02',
    );

    await w.deliver(w.put('by-quiet', 'in/q/2026-11-02/part-2.csv'));

    expect(await w.sweepDeps.batches.claimQuiet(seen!, w.time.clock())).toBeUndefined();
    expect(w.sfn.calls).toHaveLength(0);
  });
});

describe('overdue', () => {
  test('past the window, a batch is reported with what its rule still waits for: the manifest, a listed file, the marker', async () => {
    // Prepare
    const w = world();
    await w.deliver(w.put('by-manifest', 'in/m/2026-10-01/part-1.csv'));
    const listed = ['in/m/2026-10-02/part-1.csv', 'in/m/2026-10-02/part-2.csv'];
    await w.deliver(w.put('by-manifest', 'in/m/2026-10-02/manifest.json', JSON.stringify({ files: listed }), 'manifest'));
    await w.deliver(w.put('by-manifest', listed[0]!));
    await w.deliver(w.put('by-marker', 'in/k/2026-10-01/part-1.csv'));
    w.time.advance(61 * 60);

    // Act
    const report = await sweep(w.sweepDeps);
    const again = await sweep(w.sweepDeps);

    // Assess
    const mine = report.incomplete.filter((pk) => pk.includes('2026-10-0')).sort();
    expect(mine).toEqual(['by-manifest#2026-10-01', 'by-manifest#2026-10-02', 'by-marker#2026-10-01']);
    expect(again.incomplete.filter((pk) => pk.includes('2026-10-0'))).toEqual([]);
    const text = (batchKey: string, pipeline: string) =>
      JSON.stringify(w.notices.find((n) => JSON.stringify(n).includes(`${pipeline}`) && JSON.stringify(n).includes(batchKey)));
    expect(text('2026-10-01', 'by-manifest')).toContain('(the manifest)');
    expect(text('2026-10-02', 'by-manifest')).toContain('in/m/2026-10-02/part-2.csv');
    expect(text('2026-10-01', 'by-marker')).toContain('(the marker)');
    // (The sweep also starts the quiet batch an earlier test left: its quiet period passed.)
    expect(w.sfn.calls.filter((call) => call.name.includes('2026-10-0'))).toHaveLength(0);
  });

  test('a marker that lands after the batch was reported still starts it once (a late batch)', async () => {
    const w = world();
    await w.deliver(w.put('by-marker', 'in/k/2026-10-05/part-1.csv'));
    w.time.advance(61 * 60);
    expect((await sweep(w.sweepDeps)).incomplete).toContain('by-marker#2026-10-05');

    const outcome = await w.deliver(w.put('by-marker', 'in/k/2026-10-05/_SUCCESS', '', 'marker'));

    expect(outcome).toMatchObject({ kind: 'started', late: true, completedBy: 'marker' });
    expect((await sweep(w.sweepDeps)).late).toContain('by-marker#2026-10-05');
  });
});

describe('by hand', () => {
  test('a marker batch started by hand before its marker runs with the files that arrived, and says the marker is missing', async () => {
    const w = world();
    const part = w.put('by-marker', 'in/k/2026-10-09/part-1.csv');
    await w.deliver(part);

    const outcome = await startManualRun({ pipeline: 'by-marker', batch: '2026-10-09' }, w.manualDeps);

    expect(outcome).toMatchObject({ status: 'started', missingFiles: ['(the marker)'] });
    expect((w.sfn.calls[0]!.input as { objects: Array<{ key: string; file: string }> }).objects).toEqual([
      expect.objectContaining({ key: part.key, file: 'part' }),
    ]);
    // The marker landing afterwards starts nothing more.
    expect(await w.deliver(w.put('by-marker', 'in/k/2026-10-09/_SUCCESS', '', 'marker'))).toMatchObject({ kind: 'duplicate' });
  });

  test('backfill refuses a pipeline whose batches complete by a rule, saying what to do instead', async () => {
    const w = world();
    await expect(
      backfill({ pipeline: 'by-quiet', from: '2026-10-01', to: '2026-10-02', dryRun: true } as Parameters<typeof backfill>[0], {
        start: w.manualDeps,
        objects: w.s3.reader,
        uploadsBucket: 'uploads',
        ttlDays: 35,
      }),
    ).rejects.toThrow('pipeline "by-quiet" completes its batches by a quiet period, not by named files');
  });
});
