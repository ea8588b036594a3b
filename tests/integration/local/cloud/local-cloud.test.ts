/**
 * The local cloud's wiring, end to end through the real handlers: S3 notification → watcher →
 * Kinesis → fan-in → start of exactly one execution, under duplicates and a crashing fan-in;
 * and the console serving what the Step Functions API reports.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { freshLocalCloud, waitFor } from '../../../../local/cloud/test-support';
import { uploadsBucket } from '../../../../local/scenarios/demo/demo';
import type { LocalCloud } from '../../../../local/cloud/start';

jest.setTimeout(240_000);

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await freshLocalCloud();
});
afterAll(async () => {
  await cloud?.stop();
});

const put = (key: string, body = 'order_id,customer_id,ordered_at,amount,note\nO1,C1,2026-11-20,1.00,\n') =>
  cloud.clients.s3.send(new PutObjectCommand({ Bucket: uploadsBucket(cloud), Key: key, Body: body }));

const executionsFor = async (batchKey: string) => {
  const out = await cloud.clients.sfn!.send(new ListExecutionsCommand({ stateMachineArn: cloud.resources.stateMachineArn }));
  return (out.executions ?? []).filter((e) => e.name!.includes(batchKey));
};

const runItem = async (runKey: string) => {
  const out = await cloud.clients.documents.send(new GetCommand({ TableName: cloud.resources.tables.RunsTable!, Key: { pk: runKey } }));
  return out.Item;
};

const batchItem = async (pk: string) => {
  const out = await cloud.clients.documents.send(new GetCommand({ TableName: cloud.resources.tables.BatchesTable!, Key: { pk } }));
  return out.Item;
};

/** Waits until nothing moves for a while, so a late second start would have shown up. */
const settle = async () => {
  await cloud.wiring.drain();
  await new Promise((r) => setTimeout(r, 2_500));
};

test('the stack resources come from the packaged template, named as the stage names them', () => {
  // Prepare / Act: done by start-up. Assess:
  expect(cloud.resources.tables).toEqual(
    expect.objectContaining({ BatchesTable: 'ecs-pipelines-local-BatchesTable', RunsTable: 'ecs-pipelines-local-RunsTable' }),
  );
  expect(Object.values(cloud.resources.streams)).toContain('ecs-pipelines-local-FileArrivalStream');
  expect(uploadsBucket(cloud)).toBe('ecs-pipelines-local-uploads-000000000000-us-east-1');
  expect(cloud.resources.stateMachineArn).toBe('arn:aws:states:us-east-1:000000000000:stateMachine:ecs-pipelines-local-pipeline');
  expect([...cloud.functions.functions.keys()]).toEqual(
    expect.arrayContaining(['S3UploadWatcherLambdaFunction', 'KinesisFanInLambdaFunction']),
  );
});

test('the SQS event source mappings come from the template: batch size and partial batch responses', () => {
  const byQueue = Object.fromEntries(
    cloud.wiring.sqsMappings.map((m) => [m.config.queueArn.split(':').at(-1), [m.config.batchSize, m.config.reportBatchItemFailures]]),
  );
  expect(byQueue).toEqual({
    'ecs-pipelines-local-NotifierObserverQueue': [5, true],
    'ecs-pipelines-local-NotifierServiceQueue': [10, true],
    'ecs-pipelines-local-NotifierTaskQueue': [10, true],
  });
});

test('a complete batch uploaded to S3 starts exactly one execution and takes the run lock', async () => {
  // Act
  await put('incoming/acme/orders-2026-10-01.csv');
  await put('incoming/acme/customers-2026-10-01.csv', 'customer_id,name,country,email\nC1,A,GB,\n');
  // Assess
  const [execution] = await waitFor('the execution of 2026-10-01', async () =>
    (await executionsFor('2026-10-01')).length ? executionsFor('2026-10-01') : undefined,
  );
  expect(execution!.name).toMatch(/^orders-daily-2026-10-01-/);
  const run = await waitFor('the Runs item', () => runItem('orders-daily#2026-10-01'));
  expect(run).toEqual(expect.objectContaining({ pipeline: 'orders-daily', batchKey: '2026-10-01' }));
  await settle();
  expect(await executionsFor('2026-10-01')).toHaveLength(1);
});

