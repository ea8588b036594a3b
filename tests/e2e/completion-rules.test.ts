/**
 * Batches of unknown size on the local cloud, through the real event path (S3 notification →
 * watcher → Kinesis → fan-in → run lock → Step Functions → ECS): a manifest, a marker and a
 * quiet-period batch each start exactly one run, whatever the order and repetition of uploads.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { freshLocalCloud, projectRoot, waitFor } from '../../local/cloud/test-support';
import { checkContainerBuild, runFigures, uploadsBucket } from '../../local/scenarios/demo/demo';
import type { LocalCloud } from '../../local/cloud/start';

jest.setTimeout(300_000);

const ECHO_TASK = `{ container: echo, image: { build: { context: tests/fixtures/containers/batch-echo } }, cpu: 256, memory: 512, launch: sync, timeoutSeconds: 120 }`;
const ADDED = `
  # Added for this test only.
  acme-manifest:
    trigger:
      files: { part: 'incoming/acme-m/{date}/part-*.csv' }
      complete: { manifest: 'incoming/acme-m/{date}/manifest.json' }
      windowMinutes: 30
    task: ${ECHO_TASK}
  acme-quiet:
    trigger:
      files: { part: 'incoming/acme-q/{date}/part-*.csv' }
      complete: { quietMinutes: 1 }
    task: ${ECHO_TASK}
`;

let folder: string;
let cloud: LocalCloud;
const started: string[] = [];

beforeAll(async () => {
  checkContainerBuild(projectRoot);
  folder = mkdtempSync(join(tmpdir(), 'completion-rules-'));
  const registry = join(folder, 'pipelines.yml');
  writeFileSync(registry, readFileSync(join(projectRoot, 'pipelines.yml'), 'utf8').replace(/^pipelines:\n/m, `pipelines:${ADDED}\n`));
  cloud = await freshLocalCloud({ pipelinesFile: registry });
  cloud.stepFunctions.events.on('history', (e: { executionArn: string; event: { type: string } }) => {
    if (e.event.type === 'ExecutionStarted') started.push(e.executionArn);
  });
});

afterAll(async () => {
  await cloud?.stop();
  rmSync(folder, { recursive: true, force: true });
});

const put = (key: string, body = 'x\n') =>
  cloud.clients.s3.send(new PutObjectCommand({ Bucket: uploadsBucket(cloud), Key: key, Body: Buffer.from(body) }));
const runItem = async (pk: string) =>
  (await cloud.clients.documents.send(new GetCommand({ TableName: cloud.resources.tables.RunsTable!, Key: { pk } }))).Item;
const batchItem = async (pk: string) =>
  (await cloud.clients.documents.send(new GetCommand({ TableName: cloud.resources.tables.BatchesTable!, Key: { pk } }))).Item;
const finished = (pk: string) =>
  waitFor(
    `run ${pk} to finish`,
    async () => {
      const item = await runItem(pk);
      return item && ['SUCCEEDED', 'FAILED'].includes(item.status as string) ? item : undefined;
    },
    120_000,
  );
const executionsOf = (pipeline: string, batchKey: string) => started.filter((arn) => arn.includes(`${pipeline}-${batchKey}`)).length;
/** Gives the fan-in time to process any late duplicates before counting executions again. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 3000));

test('manifest: uploaded before its files, repeated, with a file it does not list: one run, once every listed file arrived', async () => {
  // Prepare
  const date = '2026-12-01';
  const parts = [1, 2, 3].map((n) => `incoming/acme-m/${date}/part-${n}.csv`);

  // Act: the manifest first, the parts in reverse, a stray file, then everything again.
  await put(
    `incoming/acme-m/${date}/manifest.json`,
    JSON.stringify({ entries: parts.map((key) => ({ url: `s3://${uploadsBucket(cloud)}/${key}`, mandatory: true })) }),
  );
  for (const key of [parts[2]!, parts[1]!, `incoming/acme-m/${date}/part-9.csv`]) await put(key);
  await settle();
  expect(await runItem(`acme-manifest#${date}`)).toBeUndefined();
  await put(parts[0]!);
  const run = await finished(`acme-manifest#${date}`);
  await put(`incoming/acme-m/${date}/manifest.json`, JSON.stringify({ files: parts }));
  for (const key of parts) await put(key);
  await settle();

  // Assess
  expect(run).toMatchObject({ status: 'SUCCEEDED', completedBy: 'manifest' });
  expect(executionsOf('acme-manifest', date)).toBe(1);
  expect(await batchItem(`acme-manifest#${date}`)).toMatchObject({ completedBy: 'manifest' });
});

test('marker (the sample inventory-parts pipeline): the marker lands, its parts are loaded, and repeats start nothing', async () => {
  const date = '2026-12-01';
  const header = 'sku,region,warehouse,quantity,unit_cost,counted_at\n';
  await put(`incoming/inventory-parts/${date}/snapshot-1.csv`, `${header}SKU-1,eu,berlin,3,2.50,2026-12-01\n`);
  await put(`incoming/inventory-parts/${date}/snapshot-2.csv`, `${header}SKU-2,eu,berlin,4,1.00,2026-12-01\n`);
  await put(`incoming/inventory-parts/${date}/_SUCCESS`, '');
  await put(`incoming/inventory-parts/${date}/_SUCCESS`, '');
  const run = await finished(`inventory-parts#${date}`);
  await put(`incoming/inventory-parts/${date}/snapshot-2.csv`, `${header}SKU-2,eu,berlin,4,1.00,2026-12-01\n`);
  await settle();

  expect(run).toMatchObject({ status: 'SUCCEEDED', completedBy: 'marker' });
  // Both parts were read, one after the other, and loaded (one row per region and SKU).
  expect(runFigures(cloud, `inventory-parts#${date}`)).toMatchObject({
    rowsRead: 2,
    rowsRejected: 0,
    tables: { inventory_region_sku: 2 },
  });
  expect(executionsOf('inventory-parts', date)).toBe(1);
});

test('quiet period: repeated uploads then silence; the sweeper starts the batch once, however often it runs', async () => {
  const date = '2026-12-01';
  for (const key of [2, 1, 2, 1].map((n) => `incoming/acme-q/${date}/part-${n}.csv`)) await put(key);
  await waitFor(
    'both parts recorded',
    async () => ((await batchItem(`acme-quiet#${date}`))?.arrived as Set<string> | undefined)?.size === 2,
    30_000,
  );
  // Every arrival moves the deadline: wait until the repeats were recorded too (it stops moving).
  let deadline = -1;
  await waitFor(
    'the last arrival recorded',
    async () => {
      await settle();
      const now = (await batchItem(`acme-quiet#${date}`))?.deadline as number;
      const still = now === deadline;
      deadline = now;
      return still || undefined;
    },
    60_000,
  );
  const sweeper = cloud.functions.functions.get('SweepIncompleteBatchesLambdaFunction')!;

  // Within the quiet period the sweeper starts nothing.
  await sweeper.invoke({});
  expect(await runItem(`acme-quiet#${date}`)).toBeUndefined();

  // The quiet minute passes (moved back instead of waited for), then two sweeps at once.
  await cloud.clients.documents.send(
    new UpdateCommand({
      TableName: cloud.resources.tables.BatchesTable!,
      Key: { pk: `acme-quiet#${date}` },
      UpdateExpression: 'SET deadline = :past',
      ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
    }),
  );
  const answers = (await Promise.all([sweeper.invoke({}), sweeper.invoke({})])) as Array<{ quiet: string[] }>;
  const run = await finished(`acme-quiet#${date}`);
  await sweeper.invoke({});
  await settle();

  expect([...new Set(answers.flatMap((answer) => answer.quiet))]).toEqual([`acme-quiet#${date}`]);
  expect(run).toMatchObject({ status: 'SUCCEEDED', completedBy: 'quiet' });
  expect(executionsOf('acme-quiet', date)).toBe(1);
  expect(await batchItem(`acme-quiet#${date}`)).toMatchObject({ completedBy: 'quiet', startedRunKey: `acme-quiet#${date}` });
});
