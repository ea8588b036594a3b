/**
 * Every function of the stack has a fixture in tests/events/ that does something real on the
 * local cloud (`npm run local`): its bucket, stream, tables, queues, topics and ARNs. Each
 * fixture is invoked as the function's event source would deliver it, and its effect is
 * checked where it lands: an arrival recorded, a run started, a notice published, a target
 * moved. A function without a fixture here fails the first test.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetCommand, ScanCommand } from '@aws-sdk/lib-dynamodb';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { DescribeExecutionCommand } from '@aws-sdk/client-sfn';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { CloudWatchClient, PutMetricDataCommand } from '@aws-sdk/client-cloudwatch';
import { freshLocalCloud, projectRoot, waitFor } from '../../../../local/cloud/test-support';
import { LOCAL_CREDENTIALS } from '../../../../local/cloud/aws';
import type { LocalCloud } from '../../../../local/cloud/start';

jest.setTimeout(300_000);

const fixture = (path: string): unknown => JSON.parse(readFileSync(join(projectRoot, 'tests/events', path), 'utf8'));

let cloud: LocalCloud & { scratch: string };
beforeAll(async () => {
  cloud = await freshLocalCloud({ alarmTickMs: 0 });
});
afterAll(async () => {
  await cloud?.stop();
});

const invoke = (logicalId: string, path: string) => {
  const fn = cloud.functions.functions.get(logicalId);
  if (!fn) throw new Error(`no function ${logicalId}`);
  return fn.invoke(fixture(path)) as Promise<Record<string, unknown>>;
};
const getItem = async (table: 'BatchesTable' | 'RunsTable' | 'NotifierAuditTable', pk: string) =>
  (await cloud.clients.documents.send(new GetCommand({ TableName: cloud.resources.tables[table]!, Key: { pk } }))).Item;
const arrived = (item: Record<string, unknown> | undefined) => [...((item?.arrived as Set<string> | undefined) ?? [])].sort();
const notices = (topic: string) => cloud.monitoring.notices().filter((n) => n.topicName.endsWith(topic));

/** The functions and the fixtures that exercise them, in the order the tests below use them. */
const FIXTURES: Record<string, string[]> = {
  S3UploadWatcherLambdaFunction: ['s3/derived-orders-put-encoded-key.json', 'sqs/derived-mixed-good-and-malformed.json'],
  KinesisFanInLambdaFunction: ['kinesis/derived-orders-arrival.json', 'kinesis/derived-inventory-parts-marker.json'],
  StartPipelineLambdaFunction: ['invoke/start-pipeline-schedule.json'],
  OpsListRunsLambdaFunction: ['invoke/ops-list-runs.json'],
  OpsShowRunLambdaFunction: ['invoke/ops-show-run.json'],
  OpsRerunBatchLambdaFunction: ['invoke/ops-rerun-batch.json'],
  OpsRedriveDlqLambdaFunction: ['invoke/ops-redrive-dlq-dry-run.json'],
  PrepareShardTasksLambdaFunction: ['invoke/prepare-shard-tasks.json'],
  SummarizeRunLambdaFunction: ['invoke/summarize-run-failed-shard.json'],
  StopAbandonedTaskLambdaFunction: ['invoke/stop-abandoned-task.json'],
  DecideShardRetryLambdaFunction: ['invoke/decide-shard-retry-spot.json'],
  TaskStoppedGuardLambdaFunction: ['ecs/derived-local-task-stopped-callback.json'],
  SweepIncompleteBatchesLambdaFunction: ['eventbridge/derived-sweep-schedule.json'],
  FormatAlarmLambdaFunction: ['cloudwatch/derived-run-failures-alarm-via-sns.json'],
  DiscoverServicesLambdaFunction: ['sqs/derived-notifier-broadcast.json'],
  DiscoverTasksLambdaFunction: ['sqs/derived-notifier-service.json'],
  NotifyTaskLambdaFunction: ['sqs/derived-notifier-task.json'],
  UpdateScalingTargetLambdaFunction: ['invoke/update-scaling-target-thumbnails.json'],
  ProduceMessagesLambdaFunction: ['invoke/produce-messages-thumbnails.json'],
  DispatchRunsLambdaFunction: ['eventbridge/derived-execution-status-change.json'],
  ForwardOwnerNoticesLambdaFunction: ['sns/derived-operators-notice.json'],
  OpsBackfillLambdaFunction: ['invoke/ops-backfill-dry-run.json'],
  StartFromEventLambdaFunction: ['eventbridge/derived-order-batch-closed.json'],
};