test('a file of an incomplete batch is recorded and starts nothing', async () => {
  await put('incoming/acme/orders-2026-10-02.csv');
  const batch = await waitFor('the Batches item', () => batchItem('orders-daily#2026-10-02'));
  await settle();
  expect([...(batch.arrived as Set<string>)]).toEqual(['orders']);
  expect(await executionsFor('2026-10-02')).toHaveLength(0);
  expect(await runItem('orders-daily#2026-10-02')).toBeUndefined();
});

test('a burst of duplicate uploads of one batch starts exactly one run', async () => {
  // Act: every file five times, all at once.
  await Promise.all(
    Array.from({ length: 5 }, () => [
      put('incoming/acme/orders-2026-10-03.csv'),
      put('incoming/acme/customers-2026-10-03.csv', 'customer_id,name,country,email\nC1,A,GB,\n'),
    ]).flat(),
  );
  // Assess
  await waitFor('the execution of 2026-10-03', async () => ((await executionsFor('2026-10-03')).length ? true : undefined));
  await settle();
  expect(await executionsFor('2026-10-03')).toHaveLength(1);
});

test('the fan-in crashing once mid-batch is retried: the batch completes with one run', async () => {
  // Prepare: the next fan-in invocation handles its first record, then dies.
  const outcomes: string[] = [];
  cloud.wiring.events.on('kinesisBatch', (o) => outcomes.push(o.outcome));
  cloud.functions.find('KinesisFanInLambdaFunction')!.injectFault({ kind: 'crash-mid-batch', afterRecords: 1 });
  // Act
  await Promise.all([
    put('incoming/acme/orders-2026-10-04.csv'),
    put('incoming/acme/customers-2026-10-04.csv', 'customer_id,name,country,email\nC1,A,GB,\n'),
  ]);
  // Assess
  await waitFor('the execution of 2026-10-04', async () => ((await executionsFor('2026-10-04')).length ? true : undefined));
  await settle();
  expect(outcomes).toContain('error');
  expect(await executionsFor('2026-10-04')).toHaveLength(1);
  const batch = await batchItem('orders-daily#2026-10-04');
  expect([...(batch!.arrived as Set<string>)].sort()).toEqual(['customers', 'orders']);
});

test('a key that matches no watched prefix reaches no function', async () => {
  const seen: Array<{ key: string; targets: number }> = [];
  cloud.wiring.events.on('s3', (e) => seen.push(e));
  await put('elsewhere/orders-2026-10-05.csv');
  await waitFor('the S3 event', async () => (seen.some((e) => e.key === 'elsewhere/orders-2026-10-05.csv') ? true : undefined));
  expect(seen.find((e) => e.key === 'elsewhere/orders-2026-10-05.csv')!.targets).toBe(0);
});

test('the console lists executions and draws the state machine with the path taken', async () => {
  const [execution] = await executionsFor('2026-10-01');
  const list = await (await fetch(`${cloud.endpoints.console}/executions`)).text();
  expect(list).toContain(execution!.name!);
  const page = await (await fetch(`${cloud.endpoints.console}/executions/${encodeURIComponent(execution!.executionArn!)}`)).text();
  expect(page).toContain('<svg');
  // The first state of the definition was entered, so it is drawn with a status.
  const first = JSON.parse(cloud.resources.stateMachineDefinition).StartAt as string;
  expect(page).toMatch(new RegExp(`data-state="${first}" data-status="(SUCCEEDED|FAILED|CAUGHT|RUNNING)"`));
});
