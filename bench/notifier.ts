/**
 * Notifier benchmark, two parts. Run: npm run bench:notifier   (TASKS=1000 CONCURRENCY=200)
 *
 * A. ECS and EC2 API calls per broadcast as a function of services (S), labelled services
 *    (L), running tasks (T) and distinct task definition revisions (R), awsvpc and bridge,
 *    through the real discovery use cases and adapters with the SDK answered by
 *    aws-sdk-client-mock (calls counted per command). Goal: ⌈S/100⌉ ListServices,
 *    ⌈S/10⌉ DescribeServices, R DescribeTaskDefinition, per labelled service ⌈t/100⌉
 *    ListTasks and DescribeTasks, ⌈hosts/100⌉ DescribeContainerInstances, 1 DescribeInstances.
 * B. Broadcast latency to TASKS local task endpoints: one real receiver per task on its own
 *    loopback address (127.0.x.y, one shared port; the local ECS's EXTERNAL tasks), discovery
 *    through the local ECS over HTTP, delivery through notifyTask with the dynalite audit
 *    table (real conditional writes), CONCURRENCY deliveries in flight (Lambda: 10 per batch
 *    × the event source mapping's maximum concurrency 20). Loopback only; one request per task.
 */
import { createServer } from 'node:net';
import {
  DescribeContainerInstancesCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServicesCommand,
  ListTasksCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { startNotifyEndpoint, type NotifyEndpoint } from '../container/sample/notify-endpoint';
import { loopbackAllocator, startLocalEcs } from '../local/emulators/ecs';
import { startAuditDynalite } from '../tests/helpers/dynalite';
import { createAuditStore } from '../lib/notifier/adapters/audit-table';
import { mapLimit } from '../lib/notifier/chunks';
import { discoverServices } from '../lib/notifier/discover-services';
import { discoverTasks } from '../lib/notifier/discover-tasks';
import { createInstanceAddresses } from '../lib/notifier/adapters/ec2';
import { createEcsReader } from '../lib/notifier/adapters/ecs';
import { ServiceMessageSchema, TaskMessageSchema, type ServiceMessage, type TaskMessage } from '../lib/notifier/model';
import { notifyTask } from '../lib/notifier/notify-task';
import type { MessageSender } from '../lib/notifier/ports';

const TASKS = Math.min(Number(process.env.TASKS ?? 1000), 5000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 200);

interface Shape {
  services: number;
  labelled: number;
  tasksPerLabelled: number;
  revisions: number;
  networkMode: 'awsvpc' | 'bridge';
  /** bridge: tasks spread over this many container instances. */
  hosts: number;
}

/** Part A: counts SDK commands for one broadcast over a fake cluster of the given shape. */
async function countCalls(shape: Shape): Promise<Record<string, number>> {
  const ecs = mockClient(ECSClient);
  const ec2 = mockClient(EC2Client);
  const sqs = mockClient(SQSClient);
  const name = (i: number): string => `svc-${i}`;
  const labelledRevision = (i: number): number => i % shape.revisions;
  ecs.on(ListServicesCommand).callsFake((input: { nextToken?: string; maxResults?: number }) => {
    const start = Number(input.nextToken ?? 0);
    const end = Math.min(start + (input.maxResults ?? 10), shape.services);
    return {
      serviceArns: Array.from({ length: end - start }, (_, k) => `arn:svc/c/${name(start + k)}`),
      nextToken: end < shape.services ? String(end) : undefined,
    };
  });
  ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
    services: input.services.map((arn) => {
      const i = Number(arn.split('-').pop());
      // The first L services are labelled; their revisions cycle over R; unlabelled ones share one more.
      const td = i < shape.labelled ? `td/labelled-${labelledRevision(i)}:1` : 'td/plain:1';
      return { serviceArn: arn, serviceName: name(i), status: 'ACTIVE', taskDefinition: td };
    }),
  }));
  ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => ({
    taskDefinition: {
      taskDefinitionArn: input.taskDefinition,
      networkMode: shape.networkMode,
      containerDefinitions: [
        {
          name: 'app',
          dockerLabels: input.taskDefinition.includes('labelled') ? { NOTIFY_ME_CONTAINER_PORT: '8080', NOTIFY_ME_API_URI: '/notify' } : {},
        },
      ],
    },
  }));
  ecs.on(ListTasksCommand).callsFake((input: { serviceName: string; nextToken?: string; maxResults?: number }) => {
    const start = Number(input.nextToken ?? 0);
    const end = Math.min(start + (input.maxResults ?? 100), shape.tasksPerLabelled);
    return {
      taskArns: Array.from({ length: end - start }, (_, k) => `arn:task/c/${input.serviceName}-${start + k}`),
      nextToken: end < shape.tasksPerLabelled ? String(end) : undefined,
    };
  });
  ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => ({
    tasks: input.tasks.map((taskArn): Task => {
      const k = Number(taskArn.split('-').pop());
      return shape.networkMode === 'awsvpc'
        ? {
            taskArn,
            lastStatus: 'RUNNING',
            desiredStatus: 'RUNNING',
            attachments: [{ type: 'ElasticNetworkInterface', details: [{ name: 'privateIPv4Address', value: `10.0.0.${k % 250}` }] }],
            containers: [{ name: 'app' }],
          }
        : {
            taskArn,
            lastStatus: 'RUNNING',
            desiredStatus: 'RUNNING',
            containerInstanceArn: `ci/${k % shape.hosts}`,
            containers: [{ name: 'app', networkBindings: [{ containerPort: 8080, hostPort: 32768 + k, protocol: 'tcp' }] }],
          };
    }),
  }));
  ecs.on(DescribeContainerInstancesCommand).callsFake((input: { containerInstances: string[] }) => ({
    containerInstances: input.containerInstances.map((arn) => ({ containerInstanceArn: arn, ec2InstanceId: `i-${arn.slice(3)}` })),
  }));
  ec2.on(DescribeInstancesCommand).callsFake((input: { InstanceIds: string[] }) => ({
    Reservations: [{ Instances: input.InstanceIds.map((id) => ({ InstanceId: id, PrivateIpAddress: '10.1.0.1' })) }],
  }));
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });

  // Queues in memory, so the service messages feed task discovery directly.
  const serviceMessages: ServiceMessage[] = [];
  let taskMessages = 0;
  const serviceQueue: MessageSender = {
    sendAll: async (messages) => void serviceMessages.push(...messages.map((m) => ServiceMessageSchema.parse(JSON.parse(m.body)))),
  };
  const taskQueue: MessageSender = { sendAll: async (messages) => void (taskMessages += messages.length) };
  const reader = createEcsReader(new ECSClient({ region: 'us-east-1' }));
  await discoverServices({ eventId: 'bench', payload: {} }, { ecs: reader, serviceQueue, cluster: 'c' });
  for (const message of serviceMessages)
    await discoverTasks(message, { ecs: reader, ec2: createInstanceAddresses(new EC2Client({ region: 'us-east-1' })), taskQueue });

  const counts: Record<string, number> = {};
  for (const call of [...ecs.calls(), ...ec2.calls()]) {
    const command = (call.args[0] as { constructor: { name: string } }).constructor.name.replace(/Command$/, '');
    counts[command] = (counts[command] ?? 0) + 1;
  }
  counts.TaskMessages = taskMessages;
  ecs.restore();
  ec2.restore();
  sqs.restore();
  return counts;
}

