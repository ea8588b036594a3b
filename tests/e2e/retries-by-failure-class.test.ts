/**
 * Retries by failure class on the local cloud: the real state machine, its Decide Shard Retry
 * step and the local ECS playing Fargate Spot interruptions and image-pull failures. A pipeline
 * on Fargate Spot is interrupted and re-runs on FARGATE (SUCCEEDED, two attempts recorded); an
 * image that cannot be pulled is retried as task.retry.imagePull says, then the run FAILS
 * naming the class and the attempts; a container error is not retried by default.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { freshLocalCloud, projectRoot, waitFor } from '../../local/cloud/test-support';
import { uploadsBucket } from '../../local/scenarios/demo/demo';
import type { LocalCloud } from '../../local/cloud/start';
import type { LocalTask } from '../../local/emulators/ecs';

jest.setTimeout(300_000);

const RETRY_PROBE = `
  # Added for this test only: a Fargate Spot pipeline with short retry intervals.
  retry-probe:
    trigger:
      files:
        marker: incoming/retry-probe/marker-{date}.txt
      windowMinutes: 5
    task:
      container: probe
      image:
        build: { context: tests/fixtures/containers/retry-probe }
      architecture: X86_64
      capacity: fargate-spot
      cpu: 256
      memory: 512
      launch: sync
      timeoutSeconds: 120
      retry:
        spotInterruption: { attempts: 1, fallbackToOnDemand: true }
        imagePull: { attempts: 2, intervalSeconds: 1, backoff: 2 }
`;

const FAMILY = 'ecs-pipelines-local-retry-probe';

let folder: string;
let cloud: LocalCloud;
const stopped: LocalTask[] = [];

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'retries-by-class-'));
  const registry = join(folder, 'pipelines.yml');
  writeFileSync(registry, readFileSync(join(projectRoot, 'pipelines.yml'), 'utf8').replace(/^pipelines:\n/m, `pipelines:${RETRY_PROBE}\n`));
  cloud = await freshLocalCloud({ pipelinesFile: registry });
  cloud.ecs.events.on('taskStateChange', (event) => {
    if (event.detail.lastStatus === 'STOPPED') stopped.push(cloud.ecs.ecs.getTask(event.resources[0]!)!);
  });
});

afterAll(async () => {
  await cloud?.stop();
  rmSync(folder, { recursive: true, force: true });
});

const upload = (date: string) =>
  cloud.clients.s3.send(new PutObjectCommand({ Bucket: uploadsBucket(cloud), Key: `incoming/retry-probe/marker-${date}.txt`, Body: 'go' }));

const runOf = (date: string) =>
  waitFor(
    `the run of retry-probe ${date} to finish`,
    async () => {
      const { Item } = await cloud.clients.documents.send(
        new GetCommand({ TableName: cloud.resources.tables.RunsTable!, Key: { pk: `retry-probe#${date}` } }),
      );
      return Item && ['SUCCEEDED', 'FAILED'].includes(Item.status as string) ? Item : undefined;
    },
    120_000,
  );

const tasksOf = (date: string) =>
  stopped.filter((task) =>
    task.overrides.containerOverrides.some((o) => o.environment?.some((e) => e.name === 'BATCH_KEY' && e.value === date)),
  );

interface RecordedShard {
  status: string;
  attempts: number;
  errorClass?: string;
  retried?: Array<{ attempt: number; capacityProvider: string; errorClass: string; nextCapacityProvider?: string }>;
}
const shardOf = (run: Record<string, unknown>) => (run.result as { shards: RecordedShard[] }).shards[0]!;

test('a Spot-interrupted shard re-runs on FARGATE and the run succeeds with both attempts recorded', async () => {
  // Prepare: Fargate Spot takes the next task of the pipeline back 200 ms after it starts.
  cloud.ecs.ecs.injectFault({ kind: 'spot-interruption', family: FAMILY, afterMs: 200 });

  // Act
  await upload('2026-12-01');
  const run = await runOf('2026-12-01');

  // Assess
  expect(run.status).toBe('SUCCEEDED');
  expect(tasksOf('2026-12-01').map((t) => [t.capacityProviderName, t.stopCode])).toEqual([
    ['FARGATE_SPOT', 'SpotInterruption'],
    ['FARGATE', 'EssentialContainerExited'],
  ]);
  expect(shardOf(run)).toMatchObject({
    status: 'SUCCEEDED',
    attempts: 2,
    retried: [{ attempt: 1, capacityProvider: 'FARGATE_SPOT', errorClass: 'spot-interruption', nextCapacityProvider: 'FARGATE' }],
  });

  // The interrupted try's task time is in the cost estimate: each try ran well under a minute, billed one minute each.
  expect(shardOf(run).retried![0]).toMatchObject({ taskStartedAt: expect.any(Number), taskStoppedAt: expect.any(Number) });
  expect((run.result as { cost: Record<string, number> }).cost).toMatchObject({ taskSeconds: 120, retriedTaskSeconds: 60 });

  // The operating command shows the attempts too, and how much of the cost they took.
  const shown = (await cloud.functions.functions.get('OpsShowRunLambdaFunction')!.invoke({ runKey: 'retry-probe#2026-12-01' })) as {
    tasks: RecordedShard[];
    cost: { estimate: string };
  };
  expect(shown.tasks[0]).toMatchObject({ attempts: 2, retried: [{ errorClass: 'spot-interruption' }] });
  expect(shown.cost.estimate).toContain('for 120 task-seconds, 60 of them by retried tries');
});

test('an image that cannot be pulled is retried as task.retry.imagePull says, then the run fails naming the class and the attempts', async () => {
  // Prepare: every try of this batch fails to pull its image.
  cloud.ecs.ecs.injectFault({ kind: 'image-pull', family: FAMILY, count: 3 });

  // Act
  await upload('2026-12-02');
  const run = await runOf('2026-12-02');

  // Assess: 1 + 2 tries, all on Fargate Spot (only an interruption moves a shard).
  expect(run.status).toBe('FAILED');
  expect(tasksOf('2026-12-02').map((t) => [t.capacityProviderName, t.stopCode])).toEqual([
    ['FARGATE_SPOT', 'TaskFailedToStart'],
    ['FARGATE_SPOT', 'TaskFailedToStart'],
    ['FARGATE_SPOT', 'TaskFailedToStart'],
  ]);
  const result = run.result as { errorClass: string; errorMessage: string };
  expect(result.errorClass).toBe('image-pull');
  expect(result.errorMessage).toContain('(image-pull, after 3 attempts:');
  expect(shardOf(run)).toMatchObject({ attempts: 3, retried: [{ errorClass: 'image-pull' }, { errorClass: 'image-pull' }] });

  // The operators' notice names the class and each try.
  const notice = await waitFor('the failure notice', async () =>
    cloud.monitoring.notices().find((n) => n.message.includes('retry-probe') && n.message.includes('2026-12-02')),
  );
  expect(notice.subject).toContain('run FAILED (image-pull)');
  expect(notice.message).toContain('(image-pull, after 3 attempts:');
  expect(notice.message).toContain('Shard 0 try 1:  image-pull on FARGATE_SPOT');
  expect(notice.message).toContain('Shard 0 try 2:  image-pull on FARGATE_SPOT');
});

test('a container error is not retried by default', async () => {
  // Act: the probe exits 3 for a batch key that says "fail".
  await upload('2026-12-03-fail');
  const run = await runOf('2026-12-03-fail');

  // Assess
  expect(run.status).toBe('FAILED');
  expect(tasksOf('2026-12-03-fail')).toHaveLength(1);
  expect(shardOf(run)).toMatchObject({ status: 'FAILED', attempts: 1, errorClass: 'container-error' });
  expect(shardOf(run).retried).toBeUndefined();
});
