/**
 * Activity pipelines (launch activity) on the local cloud: the workers' ECS service polls the
 * pipeline's activity with the worker library's activity mode; a run completes through a
 * worker, and a worker stopped mid-shard does not hang the run: one killed without a word
 * (SIGKILL) goes silent and the state's HeartbeatSeconds retries the shard on another worker;
 * one stopped by ECS (SIGTERM) hands the shard back as Worker.Draining, which is retried too.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { build } from 'esbuild';
import { freshLocalCloud, projectRoot, waitFor } from '../../local/cloud/test-support';
import { uploadsBucket } from '../../local/scenarios/demo/demo';
import type { LocalCloud } from '../../local/cloud/start';
import type { ExecutionRecord, HistoryEvent } from '../../local/emulators/stepfunctions';

jest.setTimeout(300_000);

const FIXTURE = 'tests/fixtures/containers/slow-activity-worker';
// The state machine runs at a tenth of real time: HeartbeatSeconds 60 is 6 s here.
const TIME_SCALE = 0.1;

const SLOW_ACTIVITY = `
  # Added for this test only: a worker that holds each shard 4 s and beats every second.
  slow-activity:
    trigger:
      files:
        note: incoming/slow-activity/note-{date}.txt
      windowMinutes: 5
    task:
      container: worker
      image:
        build: { context: ${FIXTURE} }
      command: [node, dist/worker.cjs]
      cpu: 256
      memory: 512
      launch: activity
      timeoutSeconds: 600
      heartbeatSeconds: 60
      workers: { minTasks: 2, maxTasks: 2, stopTimeoutSeconds: 10 }
      environment: { SHARD_HOLD_MS: "4000" }
      local:
        environment: { HEARTBEAT_INTERVAL_MS: "500" }
`;

let folder: string;
let cloud: LocalCloud;

const serviceOf = (logicalId: string) => cloud.ecs.stackServices[logicalId]!;

/** Starts a pipeline's workers (the test cloud creates services at 0 tasks). */
async function startWorkers(logicalId: string, count: number): Promise<void> {
  cloud.ecs.services.update({ cluster: 'ecs-pipelines-local', service: serviceOf(logicalId), desiredCount: count });
  await waitFor(`${count} workers of ${logicalId} running`, async () => (runningWorkers(logicalId).length === count ? true : undefined));
}

const runningWorkers = (logicalId: string) => {
  const service = cloud.ecs.services.find('ecs-pipelines-local', serviceOf(logicalId))!;
  return cloud.ecs.services.tasksOf(service).filter((task) => task.lastStatus === 'RUNNING');
};

const upload = (key: string, body: string) =>
  cloud.clients.s3.send(new PutObjectCommand({ Bucket: uploadsBucket(cloud), Key: key, Body: body }));

/** The execution of a pipeline's batch, once it has ended. */
async function executionOf(pipeline: string, batchKey: string): Promise<ExecutionRecord> {
  const record = await waitFor(`the execution of ${pipeline} ${batchKey}`, async () =>
    cloud.stepFunctions.sfn.listExecutions().find((r) => {
      const input = JSON.parse(r.input) as { pipeline: string; batchKey: string };
      return input.pipeline === pipeline && input.batchKey === batchKey;
    }),
  );
  return cloud.stepFunctions.sfn.waitForExecution(record.executionArn);
}

const activityEvents = (record: ExecutionRecord, type: string): HistoryEvent[] => record.history.filter((e) => e.type === type);
const workerOf = (event: HistoryEvent) => (event.activityStartedEventDetails as { workerName?: string }).workerName;

describe('the sample activity pipeline (pipelines.yml inventory-recount, the sample container)', () => {
  beforeAll(async () => {
    execFileSync(process.execPath, [join(projectRoot, 'container/build.mjs')], { stdio: 'pipe' });
    // Real time: the sample container beats every third of its HeartbeatSeconds.
    cloud = await freshLocalCloud();
  });

  afterAll(async () => {
    await cloud?.stop();
  });

  test('runs both shards on its workers, which report their results through SendTaskSuccess', async () => {
    // Prepare
    await startWorkers('PipelineInventoryRecountWorkerService', 2);

    // Act
    await upload(
      'incoming/inventory/eu/recount-2026-12-01.csv',
      'sku,region,warehouse,quantity,unit_cost,counted_at\nA-1,eu,w1,3,1.50,2026-12-01\nB-2,eu,w2,5,2.00,2026-12-01\n',
    );
    const execution = await executionOf('inventory-recount', 'eu_2026-12-01');

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    expect(activityEvents(execution, 'ActivityScheduled')).toHaveLength(2);
    expect(activityEvents(execution, 'ActivitySucceeded')).toHaveLength(2);
    const output = JSON.parse(execution.output!) as { summary: { result: { recordsAffected: number; status: string } } };
    expect(output.summary.result.status).toBe('SUCCEEDED');
    expect(output.summary.result.recordsAffected).toBe(2);
  });
});