async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? 0;

/** Part B: broadcast to TASKS local endpoints; returns timings in ms. */
async function broadcastLatency(): Promise<Record<string, number>> {
  const emulators = await startAuditDynalite();
  const signingKey = 'bench-signing-key-'.padEnd(64, 'x');
  const ecsServer = await startLocalEcs({ clusters: ['bench'], taskAddresses: loopbackAllocator(2 * 65536 + 10) }); // 127.2.0.10 upwards: away from the demo's addresses
  const port = await freePort();
  const services = 10;
  const endpoints: NotifyEndpoint[] = [];
  let receipts = 0;
  for (let s = 0; s < services; s += 1) {
    ecsServer.ecs.registerTaskDefinition({
      family: `svc${s}`,
      containers: { app: { dockerLabels: { NOTIFY_ME_CONTAINER_PORT: String(port), NOTIFY_ME_API_URI: '/notify' } } },
    });
    ecsServer.services.create({
      cluster: 'bench',
      serviceName: `svc${s}`,
      taskDefinition: `svc${s}`,
      desiredCount: TASKS / services,
      launchType: 'EXTERNAL',
    });
  }
  for (const task of ecsServer.ecs.listTasks({ cluster: 'bench' }).map((arn) => ecsServer.ecs.getTask(arn)!)) {
    endpoints.push(
      await startNotifyEndpoint({
        host: ecsServer.ecs.addressOf(task)!,
        port,
        path: '/notify',
        secrets: [signingKey],
        log: () => undefined,
        onNotification: () => void (receipts += 1),
      }),
    );
  }
  // EXTERNAL tasks turn RUNNING once RunTask has answered.
  await new Promise((resolve) => setImmediate(resolve));
  const ecsClient = new ECSClient({
    endpoint: ecsServer.endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  const reader = createEcsReader(ecsClient);
  const audit = createAuditStore(emulators.dynamo, { tableName: emulators.auditTable, ttlDays: 1 });
  const serviceMessages: ServiceMessage[] = [];
  const taskMessages: TaskMessage[] = [];

  const started = performance.now();
  await discoverServices(
    { eventId: 'bench-latency', payload: { action: 'reload' } },
    {
      ecs: reader,
      cluster: 'bench',
      serviceQueue: { sendAll: async (m) => void serviceMessages.push(...m.map((x) => ServiceMessageSchema.parse(JSON.parse(x.body)))) },
    },
  );
  await mapLimit(serviceMessages, 10, (message) =>
    discoverTasks(message, {
      ecs: reader,
      ec2: { privateIps: async () => new Map() },
      taskQueue: { sendAll: async (m) => void taskMessages.push(...m.map((x) => TaskMessageSchema.parse(JSON.parse(x.body)))) },
    }),
  );
  const discovered = performance.now();
  const latencies: number[] = [];
  await mapLimit(taskMessages, CONCURRENCY, async (message) => {
    const t0 = performance.now();
    await notifyTask(message, {
      audit,
      keys: { currentKey: async () => signingKey },
      clock: { now: () => new Date() },
      policy: { maxAttempts: 3, timeoutMs: 5_000, baseDelayMs: 100, maxDelayMs: 1_000 },
    });
    latencies.push(performance.now() - t0);
  });
  const finished = performance.now();
  latencies.sort((a, b) => a - b);

  for (const endpoint of endpoints) {
    endpoint.server.closeAllConnections();
    await endpoint.close();
  }
  ecsClient.destroy();
  await ecsServer.stop();
  await emulators.stop();
  if (receipts !== TASKS) throw new Error(`expected ${TASKS} receipts, got ${receipts}`);
  return {
    tasks: TASKS,
    receipts,
    discoveryMs: Math.round(discovered - started),
    deliveryMs: Math.round(finished - discovered),
    totalMs: Math.round(finished - started),
    p50Ms: Math.round(percentile(latencies, 50)),
    p99Ms: Math.round(percentile(latencies, 99)),
  };
}

async function main(): Promise<void> {
  const shapes: Shape[] = [
    { services: 10, labelled: 2, tasksPerLabelled: 3, revisions: 2, networkMode: 'awsvpc', hosts: 1 },
    { services: 150, labelled: 50, tasksPerLabelled: 5, revisions: 6, networkMode: 'awsvpc', hosts: 1 },
    { services: 150, labelled: 1, tasksPerLabelled: 250, revisions: 1, networkMode: 'awsvpc', hosts: 1 },
    { services: 1000, labelled: 100, tasksPerLabelled: 10, revisions: 20, networkMode: 'awsvpc', hosts: 1 },
    { services: 150, labelled: 10, tasksPerLabelled: 250, revisions: 10, networkMode: 'bridge', hosts: 150 },
  ];
  const columns = [
    'ListServices',
    'DescribeServices',
    'DescribeTaskDefinition',
    'ListTasks',
    'DescribeTasks',
    'DescribeContainerInstances',
    'DescribeInstances',
    'TaskMessages',
  ];
  process.stdout.write(`| S | L | t/svc | R | mode | hosts | ${columns.join(' | ')} |\n|${' --- |'.repeat(6 + columns.length)}\n`);
  for (const shape of shapes) {
    const counts = await countCalls(shape);
    process.stdout.write(
      `| ${shape.services} | ${shape.labelled} | ${shape.tasksPerLabelled} | ${shape.revisions} | ${shape.networkMode} | ${shape.networkMode === 'bridge' ? shape.hosts : '-'} | ${columns.map((c) => counts[c] ?? 0).join(' | ')} |\n`,
    );
  }
  process.stdout.write(`\nBroadcast to ${TASKS} local endpoints (concurrency ${CONCURRENCY}):\n`);
  process.stdout.write(`${JSON.stringify(await broadcastLatency())}\n`);
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`bench:notifier failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
