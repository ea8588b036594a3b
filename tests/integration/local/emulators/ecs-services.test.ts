/**
 * ECS services on the local ECS, through the real @aws-sdk/client-ecs: a service keeps its
 * desired number of tasks running as child processes, each on its own loopback address
 * (what the notifier discovers and calls), scales in and out with UpdateService, replaces a
 * task that dies, and answers the read operations with the API's shapes and limits.
 */
import {
  CreateServiceCommand,
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  DescribeTasksCommand,
  ECSClient,
  ListServicesCommand,
  ListTasksCommand,
  UpdateServiceCommand,
  type Task,
} from '@aws-sdk/client-ecs';
import { startLocalEcs, type LocalEcsServer } from '../../../../local/emulators/ecs';

jest.setTimeout(60_000);

let server: LocalEcsServer;
let client: ECSClient;

beforeAll(async () => {
  server = await startLocalEcs({
    stopTimeoutMs: 500,
    clusters: ['local'],
    restartDelayMs: 100,
    // Away from other tests' addresses.
    taskAddresses: (() => {
      let n = 0;
      return () => `127.0.3.${10 + n++}`;
    })(),
    taskDefinitions: [
      {
        family: 'web',
        containers: {
          app: {
            // Prints the address it was given, then stays up.
            command: ['node', '-e', 'console.log("listening on " + process.env.LISTEN_ON); setInterval(() => {}, 1000)'],
            environment: { LISTEN_ON: '{taskIp}:8080' },
            dockerLabels: { NOTIFY_ME_CONTAINER_PORT: '8080' },
            portMappings: [{ containerPort: 8080 }],
          },
        },
      },
      { family: 'crashing', containers: { app: { command: ['node', '-e', 'process.exit(2)'] } } },
      { family: 'outside', containers: { app: {} } },
    ],
  });
  client = new ECSClient({ endpoint: server.endpoint, region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'x' } });
});

afterAll(async () => {
  client.destroy();
  await server.stop();
});

const until = async <T>(what: string, check: () => Promise<T | undefined>): Promise<T> => {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
};

const serviceTasks = async (serviceName: string): Promise<Task[]> => {
  const { taskArns = [] } = await client.send(new ListTasksCommand({ cluster: 'local', serviceName }));
  if (taskArns.length === 0) return [];
  return (await client.send(new DescribeTasksCommand({ cluster: 'local', tasks: taskArns }))).tasks ?? [];
};

const runningCount = async (serviceName: string, count: number) =>
  until(`${count} running tasks of ${serviceName}`, async () => {
    const tasks = await serviceTasks(serviceName);
    return tasks.length === count && tasks.every((t) => t.lastStatus === 'RUNNING') ? tasks : undefined;
  });

const addressOf = (task: Task) => task.attachments?.[0]?.details?.find((d) => d.name === 'privateIPv4Address')?.value;

