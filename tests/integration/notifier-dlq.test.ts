/**
 * The whole notifier through its handlers, against local-aws-sqs (real visibility timeout
 * and redrive: maxReceiveCount 2), dynalite, the local ECS services endpoint and real
 * receivers on loopback addresses. One task refuses connections: its message fails twice
 * (partial batch response, the others are deleted) and lands in the task DLQ unchanged;
 * the audit item of the same event id + task ARN says why.
 */
import { createServer } from 'node:net';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { startNotifyEndpoint, type NotifyEndpoint } from '../../container/sample/notify-endpoint';
import { startNotifierEmulators, type NotifierEmulators } from '../../local/scenarios/notify/emulators';
import { pumpUntilIdle, type SqsHandler } from '../../local/scenarios/notify/sqs-pump';
import { LocalEcsRegistry, startLocalEcsServicesServer, type LocalEcsServicesServer } from '../../local/ecs-services';
import { TaskMessageSchema } from '../../lib/notifier/model';

let emulators: NotifierEmulators;
let ecs: LocalEcsServicesServer;
let endpoints: NotifyEndpoint[] = [];
const registry = new LocalEcsRegistry('local');
const received: string[] = [];
const savedEnv = { ...process.env };

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

beforeAll(async () => {
  emulators = await startNotifierEmulators({ visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });
  const port = await freePort();
  const labels = { NOTIFY_ME_CONTAINER_PORT: String(port), NOTIFY_ME_API_URI: '/hooks/notify' };
  const web = registry.registerTaskDefinition('web', 'awsvpc', [{ name: 'web', dockerLabels: labels }]);
  const batch = registry.registerTaskDefinition('batch', 'awsvpc', [{ name: 'batch' }]);
  registry.addService('web', web, 4);
  registry.addService('batch', batch, 1);
  // Three web tasks answer; the fourth (127.0.1.4) has nothing listening.
  for (const ip of ['127.0.1.1', '127.0.1.2', '127.0.1.3', '127.0.1.4']) {
    const task = registry.addTask('web', ip);
    task.lastStatus = 'RUNNING';
    if (ip === '127.0.1.4') continue;
    endpoints.push(
      await startNotifyEndpoint({ host: ip, port, path: '/hooks/notify', secrets: [emulators.signingKey], log: () => undefined, onNotification: (n) => void received.push(n.idempotencyKey) }),
    );
  }
  registry.addTask('batch', '127.0.1.9').lastStatus = 'RUNNING';
  ecs = await startLocalEcsServicesServer(registry);
  Object.assign(process.env, emulators.env, {
    AWS_ENDPOINT_URL_ECS: ecs.endpoint,
    CLUSTER_NAME: 'local',
    NOTIFY_TIMEOUT_MS: '500',
    NOTIFY_MAX_ATTEMPTS: '2',
  });
});

afterAll(async () => {
  for (const endpoint of endpoints) {
    endpoint.server.closeAllConnections();
    await endpoint.close();
  }
  endpoints = [];
  await ecs.close();
  await emulators.stop();
  process.env = savedEnv;
});

// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadHandler = (path: string): SqsHandler => (require(path) as { handler: SqsHandler }).handler;

describe('notifier through its queues', () => {
  it('delivers to every reachable labelled task once and moves the unreachable one to the DLQ with its reason in the audit', async () => {
    // Prepare: handlers load after the environment points at the emulators (a cold start).
    const { queues } = emulators;
    const targets = [
      { queueUrl: queues.observer.url, queueArn: queues.observer.arn, handler: loadHandler('../../handlers/discover-services'), functionName: 'discoverServices' },
      { queueUrl: queues.service.url, queueArn: queues.service.arn, handler: loadHandler('../../handlers/discover-tasks'), functionName: 'discoverTasks' },
      { queueUrl: queues.task.url, queueArn: queues.task.arn, handler: loadHandler('../../handlers/notify-task'), functionName: 'notifyTask' },
    ];

    // Act
    await emulators.sqs.send(new SendMessageCommand({ QueueUrl: queues.observer.url, MessageBody: JSON.stringify({ eventId: 'evt-dlq', payload: { action: 'flush' } }) }));
    await pumpUntilIdle(emulators.sqs, targets, { pollMs: 200, idleRounds: 8, maxMs: 30_000 });

    // Assess: three receipts, each once.
    expect(received.sort()).toEqual(['127.0.1.1', '127.0.1.2', '127.0.1.3'].map((ip) => `evt-dlq#${registry.tasksOf('web').find((t) => t.ip === ip)?.arn}`).sort());
    // The DLQ holds the unreachable task's message, unchanged, and nothing else.
    const dlq = await emulators.sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.taskDlq.url, MaxNumberOfMessages: 10 }));
    expect(dlq.Messages).toHaveLength(1);
    const dead = TaskMessageSchema.parse(JSON.parse(dlq.Messages?.[0]?.Body ?? '{}'));
    expect(dead).toMatchObject({ eventId: 'evt-dlq', ip: '127.0.1.4', uri: '/hooks/notify', payload: { action: 'flush' } });
    const depth = await emulators.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queues.task.url, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }));
    expect(depth.Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
    // The audit: delivered tasks claimed once (their messages were deleted despite the failure beside them).
    const audit = (await emulators.dynamo.send(new ScanCommand({ TableName: emulators.auditTable }))).Items ?? [];
    const byIp = new Map(audit.map((item) => [new URL(String(item.endpoint)).hostname, item]));
    for (const ip of ['127.0.1.1', '127.0.1.2', '127.0.1.3']) expect(byIp.get(ip)).toMatchObject({ status: 'DELIVERED', claims: 1, attempts: 1 });
    expect(byIp.get('127.0.1.4')).toMatchObject({ pk: `evt-dlq#${dead.taskArn}`, status: 'FAILED', claims: 2, attempts: 4, lastError: expect.stringContaining('ECONNREFUSED') });
    expect(audit).toHaveLength(4);
    expect(ecs.calls.get('DescribeServices')).toBe(1);
  }, 40_000);
});