test('every function of the template has a fixture here', () => {
  expect(Object.keys(FIXTURES).sort()).toEqual([...cloud.functions.functions.keys()].sort());
});

describe('the event path', () => {
  test('the watcher records an S3 notification of the local bucket as an arrival', async () => {
    const result = await invoke('S3UploadWatcherLambdaFunction', FIXTURES.S3UploadWatcherLambdaFunction![0]!);
    expect(result).toBeNull();
    const item = await waitFor('the orders arrival', async () => {
      const found = await getItem('BatchesTable', 'orders-daily#2026-11-20 09:30+01:00');
      return found && arrived(found).length ? found : undefined;
    });
    expect(arrived(item)).toEqual(['orders']);
  });

  test('the watcher reports the malformed SQS records and publishes the good ones: the batch completes and its run starts', async () => {
    const result = await invoke('S3UploadWatcherLambdaFunction', FIXTURES.S3UploadWatcherLambdaFunction![1]!);
    expect(result).toEqual({
      batchItemFailures: [
        { itemIdentifier: '059f36b4-87a3-44ab-83d2-661975830a7d' },
        { itemIdentifier: 'b7d0e5a4-0c1e-4f3b-9a57-6f2f0d1c9e11' },
        { itemIdentifier: '79406a00-bf15-46ca-978c-22c3613fcb30' },
      ],
    });
    const run = await waitFor('the run of the completed batch', () => getItem('RunsTable', 'orders-daily#2026-11-20 09:30+01:00'));
    expect(run).toMatchObject({ pipeline: 'orders-daily', trigger: 's3' });
    expect(arrived(await getItem('BatchesTable', 'inventory-snapshot#eu-west_2026-11-20'))).toEqual(['snapshot']);
  });

  test('the fan-in records a FileArrival record of the local stream', async () => {
    const result = await invoke('KinesisFanInLambdaFunction', FIXTURES.KinesisFanInLambdaFunction![0]!);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(arrived(await getItem('BatchesTable', 'orders-daily#2026-11-22'))).toEqual(['orders']);
  });

  test("the fan-in starts a marker batch's run with the parts in the marker's folder", async () => {
    const bucket = 'ecs-pipelines-local-uploads-000000000000-us-east-1';
    const header = 'sku,region,warehouse,quantity,unit_cost,counted_at\n';
    const part = 'incoming/inventory-parts/2026-11-22/snapshot-1.csv';
    await cloud.clients.s3.send(
      new PutObjectCommand({ Bucket: bucket, Key: part, Body: Buffer.from(`${header}SKU-1,eu,berlin,1,1.00,2026-11-22\n`) }),
    );
    const result = await invoke('KinesisFanInLambdaFunction', FIXTURES.KinesisFanInLambdaFunction![1]!);
    expect(result).toEqual({ batchItemFailures: [] });
    expect(await getItem('RunsTable', 'inventory-parts#2026-11-22')).toMatchObject({ completedBy: 'marker', trigger: 's3' });
    expect(await getItem('BatchesTable', 'inventory-parts#2026-11-22')).toMatchObject({ completedBy: 'marker' });
  });

  test('startPipeline starts the scheduled run the rule input names', async () => {
    // inventory-snapshot allows 2 runs at once (maxConcurrentRuns): the runs the tests above
    // started must end first, or this one waits its turn as QUEUED.
    await waitFor('the earlier inventory-snapshot runs to end', async () => {
      const { Items = [] } = await cloud.clients.documents.send(
        new ScanCommand({ TableName: cloud.resources.tables.RunsTable!, ConsistentRead: true }),
      );
      const busy = Items.filter((item) => item.pipeline === 'inventory-snapshot' && !['SUCCEEDED', 'FAILED'].includes(String(item.status)));
      return busy.length === 0 ? true : undefined;
    });
    const outcome = await invoke('StartPipelineLambdaFunction', FIXTURES.StartPipelineLambdaFunction![0]!);
    const [action] = (outcome as { actions: Array<{ action: string; runKey: string; executionArn: string }> }).actions;
    expect(action).toMatchObject({ action: 'started', runKey: 'inventory-snapshot#schedule#2026-11-20T06:00Z' });
    const execution = await cloud.clients.sfn!.send(new DescribeExecutionCommand({ executionArn: action!.executionArn }));
    expect(execution.stateMachineArn).toBe(cloud.resources.stateMachineArn);
  });
});

