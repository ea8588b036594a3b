/**
 * opsShowRun and opsRerunBatch against the emulators: the Batches and Runs tables on dynalite
 * (written by the fan-in's own adapter and the run lock), executions on the local Step
 * Functions through the SDK. A re-run is a fresh attempt of the same run key with the files
 * that arrived; it is refused while the previous attempt runs.
 */
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { CreateStateMachineCommand, DescribeExecutionCommand, SFNClient } from '@aws-sdk/client-sfn';
import { batchesTable } from '../../lib/pipelines/adapters/batches-table';
import { runQueue } from '../../lib/pipelines/adapters/run-queue';
import { runsTable } from '../../lib/pipelines/adapters/runs-table';
import { stepFunctions } from '../../lib/pipelines/adapters/step-functions';
import { rerunBatch, showRun } from '../../lib/pipelines/operations/runs';
import { startManualRun } from '../../lib/pipelines/start/manual-run';
import { pipelines } from '../../lib/registry';
import { startLocalStepFunctions, type LocalStepFunctionsServer } from '../../local/emulators/stepfunctions';
import { startDynalite, type Dynalite } from '../helpers/dynalite';

let db: Dynalite;
let sfnServer: LocalStepFunctionsServer;
let sfn: SFNClient;
let stateMachineArn: string;
const NOW = new Date('2026-11-20T07:00:00.000Z');