describe('workers stopped mid-shard (a test worker that holds each shard 4 s)', () => {
  beforeAll(async () => {
    await build({
      entryPoints: [join(projectRoot, FIXTURE, 'main.ts')],
      outfile: join(projectRoot, FIXTURE, 'dist/worker.cjs'),
      bundle: true,
      platform: 'node',
      target: 'node20',
      format: 'cjs',
      logLevel: 'warning',
    });
    folder = mkdtempSync(join(tmpdir(), 'activity-workers-'));
    const registry = join(folder, 'pipelines.yml');
    writeFileSync(
      registry,
      readFileSync(join(projectRoot, 'pipelines.yml'), 'utf8').replace(/^pipelines:\n/m, `pipelines:${SLOW_ACTIVITY}\n`),
    );
    cloud = await freshLocalCloud({ pipelinesFile: registry, timeScale: TIME_SCALE });
  });

  afterAll(async () => {
    await cloud?.stop();
    if (folder) rmSync(folder, { recursive: true, force: true });
  });

  test('a worker killed mid-shard (SIGKILL) goes silent: the heartbeat timeout retries the shard on another worker', async () => {
    // Prepare
    await startWorkers('PipelineSlowActivityWorkerService', 2);
    await upload('incoming/slow-activity/note-2026-12-02.txt', 'hello');
    const started = await waitFor('a worker to start the shard', async () => {
      const record = cloud.stepFunctions.sfn
        .listExecutions()
        .find((r) => (JSON.parse(r.input) as { batchKey: string; pipeline: string }).pipeline === 'slow-activity');
      return record ? activityEvents(record, 'ActivityStarted')[0] : undefined;
    });
    const firstWorker = workerOf(started)!;

    // Act: the worker dies without a word, as on a lost host.
    process.kill(Number(firstWorker.replace('worker-', '')), 'SIGKILL');
    const execution = await executionOf('slow-activity', '2026-12-02');

    // Assess
    expect(execution.status).toBe('SUCCEEDED');
    const timedOut = activityEvents(execution, 'ActivityTimedOut');
    expect(timedOut).toHaveLength(1);
    expect((timedOut[0]!.activityTimedOutEventDetails as { error: string }).error).toBe('States.HeartbeatTimeout');
    const workers = activityEvents(execution, 'ActivityStarted').map(workerOf);
    expect(workers).toHaveLength(2);
    expect(workers[1]).not.toBe(firstWorker);
    expect(activityEvents(execution, 'ActivitySucceeded')).toHaveLength(1);
  });

  test('a worker stopped by ECS (SIGTERM) hands its shard back as Worker.Draining, and another worker runs it', async () => {
    // Prepare
    await startWorkers('PipelineSlowActivityWorkerService', 2);
    await upload('incoming/slow-activity/note-2026-12-03.txt', 'hello');
    const find = () =>
      cloud.stepFunctions.sfn.listExecutions().find((r) => {
        const input = JSON.parse(r.input) as { batchKey: string; pipeline: string };
        return input.pipeline === 'slow-activity' && input.batchKey === '2026-12-03';
      });
    const started = await waitFor('a worker to start the shard', async () => {
      const record = find();
      return record ? activityEvents(record, 'ActivityStarted')[0] : undefined;
    });
    const firstWorker = workerOf(started)!;
    const task = runningWorkers('PipelineSlowActivityWorkerService').find((t) =>
      t.containers.some((c) => c.runtimeId === firstWorker.replace('worker-', '')),
    )!;

    // Act: ECS stops the worker (scale-in, deployment, Spot): SIGTERM, then SIGKILL after the stop timeout.
    cloud.ecs.ecs.stopTask(task.taskArn, 'Scaling activity initiated by deployment');
    const execution = await executionOf('slow-activity', '2026-12-03');

    // Assess: handed back at once (no heartbeat timeout), run again elsewhere.
    expect(execution.status).toBe('SUCCEEDED');
    const failed = activityEvents(execution, 'ActivityFailed');
    expect(failed).toHaveLength(1);
    expect((failed[0]!.activityFailedEventDetails as { error: string }).error).toBe('Worker.Draining');
    expect(activityEvents(execution, 'ActivityTimedOut')).toHaveLength(0);
    const workers = activityEvents(execution, 'ActivityStarted').map(workerOf);
    expect(workers).toHaveLength(2);
    expect(workers[1]).not.toBe(firstWorker);
  });
});