describe('events trigger', () => {
  test("startFromEvent starts the run the event's idempotency key names, once", async () => {
    const first = await invoke('StartFromEventLambdaFunction', FIXTURES.StartFromEventLambdaFunction![0]!);
    const again = await invoke('StartFromEventLambdaFunction', FIXTURES.StartFromEventLambdaFunction![0]!);
    expect([first.status, again.status]).toEqual(['started', 'already-started']);
    expect(await getItem('RunsTable', 'order-batch-closed#fixture-au-0001')).toMatchObject({
      trigger: 'events',
      batchKey: 'fixture-au-0001',
    });
  });
});

describe('operating commands', () => {
  test('opsListRuns lists the scheduled run', async () => {
    const result = await invoke('OpsListRunsLambdaFunction', FIXTURES.OpsListRunsLambdaFunction![0]!);
    expect((result.runs as Array<{ runKey: string }>).map((r) => r.runKey)).toContain('inventory-snapshot#schedule#2026-11-20T06:00Z');
  });

  test('opsShowRun shows it', async () => {
    const result = await invoke('OpsShowRunLambdaFunction', FIXTURES.OpsShowRunLambdaFunction![0]!);
    expect(result).toMatchObject({ run: { runKey: 'inventory-snapshot#schedule#2026-11-20T06:00Z', trigger: 'schedule', attempt: 1 } });
    expect((result.links as { execution: string }).execution).toContain(
      ':execution:ecs-pipelines-local-pipeline:inventory-snapshot-schedule-2026-11-20T06-00Z-',
    );
  });

  test('opsRerunBatch runs the incomplete batch with the file that arrived, and names the missing one', async () => {
    const result = await invoke('OpsRerunBatchLambdaFunction', FIXTURES.OpsRerunBatchLambdaFunction![0]!);
    expect(result).toMatchObject({ status: 'started', runKey: 'orders-daily#2026-11-22', missingFiles: ['customers'] });
  });

  test('opsRedriveDlq dry-runs the fan-in DLQ of the local stack', async () => {
    const result = await invoke('OpsRedriveDlqLambdaFunction', FIXTURES.OpsRedriveDlqLambdaFunction![0]!);
    expect(result).toMatchObject({ queue: 'fan-in', dryRun: true });
  });
});

describe('run control and backfill', () => {
  test('dispatchRuns gives back the slots of the ended scheduled run and finds no run waiting', async () => {
    const result = await invoke('DispatchRunsLambdaFunction', FIXTURES.DispatchRunsLambdaFunction![0]!);
    expect(result).toMatchObject({ started: [], waiting: 0 });
  });

  test('opsBackfill dry-runs batch 2026-11-22 from the local bucket: it names the batch and starts nothing', async () => {
    const before = cloud.stepFunctions.sfn.listExecutions().length;
    const result = await invoke('OpsBackfillLambdaFunction', FIXTURES.OpsBackfillLambdaFunction![0]!);
    expect(JSON.stringify(result)).toContain('2026-11-22');
    expect(cloud.stepFunctions.sfn.listExecutions()).toHaveLength(before);
  });
});

