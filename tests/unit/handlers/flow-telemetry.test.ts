/**
 * The telemetry of one batch's path through the real handlers: S3 event → watcher → (the
 * records it put on Kinesis) → fan-in → start → Summarize Run. DynamoDB is dynalite, Kinesis
 * and Step Functions are mocked clients. Asserts on what Powertools writes to stdout: the EMF
 * metrics (names, dimensions, values) and the correlation keys on every log line of the path.
 */
import { KinesisClient, PutRecordsCommand, type PutRecordsCommandInput } from '@aws-sdk/client-kinesis';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context, KinesisStreamEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import ordersEvent from '../../events/s3/derived-orders-put-encoded-key.json';
import { startDynalite, type Dynalite } from '../../helpers/dynalite';

const kinesis = mockClient(KinesisClient);
const sfn = mockClient(SFNClient);
const context = { functionName: 'test', awsRequestId: 'req-1' } as Context;
const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:ecs-pipelines-test-pipeline';

type Handler = (event: unknown, context: Context) => Promise<any>;
let db: Dynalite;
let watcher: Handler;
let fanIn: Handler;
let summarize: Handler;
let lines: string[];
let restoreEnv: NodeJS.ProcessEnv;

beforeAll(async () => {
  db = await startDynalite();
  restoreEnv = { ...process.env };
  Object.assign(process.env, {
    POWERTOOLS_METRICS_DISABLED: 'false',
    POWERTOOLS_LOG_LEVEL: 'INFO',
    POWERTOOLS_SERVICE_NAME: 'ecs-pipelines',
    POWERTOOLS_METRICS_NAMESPACE: 'EcsPipelines',
    AWS_ENDPOINT_URL_DYNAMODB: db.endpoint,
    STAGE: 'test',
    TASK_LOG_GROUP: '/ecs/ecs-pipelines-test',
    SERVICE: 'ecs-pipelines',
    STREAM_NAME: 'arrivals',
    UPLOADS_BUCKET: 'ecs-pipelines-local-uploads-000000000000-us-east-1',
    BATCHES_TABLE: db.tables.batches,
    RUNS_TABLE: db.tables.runs,
    STATE_MACHINE_ARN: STATE_MACHINE,
    RUN_LEASE_SECONDS: '30',
    MAX_CONCURRENT_RUNS: '0',
    BATCH_TTL_DAYS: '35',
  });
  // Handlers read env and build their logger/metrics at load: load them now.
  ({ handler: watcher } = require('../../../handlers/s3-upload-watcher'));
  ({ handler: fanIn } = require('../../../handlers/kinesis-fan-in'));
  ({ handler: summarize } = require('../../../handlers/summarize-run'));
});
afterAll(async () => {
  process.env = restoreEnv;
  await db.stop();
});

beforeEach(() => {
  kinesis.reset();
  sfn.reset();
  lines = [];
  // Powertools writes INFO and EMF to stdout, WARN and ERROR to stderr.
  for (const stream of [process.stdout, process.stderr]) {
    jest.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      lines.push(
        ...String(chunk)
          .split('\n')
          .filter((line) => line.startsWith('{')),
      );
      return true;
    });
  }
});
afterEach(() => jest.restoreAllMocks());

const json = () => lines.map((l) => JSON.parse(l) as Record<string, any>);
const emf = () => json().filter((l) => l._aws);
const logs = () => json().filter((l) => !l._aws);
/** Every EMF value of a metric with its dimension values. */
function metric(name: string): Array<{ value: number; dims: Record<string, string> }> {
  return emf()
    .filter((doc) => doc._aws.CloudWatchMetrics[0].Metrics.some((m: { Name: string }) => m.Name === name))
    .map((doc) => {
      const [names] = doc._aws.CloudWatchMetrics[0].Dimensions as string[][];
      return { value: doc[name], dims: Object.fromEntries(names!.map((n) => [n, doc[n]])) };
    });
}
const dims = (pipeline: string) => ({ service: 'ecs-pipelines', stage: 'test', pipeline });

function s3Event(file: 'orders' | 'customers') {
  const event = structuredClone(ordersEvent);
  event.Records[0]!.s3.object.key = `incoming/acme/${file}-2026-11-20.csv`;
  event.Records[0]!.s3.object.sequencer = file === 'orders' ? '0A' : '0B';
  return event;
}

