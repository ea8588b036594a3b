/**
 * Creates the stack's data resources in the emulators, straight from the packaged template:
 * DynamoDB tables, Kinesis streams, SQS queues and S3 buckets. No second list to keep in sync.
 */
import { CreateTableCommand, ResourceInUseException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, ResourceInUseException as StreamInUse } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import type { LocalClients } from './aws';
import type { StackResolver } from './intrinsics';

/** On-demand streams start with 4 shards on AWS; the local stream mirrors that. */
const ON_DEMAND_SHARDS = 4;

export interface ProvisionedResources {
  tables: Record<string, string>;
  streams: Record<string, string>;
  queues: Record<string, { name: string; url: string; arn: string }>;
  buckets: Record<string, string>;
}

type Props = Record<string, unknown>;

function tableInput(name: string, props: Props): CreateTableCommandInput {
  const indexes = (props.GlobalSecondaryIndexes as Props[] | undefined)?.map((index) => ({
    IndexName: index.IndexName as string,
    KeySchema: index.KeySchema as CreateTableCommandInput['KeySchema'],
    Projection: index.Projection as { ProjectionType: 'ALL' },
  }));
  return {
    TableName: name,
    AttributeDefinitions: props.AttributeDefinitions as CreateTableCommandInput['AttributeDefinitions'],
    KeySchema: props.KeySchema as CreateTableCommandInput['KeySchema'],
    BillingMode: 'PAY_PER_REQUEST',
    ...(indexes?.length ? { GlobalSecondaryIndexes: indexes } : {}),
  };
}

/** Queue attributes the SQS API takes as strings. */
const QUEUE_ATTRIBUTES = ['DelaySeconds', 'MaximumMessageSize', 'MessageRetentionPeriod', 'ReceiveMessageWaitTimeSeconds', 'VisibilityTimeout', 'FifoQueue', 'ContentBasedDeduplication'];

export async function provisionResources(resolver: StackResolver, clients: LocalClients): Promise<ProvisionedResources> {
  const out: ProvisionedResources = { tables: {}, streams: {}, queues: {}, buckets: {} };
  const work: Promise<unknown>[] = [];
  const props = (id: string, raw: Props | undefined): Props => (resolver.resolve(raw ?? {}, id) as Props) ?? {};

  for (const [id, resource] of resolver.resources('AWS::DynamoDB::Table')) {
    const name = resolver.physicalOf(id).ref;
    out.tables[id] = name;
    work.push(
      clients.dynamodb.send(new CreateTableCommand(tableInput(name, props(id, resource.Properties)))).catch((error: unknown) => {
        if (!(error instanceof ResourceInUseException)) throw error; // persisted data from an earlier start
      }),
    );
  }
  for (const [id, resource] of resolver.resources('AWS::Kinesis::Stream')) {
    const name = resolver.physicalOf(id).ref;
    out.streams[id] = name;
    const p = props(id, resource.Properties);
    const shards = typeof p.ShardCount === 'number' ? p.ShardCount : Number(p.ShardCount ?? ON_DEMAND_SHARDS);
    work.push(
      clients.kinesis.send(new CreateStreamCommand({ StreamName: name, ShardCount: shards })).catch((error: unknown) => {
        if (!(error instanceof StreamInUse)) throw error;
      }),
    );
  }
  // Dead-letter queues first: a queue's RedrivePolicy names its DLQ, which must exist.
  const queues = resolver.resources('AWS::SQS::Queue');
  const hasRedrive = ([, r]: (typeof queues)[number]) => Boolean((r.Properties as Props | undefined)?.RedrivePolicy);
  const createQueues = async () => {
    for (const [id, resource] of [...queues.filter((q) => !hasRedrive(q)), ...queues.filter(hasRedrive)]) {
      const physical = resolver.physicalOf(id);
      const p = props(id, resource.Properties);
      const attributes: Record<string, string> = {};
      for (const key of QUEUE_ATTRIBUTES) if (p[key] !== undefined) attributes[key] = String(p[key]);
      if (p.RedrivePolicy !== undefined) attributes.RedrivePolicy = JSON.stringify(p.RedrivePolicy);
      await clients.sqs.send(new CreateQueueCommand({ QueueName: physical.attributes.QueueName!, Attributes: attributes }));
      out.queues[id] = { name: physical.attributes.QueueName!, url: physical.attributes.QueueUrl!, arn: physical.attributes.Arn! };
    }
  };
  work.push(createQueues());
  // The framework's deployment bucket holds nothing locally.
  for (const [id] of resolver.resources('AWS::S3::Bucket').filter(([id]) => id !== 'ServerlessDeploymentBucket')) {
    const name = resolver.physicalOf(id).ref;
    out.buckets[id] = name;
    work.push(
      clients.s3.send(new CreateBucketCommand({ Bucket: name })).catch((error: unknown) => {
        if (!(error instanceof Error && /BucketAlready(OwnedByYou|Exists)/.test(error.name))) throw error;
      }),
    );
  }
  await Promise.all(work);
  // Streams are usable once ACTIVE (kinesalite's createStreamMs is 0, so this is one call each).
  for (const name of Object.values(out.streams)) {
    for (;;) {
      const summary = await clients.kinesis.send(new DescribeStreamSummaryCommand({ StreamName: name }));
      if (summary.StreamDescriptionSummary?.StreamStatus === 'ACTIVE') break;
      await new Promise((r) => setTimeout(r, 20));
    }
  }
  return out;
}