describe('state machine steps', () => {
  test('prepareShardTasks builds one RunTask launch per shard for the local cluster', async () => {
    const result = await invoke('PrepareShardTasksLambdaFunction', FIXTURES.PrepareShardTasksLambdaFunction![0]!);
    const runs = result.shardRuns as Array<{ taskDefinition: string; group: string }>;
    expect(runs).toHaveLength(2);
    expect(runs[0]!.taskDefinition).toBe('ecs-pipelines-local-sample-pipeline');
    expect(runs[0]!.group).toMatch(/^pipeline:inventory-snapshot:/);
  });

  test('summarizeRun classifies the failed shard and writes the notice', async () => {
    const result = await invoke('SummarizeRunLambdaFunction', FIXTURES.SummarizeRunLambdaFunction![0]!);
    expect(result).toMatchObject({ status: 'FAILED', result: { errorClass: 'container-error' } });
    expect((result.notification as { subject: string }).subject).toMatch(/inventory-snapshot/);
  });

  test('stopAbandonedTask looks for the shard on the local cluster and returns the caught failure', async () => {
    const result = await invoke('StopAbandonedTaskLambdaFunction', FIXTURES.StopAbandonedTaskLambdaFunction![0]!);
    expect(result).toMatchObject({ Error: 'States.HeartbeatTimeout', stoppedTasks: [] });
  });

  test('decideShardRetry sends a Spot-interrupted shard round again on FARGATE', async () => {
    const result = await invoke('DecideShardRetryLambdaFunction', FIXTURES.DecideShardRetryLambdaFunction![0]!);
    expect(result).toMatchObject({
      retry: true,
      waitSeconds: 0,
      errorClass: 'spot-interruption',
      next: { attempt: 2, capacityProvider: 'FARGATE', retried: [{ attempt: 1, errorClass: 'spot-interruption' }] },
    });
  });

  test('the stuck-callback guard fails the token of a stopped task (an unknown token counts as finished)', async () => {
    const result = await invoke('TaskStoppedGuardLambdaFunction', FIXTURES.TaskStoppedGuardLambdaFunction![0]!);
    expect(result).toMatchObject({ taskArn: expect.stringContaining(':task/ecs-pipelines-local/') });
  });
});

describe('notices and alarms', () => {
  test('the failed run of the completed batch published its notice on the operators topic', async () => {
    const notice = await waitFor(
      'the failure notice',
      async () => notices('OperatorsTopic').find((n) => n.subject?.includes('orders-daily')),
      120_000,
    );
    expect(notice.subject).toMatch(/FAILED/);
    expect(notice.attributes.pipeline?.StringValue).toBe('orders-daily');
  });

  test('the sweeper runs on the schedule event', async () => {
    const result = await invoke('SweepIncompleteBatchesLambdaFunction', FIXTURES.SweepIncompleteBatchesLambdaFunction![0]!);
    // Nothing is overdue yet: the report lists no batch and no run (the tables were queried through their indexes).
    expect(result).toEqual({ incomplete: [], stuck: [], late: [], overrunning: [], quiet: [], skipped: [] });
  });

  test('formatAlarm rewrites the alarm into the operators topic', async () => {
    const before = notices('OperatorsTopic').length;
    const result = await invoke('FormatAlarmLambdaFunction', FIXTURES.FormatAlarmLambdaFunction![0]!);
    expect(result).toEqual({ sent: 1 });
    const notice = notices('OperatorsTopic')[before]!;
    expect(notice.subject).toBe('[ecs-pipelines local] ALARM: orders-daily: alarm run-failures');
    expect(notice.attributes.kind?.StringValue).toBe('alarm');
    expect(notice.attributes.pipeline?.StringValue).toBe('orders-daily');
  });
});