/** The records the watcher put on the stream, as the fan-in receives them. */
function kinesisEventOf(calls: PutRecordsCommandInput[]): KinesisStreamEvent {
  const records = calls.flatMap((c) => c.Records ?? []);
  return {
    Records: records.map((r, i) => ({
      kinesis: {
        partitionKey: r.PartitionKey!,
        sequenceNumber: String(1000 + i),
        data: Buffer.from(r.Data!).toString('base64'),
        kinesisSchemaVersion: '1.0',
        approximateArrivalTimestamp: 0,
      },
      eventSource: 'aws:kinesis',
      eventID: `shardId-000000000000:${1000 + i}`,
      eventName: 'aws:kinesis:record',
      eventVersion: '1.0',
      eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/arrivals',
      awsRegion: 'us-east-1',
      invokeIdentityArn: 'arn:aws:iam::123456789012:role/fan-in',
    })),
  } as KinesisStreamEvent;
}

describe('telemetry of one batch through the flow', () => {
  it('emits the metrics with pipeline and stage dimensions, never a batch key, and correlation keys on every line', async () => {
    kinesis.on(PutRecordsCommand).resolves({ FailedRecordCount: 0, Records: [{ SequenceNumber: '1', ShardId: 's' }] });
    sfn.on(StartExecutionCommand).callsFake((input) => ({
      executionArn: `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.name}`,
      startDate: new Date(),
    }));

    await watcher(s3Event('orders'), context);
    await watcher(s3Event('customers'), context);
    expect(metric('FilesAccepted')).toEqual([
      { value: 1, dims: dims('orders-daily') },
      { value: 1, dims: dims('orders-daily') },
    ]);

    const published = kinesis.commandCalls(PutRecordsCommand).map((c) => c.args[0].input);
    const event = kinesisEventOf(published);
    await fanIn(event, context);
    // The same records again (a Kinesis retry): the start is suppressed, not repeated.
    await fanIn(event, context);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(1);
    expect(metric('BatchesCompleted')).toEqual([{ value: 1, dims: dims('orders-daily') }]);
    expect(metric('RunsStarted')).toEqual([{ value: 1, dims: dims('orders-daily') }]);
    expect(metric('DuplicateStartsSuppressed')).toEqual([{ value: 2, dims: dims('orders-daily') }]);

    const input = JSON.parse(sfn.commandCalls(StartExecutionCommand)[0]!.args[0].input.input!);
    const arn = `${STATE_MACHINE.replace(':stateMachine:', ':execution:')}:${input.executionName}`;
    await summarize(
      {
        run: {
          ...input,
          prepared: {
            shardRuns: [
              {
                Error: 'States.TaskFailed',
                Cause: JSON.stringify({
                  taskArn: 'arn:aws:ecs:us-east-1:1:task/c/abc',
                  stopCode: 'EssentialContainerExited',
                  containers: [{ name: 'pipeline', exitCode: 137, reason: 'OutOfMemoryError: Container killed due to memory usage' }],
                }),
              },
            ],
          },
        },
        executionArn: arn,
        startedAt: new Date(Date.now() - 90_000).toISOString(),
      },
      context,
    );
    expect(metric('RunsFailed')).toEqual([{ value: 1, dims: dims('orders-daily') }]);
    expect(metric('RunsFailedByClass')).toEqual([{ value: 1, dims: { ...dims('orders-daily'), failureClass: 'out-of-memory' } }]);
    expect(metric('RunDuration')).toHaveLength(1);
    expect(metric('RunDuration')[0]!.value).toBeGreaterThanOrEqual(90);

    // Bounded dimensions only, one namespace.
    for (const doc of emf()) {
      expect(doc._aws.CloudWatchMetrics[0].Namespace).toBe('EcsPipelines');
      for (const set of doc._aws.CloudWatchMetrics[0].Dimensions as string[][]) {
        expect(set.every((name) => ['service', 'stage', 'pipeline', 'failureClass'].includes(name))).toBe(true);
      }
    }

    // Every log line about this batch carries pipeline and batch key; file lines the object
    // key; lines after the start the run key and the execution ARN. Nothing carries a token.
    const path = logs().filter((l) =>
      ['file accepted', 'arrival recorded', 'arrival for a batch', 'run summarized'].some((m) => String(l.message).startsWith(m)),
    );
    expect(path.length).toBeGreaterThanOrEqual(6);
    for (const line of path) {
      expect(line).toMatchObject({ pipeline: 'orders-daily', batchKey: '2026-11-20' });
      if (line.message !== 'run summarized') expect(line.objectKey).toMatch(/^incoming\/acme\/(orders|customers)-2026-11-20\.csv$/);
    }
    const started = path.find((l) => l.message === 'arrival recorded: started')!;
    expect(started).toMatchObject({ runKey: 'orders-daily#2026-11-20', executionArn: arn });
    expect(path.find((l) => l.message === 'run summarized')).toMatchObject({ runKey: 'orders-daily#2026-11-20', executionArn: arn });
    expect(lines.join('\n')).not.toMatch(/TASK_TOKEN|taskToken/);
  }, 30_000);
});
