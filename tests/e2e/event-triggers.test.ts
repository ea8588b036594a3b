/**
 * Runs started by events and by queue messages, end to end on the local cloud: PutEvents on
 * the local EventBridge endpoint, routed by the rule the stack generated from the pipeline's
 * pattern to startFromEvent; messages on a pipeline's own queue, through its event source
 * mapping to startFromQueue; the same run lock and execution names as file batches; the
 * event in the container as ctx.event; what cannot start a run in a dead-letter queue.
 *
 * The registry is pipelines.yml (its order-batch-closed pipeline is triggered by events) plus
 * a queue pipeline added for this test.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { freshLocalCloud, projectRoot, waitFor } from '../../local/cloud/test-support';
import { orderBatchClosed, putEvents } from '../../local/cloud/put-events';
import { listAllExecutions } from '../../local/scenarios/demo/demo';
import { checkContainerBuild } from '../../local/scenarios/demo/demo';
import type { LocalCloud } from '../../local/cloud/start';
import type { LogLine } from '../../local/emulators/ecs';

jest.setTimeout(300_000);

const QUEUE_PIPELINE = `
  # Added for this test: runs started by messages on the pipeline's own queue.
  order-requests:
    trigger:
      queue:
        batchKey: $.batch
        fifo: false
        maxReceiveCount: 2
    task:
      taskDefinition: sample-pipeline
      container: pipeline
      image: { build: { context: ., dockerfile: container/Dockerfile } }
      architecture: ARM64
      local: { cwd: container, environment: { WAREHOUSE: pglite, WAREHOUSE_DIR: "{warehouseDir}", S3_FORCE_PATH_STYLE: "true" } }
      command: [node, dist/task.js]
      cpu: 256
      memory: 512
      launch: sync
      timeoutSeconds: 300
      policies:
        - Sid: LoadWarehouse
          Effect: Allow
          Action: [redshift-data:ExecuteStatement, redshift-data:BatchExecuteStatement, redshift-serverless:GetCredentials]
          Resource: arn:\${AWS::Partition}:redshift-serverless:\${AWS::Region}:\${AWS::AccountId}:workgroup/*
        - Sid: FollowOwnStatements
          Effect: Allow
          Action: [redshift-data:DescribeStatement, redshift-data:GetStatementResult]
          Resource: "*"
          Condition:
            StringEquals:
              redshift-data:statement-owner-iam-userid: \${aws:userid}
`;

let folder: string;
let cloud: LocalCloud;
const logs: LogLine[] = [];

beforeAll(async () => {
  checkContainerBuild(projectRoot);
  folder = mkdtempSync(join(tmpdir(), 'event-triggers-'));
  const registry = join(folder, 'pipelines.yml');
  writeFileSync(
    registry,
    readFileSync(join(projectRoot, 'pipelines.yml'), 'utf8').replace(/^pipelines:\n/m, `pipelines:${QUEUE_PIPELINE}\n`),
  );
  cloud = await freshLocalCloud({
    pipelinesFile: registry,
    // A failed message comes back after a second, not three minutes.
    resourceOverrides: { OrderRequestsRunsQueue: { Properties: { VisibilityTimeout: 1 } } },
  });
  cloud.ecs.events.on('log', (line) => logs.push(line));
});

afterAll(async () => {
  await cloud?.stop();
  if (folder) rmSync(folder, { recursive: true, force: true });
});

const runsOf = async (pipeline: string) => {
  const { Items = [] } = await cloud.clients.documents.send(new ScanCommand({ TableName: cloud.resources.tables.RunsTable! }));
  return Items.filter((item) => item.pipeline === pipeline);
};
const executionsOf = async (pipeline: string) =>
  (await listAllExecutions(cloud)).filter((execution) => execution.name!.startsWith(`${pipeline}-`));
const finished = (pipeline: string, count: number) =>
  waitFor(
    `${count} finished runs of ${pipeline}`,
    async () => {
      const runs = await runsOf(pipeline);
      return runs.length >= count && runs.every((run) => ['SUCCEEDED', 'FAILED'].includes(run.status as string)) ? runs : undefined;
    },
    120_000,
  );
const queueUrl = (logicalId: string) => cloud.resources.queues[logicalId]!.url;
const visibleAndInFlight = async (url: string) => {
  const { Attributes = {} } = await cloud.clients.sqs.send(
    new GetQueueAttributesCommand({
      QueueUrl: url,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }),
  );
  return Number(Attributes.ApproximateNumberOfMessages) + Number(Attributes.ApproximateNumberOfMessagesNotVisible);
};
const receiveAll = async (url: string) =>
  (await cloud.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: url, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }))).Messages ?? [];

describe('events: pipeline order-batch-closed', () => {
  test('four events with idempotency keys k1, k1, k2, k1 start exactly two runs, each with its event as ctx.event', async () => {
    // Prepare / Act: the four events, two of them in one PutEvents call.
    const first = await putEvents(cloud.endpoints.events, [orderBatchClosed('k1', 'AU'), orderBatchClosed('k1', 'NZ')]);
    const second = await putEvents(cloud.endpoints.events, [orderBatchClosed('k2', 'NZ')]);
    const third = await putEvents(cloud.endpoints.events, [orderBatchClosed('k1', 'AU')]);
    await cloud.wiring.drain();
    const runs = await finished('order-batch-closed', 2);

    // Assess
    expect([first, second, third].map((put) => put.FailedEntryCount)).toEqual([0, 0, 0]);
    expect(runs.map((run) => [run.pk, run.trigger, run.status]).sort()).toEqual([
      ['order-batch-closed#k1', 'events', 'SUCCEEDED'],
      ['order-batch-closed#k2', 'events', 'SUCCEEDED'],
    ]);
    expect(await executionsOf('order-batch-closed')).toHaveLength(2);
    // The container was given the event that started its run, whole (detail included).
    const started = logs
      .filter((line) => line.line.includes('"started by an event"'))
      .map((line) => JSON.parse(line.line) as { runKey: string; event: { source: string; detail: { metadata: Record<string, string> } } });
    expect(started.map((entry) => [entry.runKey, entry.event.source, entry.event.detail.metadata['idempotency-key']]).sort()).toEqual([
      ['order-batch-closed#k1', 'com.acme.orders', 'k1'],
      ['order-batch-closed#k2', 'com.acme.orders', 'k2'],
    ]);
  });

  test('an event the pattern does not match (region EU) starts nothing', async () => {
    const matched: unknown[] = [];
    const onRule = (rule: unknown) => matched.push(rule);
    cloud.wiring.events.on('rule', onRule);
    const put = await putEvents(cloud.endpoints.events, [orderBatchClosed('k-eu', 'EU')]);
    await cloud.wiring.drain();
    cloud.wiring.events.off('rule', onRule);

    expect(put.FailedEntryCount).toBe(0);
    expect(matched).toEqual([]);
    expect((await runsOf('order-batch-closed')).map((run) => run.pk)).not.toContain('order-batch-closed#k-eu');
  });

  test('a matching event without its idempotency key starts nothing and lands in the events dead-letter queue with the reason', async () => {
    const entry = { ...orderBatchClosed('unused', 'AU'), Detail: JSON.stringify({ data: { region: 'AU' }, metadata: {} }) };
    const put = await putEvents(cloud.endpoints.events, [entry]);
    await cloud.wiring.drain();

    const messages = await waitFor('the event in the events DLQ', async () => {
      const found = await receiveAll(queueUrl('PipelineEventsDeadLetterQueue'));
      return found.length ? found : undefined;
    });
    const record = JSON.parse(messages[0]!.Body!) as {
      requestPayload: { pipeline: string; event: { id: string } };
      responsePayload: { errorType: string; errorMessage: string };
    };
    expect(record.requestPayload.pipeline).toBe('order-batch-closed');
    expect(record.requestPayload.event.id).toBe(put.Entries[0]!.EventId);
    expect(record.responsePayload.errorType).toBe('MissingBatchKeyError');
    expect(record.responsePayload.errorMessage).toContain('$.detail.metadata.idempotency-key');
    expect((await runsOf('order-batch-closed')).map((run) => run.pk).sort()).toEqual(['order-batch-closed#k1', 'order-batch-closed#k2']);
  });

  test('PutEvents refuses an entry for a bus that does not exist, and one whose Detail is not JSON', async () => {
    const put = await putEvents(cloud.endpoints.events, [
      { ...orderBatchClosed('k9'), EventBusName: 'no-such-bus' },
      { ...orderBatchClosed('k9'), Detail: 'not json' },
    ]);
    expect(put.FailedEntryCount).toBe(2);
    expect(put.Entries.map((e) => e.ErrorCode)).toEqual(['ResourceNotFoundException', 'MalformedDetail']);
  });
});

describe('queue: pipeline order-requests', () => {
  const send = (body: string) =>
    cloud.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl('OrderRequestsRunsQueue'), MessageBody: body }));

  test('a message starts one run, and a duplicate of it starts nothing new', async () => {
    await send(JSON.stringify({ batch: 'q1', note: 'first' }));
    const [run] = await finished('order-requests', 1);
    expect([run!.pk, run!.trigger, run!.status]).toEqual(['order-requests#q1', 'queue', 'SUCCEEDED']);

    await send(JSON.stringify({ batch: 'q1', note: 'the same request again' }));
    await waitFor('the duplicate to be consumed', async () =>
      (await visibleAndInFlight(queueUrl('OrderRequestsRunsQueue'))) === 0 ? true : undefined,
    );
    await cloud.wiring.drain();
    expect((await runsOf('order-requests')).map((r) => r.pk)).toEqual(['order-requests#q1']);
    expect(await executionsOf('order-requests')).toHaveLength(1);
    // The first message's body was the run's event.
    const started = logs.find((line) => line.line.includes('"started by an event"') && line.line.includes('order-requests#q1'));
    expect(JSON.parse(started!.line).event).toEqual({ batch: 'q1', note: 'first' });
  });

  test('the startFromQueue fixture: its good record starts a run, its malformed one is reported as a batch item failure', async () => {
    const fixture = JSON.parse(readFileSync(join(projectRoot, 'tests/events/sqs/derived-order-requests.json'), 'utf8')) as {
      Records: Array<{ messageId: string }>;
    };
    const result = await cloud.functions.functions.get('StartFromQueueLambdaFunction')!.invoke(fixture);
    expect(result).toEqual({ batchItemFailures: [{ itemIdentifier: fixture.Records[1]!.messageId }] });
    const runs = await finished('order-requests', 2);
    expect(runs.map((run) => run.pk).sort()).toEqual(['order-requests#fixture-q1', 'order-requests#q1']);
  });

  test('a poison message (not JSON) starts nothing and lands in the pipeline queue’s dead-letter queue after maxReceiveCount', async () => {
    const failures: unknown[] = [];
    const onBatch = (batch: { queueArn: string; failed: number }) => {
      if (batch.queueArn.includes('order-requests-runs') && batch.failed) failures.push(batch);
    };
    cloud.wiring.events.on('sqsBatch', onBatch);
    await send('{"batch": "q-broken"');
    const dead = await waitFor(
      'the poison message in the DLQ',
      async () => {
        const found = await receiveAll(queueUrl('OrderRequestsRunsDeadLetterQueue'));
        return found.length ? found : undefined;
      },
      30_000,
    );
    cloud.wiring.events.off('sqsBatch', onBatch);

    expect(dead.map((m) => m.Body)).toEqual(['{"batch": "q-broken"']);
    // Reported as a batch item failure on each of its two receives (maxReceiveCount 2), not thrown away.
    expect(failures.length).toBeGreaterThanOrEqual(2);
    expect((await runsOf('order-requests')).map((r) => r.pk).sort()).toEqual(['order-requests#fixture-q1', 'order-requests#q1']);
  });
});

describe('opsRedriveDlq {"queue":"events"}: the events dead-letter queue, replayed through startFromEvent', () => {
  const event = (key: string) => ({
    version: '0',
    id: `redrive-${key}`,
    'detail-type': 'OrderBatchClosed',
    source: 'com.acme.orders',
    account: '000000000000',
    time: '2026-11-20T06:00:00Z',
    region: 'us-east-1',
    resources: [],
    detail: { data: { region: 'AU', batch: 'orders-au' }, metadata: { 'idempotency-key': key } },
  });
  const attribute = (value: string) => ({ DataType: 'String', StringValue: value });
  const ruleArn = () => cloud.resolver.physicalOf('OrderBatchClosedEventRule').attributes.Arn!;
  /** Kind (a): an event the rule could not deliver, as EventBridge puts it in its target's dead-letter queue. */
  const undelivered = (key: string, rule = ruleArn()) =>
    cloud.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl('PipelineEventsDeadLetterQueue'),
        MessageBody: JSON.stringify(event(key)),
        MessageAttributes: {
          RULE_ARN: attribute(rule),
          TARGET_ARN: attribute('arn:aws:lambda:us-east-1:000000000000:function:ecs-pipelines-local-startFromEvent'),
          ERROR_CODE: attribute('THROTTLING'),
          ERROR_MESSAGE: attribute('Rate exceeded'),
        },
      }),
    );
  /** Kind (b): startFromEvent's failed asynchronous invocation (its on-failure destination). */
  const failedInvocation = (key: string) =>
    cloud.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queueUrl('PipelineEventsDeadLetterQueue'),
        MessageBody: JSON.stringify({
          version: '1.0',
          timestamp: '2026-11-20T06:00:05.000Z',
          requestContext: { requestId: 'r', functionArn: 'arn', condition: 'RetriesExhausted', approximateInvokeCount: 3 },
          requestPayload: { pipeline: 'order-batch-closed', event: event(key) },
          responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
          responsePayload: { errorType: 'RunStartInProgressError', errorMessage: 'run is being started by another delivery' },
        }),
      }),
    );
  type Report = { queue: string; redriven: string[]; kept: Array<{ messageId: string; reason: string }>; dryRun: boolean };
  const redrive = (input: Record<string, unknown>) =>
    cloud.functions.functions.get('OpsRedriveDlqLambdaFunction')!.invoke({ queue: 'events', ...input }) as Promise<Report>;

  test('one run per message kind; redriven messages are deleted; a re-redrive starts nothing; a foreign rule’s message and a malformed one stay with why', async () => {
    // Prepare
    const a = (await undelivered('redrive-a')).MessageId!;
    const b = (await failedInvocation('redrive-b')).MessageId!;
    const foreign = (await undelivered('redrive-c', 'arn:aws:events:us-east-1:000000000000:rule/another-stack-orders')).MessageId!;
    const malformed = (
      await cloud.clients.sqs.send(
        new SendMessageCommand({ QueueUrl: queueUrl('PipelineEventsDeadLetterQueue'), MessageBody: '{"pipeline":' }),
      )
    ).MessageId!;
    const executionsBefore = (await executionsOf('order-batch-closed')).length;

    // A dry run changes nothing.
    const dry = await redrive({ dryRun: true });
    expect(dry.redriven).toEqual([]);
    expect(dry.kept).toEqual(
      expect.arrayContaining([
        { messageId: a, reason: 'dry run: would be redriven' },
        { messageId: b, reason: 'dry run: would be redriven' },
      ]),
    );
    expect(await executionsOf('order-batch-closed')).toHaveLength(executionsBefore);

    // Act
    const report = await redrive({});
    const runs = await waitFor(
      'the two redriven runs to finish',
      async () => {
        const found = (await runsOf('order-batch-closed')).filter((run) =>
          ['order-batch-closed#redrive-a', 'order-batch-closed#redrive-b'].includes(run.pk as string),
        );
        return found.length === 2 && found.every((run) => ['SUCCEEDED', 'FAILED'].includes(run.status as string)) ? found : undefined;
      },
      120_000,
    );

    // Assess: each kind started its one run, with its event; both messages are gone.
    expect(report.redriven.sort()).toEqual([a, b].sort());
    expect(report.kept).toContainEqual({ messageId: malformed, reason: expect.stringMatching(/^RedriveMessageError: not JSON/) });
    expect(report.kept).toContainEqual({
      messageId: foreign,
      reason: expect.stringContaining(
        "rule arn:aws:events:us-east-1:000000000000:rule/another-stack-orders is not a pipeline's rule of this stack",
      ),
    });
    expect(runs.map((run) => [run.pk, run.trigger, run.status]).sort()).toEqual([
      ['order-batch-closed#redrive-a', 'events', 'SUCCEEDED'],
      ['order-batch-closed#redrive-b', 'events', 'SUCCEEDED'],
    ]);
    expect(await executionsOf('order-batch-closed')).toHaveLength(executionsBefore + 2);
    const left = await redrive({ dryRun: true });
    expect(left.kept.map((k) => k.messageId)).toContain(foreign);
    expect(left.kept.map((k) => k.messageId)).not.toEqual(expect.arrayContaining([a]));
    expect(left.kept.map((k) => k.messageId)).not.toEqual(expect.arrayContaining([b]));

    // The same two messages again: their keys already ran, so nothing new starts, and they are deleted.
    const again = [(await undelivered('redrive-a')).MessageId!, (await failedInvocation('redrive-b')).MessageId!];
    const second = await redrive({});
    await cloud.wiring.drain();
    expect(second.redriven.sort()).toEqual(again.sort());
    expect(await executionsOf('order-batch-closed')).toHaveLength(executionsBefore + 2);
    expect(
      (await runsOf('order-batch-closed'))
        .filter((run) => (run.pk as string).startsWith('order-batch-closed#redrive-'))
        .map((run) => [run.pk, run.attempt])
        .sort(),
    ).toEqual([
      ['order-batch-closed#redrive-a', 1],
      ['order-batch-closed#redrive-b', 1],
    ]);
    // The message of the foreign rule and the malformed one are still there, and still say why.
    expect((await redrive({ dryRun: true })).kept).toEqual(
      expect.arrayContaining([expect.objectContaining({ messageId: foreign }), expect.objectContaining({ messageId: malformed })]),
    );
  });
});

test("the console's executions list shows what started each run", async () => {
  const page = await (await fetch(`${cloud.endpoints.console}/executions`)).text();
  const rowOf = (runKey: string) => page.split('<tr').find((row) => row.includes(`>${runKey}</a>`)) ?? '';
  expect(rowOf('order-batch-closed#k1')).toContain('<td>events</td>');
  expect(rowOf('order-requests#q1')).toContain('<td>queue</td>');
});