describe('owners', () => {
  test("forwardOwnerNotices reads a notice of the operators' topic; orders-daily's owner has no topic of its own, so nothing is forwarded", async () => {
    const before = cloud.monitoring.notices().length;
    expect(await invoke('ForwardOwnerNoticesLambdaFunction', FIXTURES.ForwardOwnerNoticesLambdaFunction![0]!)).toEqual({ forwarded: 0 });
    expect(cloud.monitoring.notices()).toHaveLength(before);
  });
});

describe('the notifier', () => {
  test('discoverServices takes the broadcast from the local observer queue (no labelled service runs: nothing to send)', async () => {
    expect(await invoke('DiscoverServicesLambdaFunction', FIXTURES.DiscoverServicesLambdaFunction![0]!)).toEqual({ batchItemFailures: [] });
  });

  test('discoverTasks finds no running task of the local service at desired count 0', async () => {
    expect(await invoke('DiscoverTasksLambdaFunction', FIXTURES.DiscoverTasksLambdaFunction![0]!)).toEqual({ batchItemFailures: [] });
  });

  test('notifyTask signs with the local secret, finds nobody listening, records the attempt and fails the batch for a retry', async () => {
    // The only record failed: the batch processor fails the invocation, so the message comes back.
    await expect(invoke('NotifyTaskLambdaFunction', FIXTURES.NotifyTaskLambdaFunction![0]!)).rejects.toThrow(
      'All records failed processing',
    );
    const audit = await getItem(
      'NotifierAuditTable',
      'fixture-reload-2026-11-20#arn:aws:ecs:us-east-1:000000000000:task/ecs-pipelines-local/0f1e2d3c4b5a69788796a5b4c3d2e1f0',
    );
    expect(audit).toMatchObject({ eventId: 'fixture-reload-2026-11-20' });
  });
});

describe('queue services', () => {
  test('produceMessages sends sample work to the local thumbnails queue', async () => {
    const result = await invoke('ProduceMessagesLambdaFunction', FIXTURES.ProduceMessagesLambdaFunction![0]!);
    expect(result).toMatchObject({ sent: 5 });
    const queue = cloud.resources.queues.QueueThumbnailsQueue!;
    const attributes = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({ QueueUrl: queue.url, AttributeNames: ['ApproximateNumberOfMessages'] }),
    );
    expect(Number(attributes.Attributes?.ApproximateNumberOfMessages)).toBe(5);
  });

  test('updateScalingTarget reads the hour of processing times from the local CloudWatch and moves the policy target', async () => {
    // Prepare: an hour of 1-second messages, as the worker's EMF lines would report them.
    const cloudWatch = new CloudWatchClient({ region: cloud.region, credentials: LOCAL_CREDENTIALS, endpoint: cloud.endpoints.monitoring });
    const scaler = cloud.autoscaling.scalers[0]!;
    const before = scaler.target();
    await cloudWatch.send(
      new PutMetricDataCommand({
        Namespace: 'EcsPipelines/QueueServices',
        MetricData: [
          {
            MetricName: 'ProcessingDuration',
            Dimensions: [{ Name: 'QueueService', Value: 'ecs-pipelines-local-thumbnails' }],
            Values: [1000],
            Counts: [120],
            Unit: 'Milliseconds',
          },
        ],
      }),
    );
    cloudWatch.destroy();
    // Act
    const result = await invoke('UpdateScalingTargetLambdaFunction', FIXTURES.UpdateScalingTargetLambdaFunction![0]!);
    // Assess: 0.4 × 120 s × 1 / 1 s = 48 messages per task.
    expect(result).toMatchObject({ action: 'update', proposed: 48, stats: { count: 120 } });
    expect(before).not.toBe(48);
    expect(scaler.target()).toBe(48);
  });
});
