/**
 * The event path at scale, on in-process emulators: 10,000 files forming 5,000 two-file
 * batches, delivered with 20% duplicates and shuffled, through the real handlers:
 * watcher → kinesalite → fan-in → dynalite → start-pipeline (Step Functions answered by a
 * counting stub, the only part not emulated). Reports files per second and the AWS requests
 * each accepted file costs, and fails unless exactly 5,000 runs start.
 *
 * Delivery is S3 → SQS → watcher in batches of 10 messages (one S3 record each, as S3 sends
 * them); the fan-in reads each shard in batches of 100 like its event source mapping.
 *
 * Run: npm run bench:event-path   (BATCHES=5000 DUPLICATES=0.2 to change the shape)
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { GetRecordsCommand, GetShardIteratorCommand, ListShardsCommand } from '@aws-sdk/client-kinesis';
import { DescribeExecutionCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import type { Context, KinesisStreamEvent, SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { startDynalite } from '../tests/helpers/dynalite';
import { startKinesalite } from '../tests/helpers/kinesalite';

const BATCHES = Number(process.env.BATCHES ?? 5000);
const DUPLICATE_SHARE = Number(process.env.DUPLICATES ?? 0.2);
const SHARDS = 4;
const WATCHER_CONCURRENCY = 8;
const STREAM = 'file-arrivals';
const BUCKET = 'bench-uploads';

// Seeded so every run delivers the same shuffled sequence.
function rng(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const context = { functionName: 'bench', awsRequestId: 'bench', getRemainingTimeInMillis: () => 60_000 } as unknown as Context;

async function main(): Promise<void> {
  const kinesis = await startKinesalite();
  await kinesis.createStream(STREAM, SHARDS);
  const dynamo = await startDynalite();

  Object.assign(process.env, {
    AWS_ENDPOINT_URL_KINESIS: kinesis.endpoint,
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.endpoint,
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    STAGE: 'bench',
    SERVICE: 'ecs-pipelines',
    STREAM_NAME: STREAM,
    UPLOADS_BUCKET: BUCKET,
    BATCHES_TABLE: dynamo.tables.batches,
    RUNS_TABLE: dynamo.tables.runs,
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:ecs-pipelines-bench-pipeline',
    RUN_LEASE_SECONDS: '30',
    BATCH_TTL_DAYS: '35',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
    POWERTOOLS_METRICS_DISABLED: 'true',
  });

  // Step Functions is the one service answered by a stub: count what reaches it.
  const sfn = mockClient(SFNClient);
  const started = new Set<string>();
  let startCalls = 0;
  sfn.on(StartExecutionCommand).callsFake(({ name }) => {
    startCalls += 1;
    if (started.has(name)) throw Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' });
    started.add(name);
    return { executionArn: `arn:aws:states:us-east-1:123456789012:execution:x:${name}`, startDate: new Date() };
  });
  sfn.on(DescribeExecutionCommand).callsFake(({ executionArn }) => {
    if (!started.has(String(executionArn).split(':').pop()!)) throw Object.assign(new Error('no'), { name: 'ExecutionDoesNotExist' });
    return { status: 'RUNNING' };
  });

  // Count every request the handlers' own clients send, by service and operation.
  const { dynamoDocumentClient } = await import('../lib/shared/clients/dynamodb.js');
  const { kinesisClient } = await import('../lib/shared/clients/kinesis.js');
  const requests = new Map<string, number>();
  // DynamoDB updates are told apart by what they write: an arrival, a batch's started mark,
  // or the clean-up after a duplicate that arrived once its batch had started.
  const purpose = (input: { UpdateExpression?: string } | undefined): string => {
    const expression = input?.UpdateExpression ?? '';
    if (expression.includes('ADD')) return ':arrival';
    if (expression.includes('startedRunKey')) return ':started-mark';
    if (expression) return ':clean-up';
    return '';
  };
  const count =
    (service: string) =>
    (next: (args: unknown) => Promise<unknown>, ctx: { commandName?: string }) =>
    (args: { input?: { UpdateExpression?: string } }) => {
      const key = `${service}:${ctx.commandName}${service === 'dynamodb' ? purpose(args.input) : ''}`;
      requests.set(key, (requests.get(key) ?? 0) + 1);
      return next(args);
    };
  dynamoDocumentClient().middlewareStack.add(count('dynamodb') as never, { step: 'initialize' });
  kinesisClient().middlewareStack.add(count('kinesis') as never, { step: 'initialize' });

  const { handler: watcher } = await import('../handlers/s3-upload-watcher.js');
  const { handler: fanIn } = await import('../handlers/kinesis-fan-in.js');

  // The files: orders and customers per batch, 20% of them delivered twice, shuffled.
  const template = JSON.parse(readFileSync(join(__dirname, '../tests/events/s3/s3-via-sqs.json'), 'utf8')) as SQSEvent;
  const base = template.Records[0]!;
  const baseBody = JSON.parse(base.body);
  const random = rng(20261121);
  const deliveries: string[] = [];
  for (let b = 0; b < BATCHES; b += 1) {
    const date = `2026-${String(1 + (b % 12)).padStart(2, '0')}-b${b}`;
    for (const file of ['orders', 'customers']) {
      const record = structuredClone(baseBody.Records[0]);
      record.s3.bucket.name = BUCKET;
      record.s3.object.key = `incoming/acme/${file}-${date}.csv`;
      record.s3.object.eTag = `${file}${b}`;
      record.s3.object.sequencer = (0x643717f9f8b85354n + BigInt(b)).toString(16).toUpperCase();
      const body = JSON.stringify({ Records: [record] });
      deliveries.push(body);
      if (random() < DUPLICATE_SHARE) deliveries.push(body);
    }
  }
  for (let i = deliveries.length - 1; i > 0; i -= 1) {
    const j = Math.floor(random() * (i + 1));
    [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
  }
  const uniqueFiles = BATCHES * 2;

  const t0 = performance.now();
  // Watcher: SQS batches of 10, WATCHER_CONCURRENCY invocations at a time.
  const invocations: SQSEvent[] = [];
  for (let i = 0; i < deliveries.length; i += 10) {
    invocations.push({ Records: deliveries.slice(i, i + 10).map((body, k) => ({ ...base, messageId: `m-${i + k}`, body })) });
  }
  let next = 0;
  let watcherFailures = 0;
  await Promise.all(
    Array.from({ length: WATCHER_CONCURRENCY }, async () => {
      while (next < invocations.length) {
        const event = invocations[next++]!;
        const response = (await watcher(event, context)) as { batchItemFailures?: unknown[] } | undefined;
        watcherFailures += response?.batchItemFailures?.length ?? 0;
      }
    }),
  );
  const t1 = performance.now();

  // Fan-in: each shard read in order, 100 records per invocation, shards in parallel;
  // failed records are retried like the event source mapping does.
  const admin = kinesis.client();
  const { Shards = [] } = await admin.send(new ListShardsCommand({ StreamName: STREAM }));
  let fanInRecords = 0;
  await Promise.all(
    Shards.map(async (shard) => {
      let { ShardIterator: iterator } = await admin.send(
        new GetShardIteratorCommand({ StreamName: STREAM, ShardId: shard.ShardId!, ShardIteratorType: 'TRIM_HORIZON' }),
      );
      while (iterator) {
        const page = await admin.send(new GetRecordsCommand({ ShardIterator: iterator, Limit: 100 }));
        if (!page.Records?.length) break;
        let batch: KinesisStreamEvent = {
          Records: page.Records.map((r) => ({
            eventSource: 'aws:kinesis',
            eventVersion: '1.0',
            eventID: `${shard.ShardId}:${r.SequenceNumber}`,
            eventName: 'aws:kinesis:record',
            invokeIdentityArn: 'arn:aws:iam::123456789012:role/bench',
            awsRegion: 'us-east-1',
            eventSourceARN: 'arn:aws:kinesis:us-east-1:123456789012:stream/file-arrivals',
            kinesis: {
              kinesisSchemaVersion: '1.0',
              partitionKey: r.PartitionKey!,
              sequenceNumber: r.SequenceNumber!,
              data: Buffer.from(r.Data!).toString('base64'),
              approximateArrivalTimestamp: (r.ApproximateArrivalTimestamp ?? new Date()).getTime() / 1000,
            },
          })),
        };
        fanInRecords += batch.Records.length;
        for (let attempt = 0; attempt < 5 && batch.Records.length; attempt += 1) {
          const response = await fanIn(batch, context).catch(() => ({
            batchItemFailures: batch.Records.map((r) => ({ itemIdentifier: r.kinesis.sequenceNumber })),
          }));
          const failed = new Set(response.batchItemFailures.map((f: { itemIdentifier: string }) => f.itemIdentifier));
          batch = { Records: batch.Records.filter((r) => failed.has(r.kinesis.sequenceNumber)) };
        }
        if (batch.Records.length) throw new Error(`${batch.Records.length} records still failing after retries`);
        iterator = page.NextShardIterator;
      }
    }),
  );
  const t2 = performance.now();

  const get = (key: string) => requests.get(key) ?? 0;
  const arrivalWrites = get('dynamodb:UpdateItemCommand:arrival');
  const startWrites = get('dynamodb:PutItemCommand') + get('dynamodb:UpdateItemCommand:started-mark');
  const cleanUps = get('dynamodb:UpdateItemCommand:clean-up');
  const seconds = (t2 - t0) / 1000;

  console.log(`\nEvent path at scale (${new Date().toISOString().slice(0, 10)}, node ${process.version})`);
  console.log(
    `files: ${uniqueFiles} unique in ${BATCHES} batches, ${deliveries.length} deliveries (${deliveries.length - uniqueFiles} duplicates), shuffled`,
  );
  console.log(`watcher: ${invocations.length} invocations, ${((t1 - t0) / 1000).toFixed(2)} s, ${watcherFailures} batch item failures`);
  console.log(`fan-in: ${fanInRecords} records, ${((t2 - t1) / 1000).toFixed(2)} s`);
  console.log(`throughput: ${(deliveries.length / seconds).toFixed(0)} deliveries/s end to end (${seconds.toFixed(2)} s)`);
  console.log(`StartExecution calls: ${startCalls}, executions started: ${started.size}`);
  console.log('requests:', Object.fromEntries([...requests.entries()].sort()));
  console.log(
    `per accepted file: ${(arrivalWrites / deliveries.length).toFixed(2)} DynamoDB writes (arrival), Kinesis PutRecords ${(get('kinesis:PutRecordsCommand') / deliveries.length).toFixed(3)}`,
  );
  console.log(`per batch start: ${(startWrites / started.size).toFixed(2)} DynamoDB writes (lock + started mark)`);
  console.log(
    `duplicates delivered after their batch started: ${cleanUps} clean-up writes (${(cleanUps / deliveries.length).toFixed(3)} per delivery)`,
  );

  await kinesis.stop();
  await dynamo.stop();
  if (started.size !== BATCHES) {
    console.error(`FAIL: expected exactly ${BATCHES} runs, got ${started.size}`);
    process.exit(1);
  }
  console.log(`OK: exactly ${BATCHES} runs started`);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
