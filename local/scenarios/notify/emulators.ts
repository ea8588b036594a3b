/**
 * The notifier's local backing services, in-process: dynalite with the audit table,
 * local-aws-sqs with the three queues and their DLQs (redrive as resources/notifier.yml
 * declares, with shorter visibility timeouts so a demo or test sees redelivery quickly),
 * and the Secrets Manager stub with a signing key. `env` is what the handlers read.
 */
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient, waitUntilTableExists } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { startSecretsStub, type SecretsStub } from './secrets-stub';

// Neither emulator ships types.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const dynalite = require('dynalite') as (options: Record<string, unknown>) => import('node:http').Server;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createSqsServer } = require('local-aws-sqs') as { createSqsServer: (options: Record<string, unknown>) => Promise<import('node:http').Server> };

export interface QueueRef {
  url: string;
  arn: string;
}

export interface NotifierEmulators {
  env: Record<string, string>;
  sqs: SQSClient;
  dynamo: DynamoDBDocumentClient;
  secrets: SecretsStub;
  queues: { observer: QueueRef; service: QueueRef; task: QueueRef; observerDlq: QueueRef; serviceDlq: QueueRef; taskDlq: QueueRef };
  auditTable: string;
  signingKey: string;
  stop(): Promise<void>;
}

export interface EmulatorOptions {
  visibilityTimeoutSeconds?: number;
  maxReceiveCount?: number;
  signingKey?: string;
}

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const listen = (server: import('node:http').Server): Promise<number> =>
  new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port));
  });
const close = (server: import('node:http').Server): Promise<void> =>
  new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });

export async function startNotifierEmulators(options: EmulatorOptions = {}): Promise<NotifierEmulators> {
  const dynamoServer = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  const dynamoEndpoint = `http://127.0.0.1:${await listen(dynamoServer)}`;
  const sqsServer = await createSqsServer({ port: 0, hostname: '127.0.0.1', emulateQueueCreationLifecycle: false });
  const sqsEndpoint = `http://127.0.0.1:${(sqsServer.address() as AddressInfo).port}`;
  const signingKey = options.signingKey ?? 'local-signing-key-'.padEnd(64, 'x');
  const secrets = await startSecretsStub({ 'notifier-signing-key': signingKey });

  const rawDynamo = new DynamoDBClient({ endpoint: dynamoEndpoint, region: 'us-east-1', credentials });
  const auditTable = 'NotifierAudit';
  await rawDynamo.send(
    new CreateTableCommand({
      TableName: auditTable,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client: rawDynamo, maxWaitTime: 10, minDelay: 0.05, maxDelay: 0.1 }, { TableName: auditTable });

  const sqs = new SQSClient({ endpoint: sqsEndpoint, region: 'us-east-1', credentials });
  const createQueue = async (name: string, attributes: Record<string, string> = {}): Promise<QueueRef> => {
    const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    const out = await sqs.send(new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['QueueArn'] }));
    return { url: QueueUrl as string, arn: out.Attributes?.QueueArn as string };
  };
  const withDlq = async (name: string): Promise<[QueueRef, QueueRef]> => {
    const dlq = await createQueue(`${name}-dlq`, { MessageRetentionPeriod: '1209600' });
    const queue = await createQueue(name, {
      VisibilityTimeout: String(options.visibilityTimeoutSeconds ?? 2),
      RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlq.arn, maxReceiveCount: options.maxReceiveCount ?? 3 }),
    });
    return [queue, dlq];
  };
  const [observer, observerDlq] = await withDlq('notifier-observer');
  const [service, serviceDlq] = await withDlq('notifier-service');
  const [task, taskDlq] = await withDlq('notifier-task');

  const env = {
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamoEndpoint,
    AWS_ENDPOINT_URL_SQS: sqsEndpoint,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: secrets.endpoint,
    NOTIFY_SERVICE_QUEUE_URL: service.url,
    NOTIFY_TASK_QUEUE_URL: task.url,
    NOTIFY_AUDIT_TABLE: auditTable,
    NOTIFY_AUDIT_TTL_DAYS: '14',
    NOTIFY_SECRET_ID: 'notifier-signing-key',
    NOTIFY_KEY_CACHE_SECONDS: '60',
  };
  const dynamo = DynamoDBDocumentClient.from(rawDynamo, { marshallOptions: { removeUndefinedValues: true } });
  return {
    env,
    sqs,
    dynamo,
    secrets,
    queues: { observer, service, task, observerDlq, serviceDlq, taskDlq },
    auditTable,
    signingKey,
    async stop() {
      sqs.destroy();
      dynamo.destroy();
      await Promise.all([close(dynamoServer), close(sqsServer), secrets.close()]);
    },
  };
}
