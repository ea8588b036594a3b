/**
 * Creates the stack's data resources in the emulators, straight from the packaged template:
 * DynamoDB tables, Kinesis streams, SQS queues, S3 buckets and Secrets Manager secrets (a
 * generated secret gets a random value as GenerateSecretString asks). No second list to keep in sync.
 */
import { CreateTableCommand, ResourceInUseException, type CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { CreateStreamCommand, DescribeStreamSummaryCommand, ResourceInUseException as StreamInUse } from '@aws-sdk/client-kinesis';
import { CreateQueueCommand } from '@aws-sdk/client-sqs';
import { CreateBucketCommand } from '@aws-sdk/client-s3';
import { CreateSecretCommand, ResourceExistsException } from '@aws-sdk/client-secrets-manager';
import { randomInt } from 'node:crypto';
import type { LocalClients } from './aws';
import type { StackResolver } from './intrinsics';

/** On-demand streams start with 4 shards on AWS; the local stream mirrors that. */
const ON_DEMAND_SHARDS = 4;

export interface ProvisionedResources {
  tables: Record<string, string>;
  streams: Record<string, string>;
  queues: Record<string, { name: string; url: string; arn: string }>;
  buckets: Record<string, string>;
  /** Secret logical id → its name and ARN (what `Ref` gives functions). */
  secrets: Record<string, { name: string; arn: string }>;
}

type Props = Record<string, unknown>;

function tableInput(name: string, props: Props): CreateTableCommandInput {
  const indexes = (props.GlobalSecondaryIndexes as Props[] | undefined)?.map((index) => ({
    IndexName: index.IndexName as string,
    KeySchema: index.KeySchema as CreateTableCommandInput['KeySchema'],
    Projection: index.Projection as { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] },
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
const QUEUE_ATTRIBUTES = [
  'DelaySeconds',
  'MaximumMessageSize',
  'MessageRetentionPeriod',
  'ReceiveMessageWaitTimeSeconds',
  'VisibilityTimeout',
  'FifoQueue',
  'ContentBasedDeduplication',
];

/** A value as GenerateSecretString describes it (length, and which characters to leave out). */
export function generateSecretString(spec: {
  PasswordLength?: number;
  ExcludePunctuation?: boolean;
  ExcludeNumbers?: boolean;
  ExcludeUppercase?: boolean;
  ExcludeLowercase?: boolean;
  ExcludeCharacters?: string;
  IncludeSpace?: boolean;
}): string {
  const sets = [
    spec.ExcludeLowercase ? '' : 'abcdefghijklmnopqrstuvwxyz',
    spec.ExcludeUppercase ? '' : 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    spec.ExcludeNumbers ? '' : '0123456789',
    spec.ExcludePunctuation ? '' : '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
    spec.IncludeSpace ? ' ' : '',
  ];
  const excluded = new Set(spec.ExcludeCharacters ?? '');
  const alphabet = [...sets.join('')].filter((c) => !excluded.has(c));
  if (alphabet.length === 0) throw new Error('GenerateSecretString excludes every character');
  return Array.from({ length: spec.PasswordLength ?? 32 }, () => alphabet[randomInt(alphabet.length)]).join('');
}

export async function provisionResources(resolver: StackResolver, clients: LocalClients): Promise<ProvisionedResources> {
  const out: ProvisionedResources = { tables: {}, streams: {}, queues: {}, buckets: {}, secrets: {} };
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
  for (const [id, resource] of resolver.resources('AWS::SecretsManager::Secret')) {
    const { Name: name, Id: arn } = resolver.physicalOf(id).attributes as { Name: string; Id: string };
    out.secrets[id] = { name, arn };
    const p = props(id, resource.Properties) as {
      SecretString?: string;
      GenerateSecretString?: Parameters<typeof generateSecretString>[0];
      Description?: string;
    };
    const value = p.SecretString ?? generateSecretString(p.GenerateSecretString ?? {});
    if (!clients.secretsManager) throw new Error(`secret ${id}: the local cloud has no Secrets Manager endpoint`);
    work.push(
      clients.secretsManager
        .send(new CreateSecretCommand({ Name: name, SecretString: value, ...(p.Description ? { Description: p.Description } : {}) }))
        .catch((error: unknown) => {
          if (!(error instanceof ResourceExistsException)) throw error;
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