beforeAll(async () => {
  db = await startDynalite();
  sfnServer = await startLocalStepFunctions();
  sfn = new SFNClient({ endpoint: sfnServer.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
  // A state machine that waits on a callback nobody sends: the run stays RUNNING until the test ends it.
  const definition = {
    StartAt: 'Hold',
    States: {
      Hold: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Parameters: { FunctionName: 'hold', 'Payload.$': '$' },
        End: true,
      },
    },
  };
  sfnServer.sfn.setIntegrations({ lambdas: { hold: () => ({}) } });
  stateMachineArn = (
    await sfn.send(
      new CreateStateMachineCommand({
        name: 'ecs-pipelines-test-pipeline',
        definition: JSON.stringify(definition),
        roleArn: 'arn:aws:iam::000000000000:role/x',
      }),
    )
  ).stateMachineArn!;
});
afterAll(async () => {
  sfn.destroy();
  await sfnServer.stop();
  await db.stop();
});

const deps = () => ({
  runs: runsTable(db.client, db.tables.runs),
  batches: batchesTable(db.client, db.tables.batches),
  sfn: stepFunctions(sfn, stateMachineArn),
  clock: () => NOW,
  registry: pipelines(),
  leaseSeconds: 30,
  service: 'ecs-pipelines',
  stage: 'test',
  runControl: { queue: runQueue(db.client, db.tables.runs), stackLimit: 0 },
});
const showDeps = () => ({
  getRun: async (runKey: string) =>
    (await db.client.send(new GetCommand({ TableName: db.tables.runs, Key: { pk: runKey }, ConsistentRead: true }))).Item,
  batches: batchesTable(db.client, db.tables.batches),
  registry: pipelines(),
  clock: () => new Date(NOW.getTime() + 90_000),
  taskLogs: { region: 'us-east-1', logGroup: '/ecs/ecs-pipelines-test/pipelines' },
});

async function arrive(file: 'orders' | 'customers', batchKey: string) {
  await batchesTable(db.client, db.tables.batches).recordArrival(
    {
      pipeline: 'orders-daily',
      batchKey,
      file,
      bucket: 'uploads',
      key: `incoming/acme/${file}-${batchKey}.csv`,
      size: 100,
      etag: `etag-${file}`,
      sequencer: '0A',
      eventTime: '2026-11-20T06:00:00.000Z',
      source: 's3',
    },
    { now: NOW, windowMinutes: 360, ttlDays: 35 },
  );
}
/** What the state machine's last states write when a run ends. */
const finish = (runKey: string, executionArn: string, status: 'SUCCEEDED' | 'FAILED') =>
  db.client.send(
    new UpdateCommand({
      TableName: db.tables.runs,
      Key: { pk: runKey },
      UpdateExpression: 'SET #s = :s, executionArn = :a, endedAt = :e, durationMs = :d, #r = :r',
      ExpressionAttributeNames: { '#s': 'status', '#r': 'result' },
      ExpressionAttributeValues: {
        ':s': status,
        ':a': executionArn,
        ':e': '2026-11-20T07:01:00.000Z',
        ':d': 60_000,
        ':r': {
          status,
          recordsAffected: null,
          errorClass: status === 'FAILED' ? 'container-error' : null,
          shards: [{ index: 0, status, exitCode: 1, taskArn: 'arn:aws:ecs:us-east-1:000000000000:task/c/0123abcd' }],
        },
      },
    }),
  );

describe('opsShowRun', () => {
  test('shows a run of a batch: files arrived and missing, status, shard tasks with their log links, and its execution', async () => {
    // Prepare: the orders file arrived, a manual run started with it, and failed.
    await arrive('orders', '2026-11-20');
    const started = await startManualRun({ pipeline: 'orders-daily', batch: '2026-11-20' }, deps());
    if (started.status !== 'started') throw new Error(`the run did not start: ${started.status}`);
    await finish(started.runKey, started.executionArn, 'FAILED');
    // Act
    const shown = await showRun({ runKey: 'orders-daily#2026-11-20' }, showDeps());
    const byBatch = await showRun({ pipeline: 'orders-daily', batch: '2026-11-20' }, showDeps());
    // Assess
    expect(byBatch).toEqual(shown);
    expect(shown).toMatchObject({
      run: { runKey: 'orders-daily#2026-11-20', status: 'FAILED', trigger: 'manual', attempt: 1, errorClass: 'container-error' },
      files: { arrived: [{ file: 'orders', key: 'incoming/acme/orders-2026-11-20.csv', size: 100 }], missing: ['customers'] },
    });
    expect((shown.tasks as Array<{ logs: string }>)[0]!.logs).toContain('0123abcd');
    expect((shown.links as { execution: string }).execution).toContain(started.executionName);
  });

  test('names a run that does not exist and how to find the runs', async () => {
    await expect(showRun({ runKey: 'orders-daily#1999-01-01' }, showDeps())).rejects.toThrow(
      'no run "orders-daily#1999-01-01" in the Runs table (list them with opsListRuns)',
    );
  });
});

describe('opsRerunBatch', () => {
  test('starts a fresh attempt of a finished run with the files that arrived since, under the same run key', async () => {
    // Prepare: batch 2026-11-21's first attempt ran with the orders only and failed; the customers came later.
    await arrive('orders', '2026-11-21');
    const first = await startManualRun({ pipeline: 'orders-daily', batch: '2026-11-21' }, deps());
    if (first.status !== 'started') throw new Error(`the run did not start: ${first.status}`);
    await finish(first.runKey, first.executionArn, 'FAILED');
    await arrive('customers', '2026-11-21');
    // Act
    const rerun = await rerunBatch({ pipeline: 'orders-daily', batch: '2026-11-21', force: true }, deps());
    // Assess
    expect(rerun).toMatchObject({ status: 'started', runKey: 'orders-daily#2026-11-21', attempt: 2, missingFiles: [] });
    if (rerun.status !== 'started') throw new Error(`the re-run did not start: ${rerun.status}`);
    expect(rerun.executionName).not.toBe(first.executionName);
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: rerun.executionArn }));
    expect(execution.status).toBe('RUNNING');
    const input = JSON.parse(execution.input!) as { objects: Array<{ file: string }>; trigger: string };
    expect(input.objects.map((o) => o.file).sort()).toEqual(['customers', 'orders']);
    expect(input.trigger).toBe('manual');
    const shown = await showRun({ runKey: 'orders-daily#2026-11-21' }, showDeps());
    expect(shown).toMatchObject({ run: { attempt: 2, status: 'STARTING' } });
  });

  test('while the new attempt holds the run, another re-run starts nothing and answers with the attempt in progress', async () => {
    const before = sfnServer.sfn.listExecutions().length;
    const again = await rerunBatch({ pipeline: 'orders-daily', batch: '2026-11-21', force: true }, deps());
    expect(again).toMatchObject({ status: 'in-progress', runKey: 'orders-daily#2026-11-21', attempt: 2 });
    expect(sfnServer.sfn.listExecutions()).toHaveLength(before);
  });

  test('names a batch that never had a file', async () => {
    await expect(rerunBatch({ pipeline: 'orders-daily', batch: '1999-01-01', force: true }, deps())).rejects.toThrow(/1999-01-01/);
  });
});
