/**
 * Concurrency limits through the whole local cloud: 50 inventory-snapshot batches (one file
 * each, maxConcurrentRuns: 2) complete at once: one SQS batch of their 50 S3 events reaches
 * the watcher, which puts the arrivals on the stream together. The fan-in locks and queues them, the
 * dispatcher starts the next queued run when an execution ends (Step Functions' status change
 * on the local event bus). Never more than 2 executions run at once, every batch runs exactly
 * once, in the order its run was queued, and the wait shows as QUEUED in opsListRuns.
 */
import { ListExecutionsCommand } from '@aws-sdk/client-sfn';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { freshLocalCloud, waitFor } from '../../../../local/cloud/test-support';
import { uploadsBucket } from '../../../../local/scenarios/demo/demo';
import type { LocalCloud } from '../../../../local/cloud/start';

jest.setTimeout(600_000);

let cloud: LocalCloud;
beforeAll(async () => {
  cloud = await freshLocalCloud();
});
afterAll(async () => {
  await cloud?.stop();
});

const BATCHES = 50;
const DATE = '2026-12-01';

/** Every Runs item of inventory-snapshot for the date (the pipeline index). */
async function runsOfTheDay(): Promise<Array<Record<string, unknown>>> {
  const out = await cloud.clients.documents.send(
    new QueryCommand({
      TableName: cloud.resources.tables.RunsTable!,
      IndexName: 'pipeline-requestedAt',
      KeyConditionExpression: 'pipeline = :p',
      ExpressionAttributeValues: { ':p': 'inventory-snapshot' },
    }),
  );
  return (out.Items ?? []).filter((item) => String(item.batchKey).endsWith(DATE));
}

test(`${BATCHES} batches at once with maxConcurrentRuns 2: at most 2 running, each once, in arrival order`, async () => {
  // Prepare: every task is a short stand-in for the container (two shards per run), so the
  // runs overlap enough for the limit to matter; watch executions start and end.
  for (let i = 0; i < BATCHES * 2; i++) cloud.ecs.injectTaskCommand(['node', '-e', 'setTimeout(() => {}, 200)']);
  let running = 0;
  let maxRunning = 0;
  const startOrder: string[] = [];
  cloud.stepFunctions.events.on('history', ({ event }) => {
    if (event.type !== 'ExecutionStarted') return;
    running += 1;
    maxRunning = Math.max(maxRunning, running);
    const input = (event as { executionStartedEventDetails?: { input?: string } }).executionStartedEventDetails?.input ?? '{}';
    startOrder.push((JSON.parse(input) as { runKey: string }).runKey);
  });
  cloud.stepFunctions.events.on('executionClosed', () => {
    running -= 1;
  });

  // Act: the 50 files' S3 events in one SQS batch to the watcher (a watcher fed by a queue).
  const regions = Array.from({ length: BATCHES }, (_, i) => `r${String(i).padStart(2, '0')}`);
  const records = regions.map((region, i) => ({
    messageId: `m-${i}`,
    receiptHandle: `r-${i}`,
    body: JSON.stringify(
      cloud.wiring.s3EventFor(uploadsBucket(cloud), `incoming/inventory/${region}/snapshot-${DATE}.csv`, 52, `"etag-${i}"`),
    ),
    attributes: {
      ApproximateReceiveCount: '1',
      SentTimestamp: String(Date.now()),
      SenderId: 'local',
      ApproximateFirstReceiveTimestamp: String(Date.now()),
    },
    messageAttributes: {},
    md5OfBody: '',
    eventSource: 'aws:sqs',
    eventSourceARN: 'arn:aws:sqs:us-east-1:000000000000:uploads',
    awsRegion: 'us-east-1',
  }));
  const answer = (await cloud.functions.functions.get('S3UploadWatcherLambdaFunction')!.invoke({ Records: records })) as {
    batchItemFailures?: unknown[];
  };
  expect(answer?.batchItemFailures ?? []).toEqual([]);

  // Assess, while it drains: runs wait as QUEUED, and opsListRuns shows them so.
  const listed = await waitFor('queued runs in opsListRuns', async () => {
    const answer = (await cloud.functions.functions
      .get('OpsListRunsLambdaFunction')!
      .invoke({ pipeline: 'inventory-snapshot', limit: 200 })) as { runs: Array<{ status: string; waiting: string | null }> };
    return answer.runs.some((run) => run.status === 'QUEUED') ? answer.runs : undefined;
  });
  expect(listed.find((run) => run.status === 'QUEUED')!.waiting).toEqual(expect.any(String));

  const finished = await waitFor(
    `all ${BATCHES} runs to finish`,
    async () => {
      const items = await runsOfTheDay();
      return items.length === BATCHES && items.every((item) => item.status === 'SUCCEEDED') ? items : undefined;
    },
    480_000,
  );

  // Never more than two at once; each batch once; in the order the fan-in queued them.
  expect(maxRunning).toBeLessThanOrEqual(2);
  const executions = await cloud.clients.sfn!.send(new ListExecutionsCommand({ stateMachineArn: cloud.resources.stateMachineArn }));
  const ofTheDay = (executions.executions ?? []).filter((e) => e.name!.includes(DATE.replace(/-/g, '-')));
  expect(ofTheDay).toHaveLength(BATCHES);
  expect(new Set(startOrder).size).toBe(BATCHES);
  const byArrival = [...finished].sort((a, b) => Number(a.queueSeq) - Number(b.queueSeq)).map((item) => String(item.pk));
  expect(finished.every((item) => typeof item.queueSeq === 'number')).toBe(true);
  // Strictly in arrival order: a dispatcher that finds the earlier run taken by another waits
  // for its execution to begin before it starts the next (lib/pipelines/start/run-control.ts).
  expect(startOrder).toEqual(byArrival);
});
