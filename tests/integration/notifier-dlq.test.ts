/**
 * The whole notifier through its handlers on the local cloud: the three functions wired to
 * their queues by the template's SQS event source mappings (partial batch responses), the
 * queues' real visibility timeout and redrive (shortened here: 1 s, maxReceiveCount 2), the
 * audit table, the signing secret, the local ECS's services and real receivers on the tasks'
 * loopback addresses. One task refuses connections: its message fails twice (partial batch
 * response, the others are deleted) and lands in the task DLQ unchanged; the audit item of
 * the same event id + task ARN says why.
 */
import { createServer } from 'node:net';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startNotifyEndpoint, type NotifyEndpoint } from '../../container/sample/notify-endpoint';
import { freshLocalCloud, waitFor } from '../../local/cloud/test-support';
import type { LocalCloud } from '../../local/cloud/start';
import { TaskMessageSchema } from '../../lib/notifier/model';

jest.setTimeout(120_000);

let cloud: LocalCloud;
let endpoints: NotifyEndpoint[] = [];
const received: string[] = [];
/** The web service's tasks by address; the last one has nothing listening. */
let webTasks: Array<{ ip: string; arn: string }> = [];

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const shortQueue = (maxReceiveCount: number) => ({ Properties: { VisibilityTimeout: 1, RedrivePolicy: { maxReceiveCount } } });

beforeAll(async () => {
  cloud = await freshLocalCloud({
    resourceOverrides: {
      NotifierObserverQueue: shortQueue(2),
      NotifierServiceQueue: shortQueue(2),
      NotifierTaskQueue: shortQueue(2),
      NotifyTaskLambdaFunction: { Properties: { Environment: { Variables: { NOTIFY_TIMEOUT_MS: '500', NOTIFY_MAX_ATTEMPTS: '2' } } } },
    },
  });
  const cluster = cloud.resolver.physicalOf('PipelineCluster').ref;
  const secret = await cloud.clients.secretsManager!.send(
    new GetSecretValueCommand({ SecretId: cloud.resources.secrets.NotifierSigningSecret!.arn }),
  );
  const port = await freePort();
  const labels = { NOTIFY_ME_CONTAINER_PORT: String(port), NOTIFY_ME_API_URI: '/hooks/notify' };
  // The receivers run here, at the addresses the local ECS gives the tasks (launch type EXTERNAL).
  cloud.ecs.ecs.registerTaskDefinition({ family: 'web', containers: { web: { dockerLabels: labels } } });
  cloud.ecs.ecs.registerTaskDefinition({ family: 'batch', containers: { batch: {} } });
  const web = cloud.ecs.services.create({ cluster, serviceName: 'web', taskDefinition: 'web', desiredCount: 4, launchType: 'EXTERNAL' });
  cloud.ecs.services.create({ cluster, serviceName: 'batch', taskDefinition: 'batch', desiredCount: 1, launchType: 'EXTERNAL' });
  webTasks = cloud.ecs.services.tasksOf(web).map((t) => ({ ip: cloud.ecs.ecs.addressOf(t)!, arn: t.taskArn }));
  // Three web tasks answer; the fourth has nothing listening.
  for (const task of webTasks.slice(0, 3)) {
    endpoints.push(
      await startNotifyEndpoint({
        host: task.ip,
        port,
        path: '/hooks/notify',
        secrets: [secret.SecretString!],
        log: () => undefined,
        onNotification: (n) => void received.push(n.idempotencyKey),
      }),
    );
  }
});

afterAll(async () => {
  for (const endpoint of endpoints) {
    endpoint.server.closeAllConnections();
    await endpoint.close();
  }
  endpoints = [];
  await cloud?.stop();
});

describe('notifier through its queues', () => {
  it('delivers to every reachable labelled task once and moves the unreachable one to the DLQ with its reason in the audit', async () => {
    // Prepare
    const { queues, tables } = cloud.resources;
    const taskQueue = queues.NotifierTaskQueue!;
    const taskDlq = queues.NotifierTaskDeadLetterQueue!;

    // Act
    await cloud.clients.sqs.send(
      new SendMessageCommand({
        QueueUrl: queues.NotifierObserverQueue!.url,
        MessageBody: JSON.stringify({ eventId: 'evt-dlq', payload: { action: 'flush' } }),
      }),
    );
    const dlq = await waitFor('the unreachable task in the DLQ', async () => {
      const out = await cloud.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: taskDlq.url, MaxNumberOfMessages: 10 }));
      return out.Messages?.length ? out : undefined;
    });
    await cloud.wiring.drain();

    // Assess: three receipts, each once.
    const unreachable = webTasks[3]!;
    expect(received.sort()).toEqual(
      webTasks
        .slice(0, 3)
        .map((t) => `evt-dlq#${t.arn}`)
        .sort(),
    );
    // The DLQ holds the unreachable task's message, unchanged, and nothing else.
    expect(dlq.Messages).toHaveLength(1);
    const dead = TaskMessageSchema.parse(JSON.parse(dlq.Messages?.[0]?.Body ?? '{}'));
    expect(dead).toMatchObject({ eventId: 'evt-dlq', ip: unreachable.ip, uri: '/hooks/notify', payload: { action: 'flush' } });
    const depth = await cloud.clients.sqs.send(
      new GetQueueAttributesCommand({
        QueueUrl: taskQueue.url,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    expect(depth.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    // The audit: delivered tasks claimed once (their messages were deleted despite the failure beside them).
    const audit = (await cloud.clients.documents.send(new ScanCommand({ TableName: tables.NotifierAuditTable! }))).Items ?? [];
    const byIp = new Map(audit.map((item) => [new URL(String(item.endpoint)).hostname, item]));
    for (const task of webTasks.slice(0, 3)) expect(byIp.get(task.ip)).toMatchObject({ status: 'DELIVERED', claims: 1, attempts: 1 });
    expect(byIp.get(unreachable.ip)).toMatchObject({
      pk: `evt-dlq#${dead.taskArn}`,
      status: 'FAILED',
      claims: 2,
      attempts: 4,
      lastError: expect.stringContaining('ECONNREFUSED'),
    });
    expect(audit).toHaveLength(4);
    expect(cloud.ecs.calls.get('DescribeServices')).toBe(1);
  });
});