describe('local ECS services', () => {
  it('keeps the desired count running, each task on its own address, given to the container as {taskIp}', async () => {
    // Act
    await client.send(new CreateServiceCommand({ cluster: 'local', serviceName: 'web', taskDefinition: 'web', desiredCount: 2 }));
    const tasks = await runningCount('web', 2);

    // Assess
    const addresses = tasks.map(addressOf);
    expect(new Set(addresses).size).toBe(2);
    for (const address of addresses) expect(address).toMatch(/^127\.0\.3\.\d+$/);
    expect(tasks[0]).toMatchObject({
      group: 'service:web',
      launchType: 'FARGATE',
      containers: [expect.objectContaining({ networkInterfaces: [expect.objectContaining({ privateIpv4Address: addressOf(tasks[0]!) })] })],
    });
    await until('both tasks to print their address', async () => {
      const lines = tasks.flatMap((t) => server.ecs.getTask(t.taskArn!)!.logs.map((l) => l.line));
      return lines.length === 2 ? lines : undefined;
    });
    for (const task of tasks)
      expect(server.ecs.getTask(task.taskArn!)!.logs.map((l) => l.line)).toEqual([`listening on ${addressOf(task)}:8080`]);
    const described = await client.send(new DescribeServicesCommand({ cluster: 'local', services: ['web'] }));
    expect(described.services?.[0]).toMatchObject({
      serviceName: 'web',
      desiredCount: 2,
      runningCount: 2,
      pendingCount: 0,
      status: 'ACTIVE',
    });
    expect(described.services?.[0]?.createdAt).toBeInstanceOf(Date);
  });

  it('scales in by stopping the newest task and out by starting more (UpdateService)', async () => {
    const before = await runningCount('web', 2);
    const newest = before.sort((a, b) => a.createdAt!.getTime() - b.createdAt!.getTime())[1]!;

    await client.send(new UpdateServiceCommand({ cluster: 'local', service: 'web', desiredCount: 1 }));
    const after = await runningCount('web', 1);
    expect(after.map((t) => t.taskArn)).not.toContain(newest.taskArn);

    await client.send(new UpdateServiceCommand({ cluster: 'local', service: 'web', desiredCount: 3 }));
    await runningCount('web', 3);
  });

  it('replaces a task that stops by itself, and says so in the service events', async () => {
    await client.send(new CreateServiceCommand({ cluster: 'local', serviceName: 'crashing', taskDefinition: 'crashing', desiredCount: 1 }));

    await until('a replacement after the first task exited', async () => {
      const { taskArns = [] } = await client.send(
        new ListTasksCommand({ cluster: 'local', serviceName: 'crashing', desiredStatus: 'STOPPED' }),
      );
      return taskArns.length >= 2 ? taskArns : undefined;
    });
    await client.send(new UpdateServiceCommand({ cluster: 'local', service: 'crashing', desiredCount: 0 }));
    const [service] = (await client.send(new DescribeServicesCommand({ cluster: 'local', services: ['crashing'] }))).services ?? [];
    expect(service!.events!.map((e) => e.message)).toEqual(
      expect.arrayContaining([
        expect.stringContaining('Essential container in task exited'),
        expect.stringContaining('has started 1 tasks'),
      ]),
    );
  });

  it('runs EXTERNAL tasks without a process: RUNNING at an address whoever asked for them serves', async () => {
    await client.send(
      new CreateServiceCommand({
        cluster: 'local',
        serviceName: 'outside',
        taskDefinition: 'outside',
        desiredCount: 3,
        launchType: 'EXTERNAL',
      }),
    );
    const tasks = await runningCount('outside', 3);
    expect(tasks.every((t) => t.launchType === 'EXTERNAL' && addressOf(t))).toBe(true);
    expect(tasks.flatMap((t) => server.ecs.getTask(t.taskArn!)!.logs)).toEqual([]);
  });

  it('answers the read operations the notifier uses, with the API limits and failures', async () => {
    const definition = await client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'web' }));
    expect(definition.taskDefinition).toMatchObject({
      family: 'web',
      revision: 1,
      networkMode: 'awsvpc',
      containerDefinitions: [
        expect.objectContaining({
          name: 'app',
          dockerLabels: { NOTIFY_ME_CONTAINER_PORT: '8080' },
          portMappings: [{ containerPort: 8080, protocol: 'tcp' }],
        }),
      ],
    });

    const first = await client.send(new ListServicesCommand({ cluster: 'local', maxResults: 2 }));
    const rest = await client.send(new ListServicesCommand({ cluster: 'local', maxResults: 2, nextToken: first.nextToken }));
    expect([...first.serviceArns!, ...rest.serviceArns!].map((arn) => arn.split('/').at(-1))).toEqual(['web', 'crashing', 'outside']);
    expect(rest.nextToken).toBeUndefined();

    const missing = await client.send(new DescribeServicesCommand({ cluster: 'local', services: ['web', 'nope'] }));
    expect(missing.failures).toEqual([{ arn: 'nope', reason: 'MISSING' }]);
    await expect(
      client.send(new DescribeServicesCommand({ cluster: 'local', services: Array.from({ length: 11 }, (_, i) => `s${i}`) })),
    ).rejects.toMatchObject({ name: 'InvalidParameterException' });
    await expect(client.send(new ListTasksCommand({ cluster: 'local', serviceName: 'nope' }))).rejects.toMatchObject({
      name: 'ServiceNotFoundException',
    });
    await expect(client.send(new ListServicesCommand({ cluster: 'elsewhere' }))).rejects.toMatchObject({
      name: 'ClusterNotFoundException',
      message: expect.stringContaining('elsewhere'),
    });
    await expect(client.send(new DescribeTaskDefinitionCommand({ taskDefinition: 'nope' }))).rejects.toMatchObject({
      name: 'ClientException',
    });
    expect(server.calls.get('DescribeServices')).toBeGreaterThanOrEqual(3);
  });
});
