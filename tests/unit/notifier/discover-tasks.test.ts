import { DescribeContainerInstancesCommand, DescribeTasksCommand, ECSClient, ListTasksCommand, type Task } from '@aws-sdk/client-ecs';
import { DescribeInstancesCommand, EC2Client } from '@aws-sdk/client-ec2';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { discoverTasks, eniAddress, skipReason } from '../../../lib/notifier/discover-tasks';
import { createInstanceAddresses } from '../../../lib/notifier/adapters/ec2';
import { createEcsReader } from '../../../lib/notifier/adapters/ecs';
import { TaskMessageSchema, type ServiceMessage } from '../../../lib/notifier/model';
import { createQueueSender } from '../../../lib/notifier/adapters/queues';
import containerInstances from '../../events/notifier/describe-container-instances.json';
import instances from '../../events/notifier/describe-instances.json';
import awsvpcTasks from '../../events/notifier/describe-tasks-awsvpc.json';
import bridgeTasks from '../../events/notifier/describe-tasks-bridge.json';

const ecs = mockClient(ECSClient);
const ec2 = mockClient(EC2Client);
const sqs = mockClient(SQSClient);

const service = (overrides: Partial<ServiceMessage>): ServiceMessage => ({
  eventId: 'evt-1',
  cluster: 'FargateCluster',
  serviceName: 'web',
  serviceArn: 'arn:aws:ecs:us-west-2:111122223333:service/FargateCluster/web',
  taskDefinitionArn: 'arn:aws:ecs:us-west-2:111122223333:task-definition/web:7',
  networkMode: 'awsvpc',
  container: 'web',
  containerPort: 8080,
  uri: '/notify',
  payload: { action: 'reload' },
  ...overrides,
});

const deps = () => ({
  ecs: createEcsReader(new ECSClient({})),
  ec2: createInstanceAddresses(new EC2Client({})),
  taskQueue: createQueueSender(new SQSClient({}), 'http://queue/task'),
});

const sent = () =>
  sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) => (call.args[0].input.Entries ?? []).map((entry) => TaskMessageSchema.parse(JSON.parse(entry.MessageBody as string))));

beforeEach(() => {
  ecs.reset();
  ec2.reset();
  sqs.reset();
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('discoverTasks', () => {
  it('pages through 250 tasks and describes them 100 at a time', async () => {
    // Prepare: 250 RUNNING awsvpc tasks, listed 100 per page.
    const arns = Array.from({ length: 250 }, (_, i) => `arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/t${i}`);
    ecs.on(ListTasksCommand).callsFake((input: { nextToken?: string; maxResults?: number }) => {
      const start = input.nextToken ? Number(input.nextToken) : 0;
      const end = Math.min(start + (input.maxResults ?? 100), arns.length);
      return { taskArns: arns.slice(start, end), nextToken: end < arns.length ? String(end) : undefined };
    });
    ecs.on(DescribeTasksCommand).callsFake((input: { tasks: string[] }) => {
      if (input.tasks.length > 100) throw new Error('DescribeTasks takes at most 100 tasks');
      return {
        tasks: input.tasks.map(
          (taskArn, i): Task => ({
            taskArn,
            lastStatus: 'RUNNING',
            desiredStatus: 'RUNNING',
            attachments: [
              {
                type: 'ElasticNetworkInterface',
                details: [{ name: 'privateIPv4Address', value: `10.0.${Math.floor(i / 200)}.${i % 200}` }],
              },
            ],
            containers: [{ name: 'web' }],
          }),
        ),
      };
    });

    // Act
    const result = await discoverTasks(service({}), deps());

    // Assess
    expect(ecs.commandCalls(ListTasksCommand)).toHaveLength(3);
    expect(ecs.commandCalls(ListTasksCommand)[0]?.args[0].input).toMatchObject({
      cluster: 'FargateCluster',
      serviceName: 'web',
      desiredStatus: 'RUNNING',
    });
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(3);
    expect(ec2.calls()).toHaveLength(0);
    expect(result).toMatchObject({ tasksListed: 250, queued: 250 });
    expect(sent()).toHaveLength(250);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(25);
  });

  it('addresses awsvpc tasks by their ENI private IPv4 and skips stopping ones; no health check is fine', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: awsvpcTasks.tasks.map((t) => t.taskArn) });
    ecs.on(DescribeTasksCommand).resolves(awsvpcTasks as never);

    const result = await discoverTasks(service({}), deps());

    expect(sent()).toEqual([
      expect.objectContaining({
        taskArn: 'arn:aws:ecs:us-west-2:111122223333:task/FargateCluster/c13b4cb40f1f4fe4a2971f76ae5a47ad',
        ip: '10.0.0.139',
        port: 8080,
        uri: '/notify',
        addressing: 'awsvpc',
        payload: { action: 'reload' },
      }),
    ]);
    expect(result.skipped).toEqual([{ taskArn: expect.stringContaining('0b69d5c0'), reason: 'stopping (desiredStatus STOPPED)' }]);
    expect(ecs.commandCalls(DescribeContainerInstancesCommand)).toHaveLength(0);
  });

  it('addresses bridge tasks by the container instance IP and the bound host port, with batched lookups', async () => {
    ecs.on(ListTasksCommand).resolves({ taskArns: bridgeTasks.tasks.map((t) => t.taskArn) });
    ecs.on(DescribeTasksCommand).resolves(bridgeTasks as never);
    ecs.on(DescribeContainerInstancesCommand).resolves(containerInstances as never);
    ec2.on(DescribeInstancesCommand).resolves(instances as never);

    const result = await discoverTasks(
      service({ cluster: 'Ec2Cluster', serviceName: 'api', container: 'api', networkMode: 'bridge', uri: '/internal/notify' }),
      deps(),
    );

    expect(sent().map((m) => [m.ip, m.port, m.addressing])).toEqual([
      ['10.0.2.17', 32768, 'bridge'],
      ['10.0.3.41', 32769, 'bridge'],
    ]);
    expect(result.skipped).toEqual([{ taskArn: expect.stringContaining('7e6d5c4b'), reason: 'stopping (lastStatus STOPPING)' }]);
    // Two running tasks on two instances: one DescribeContainerInstances, one DescribeInstances.
    expect(ecs.commandCalls(DescribeContainerInstancesCommand)).toHaveLength(1);
    expect(ecs.commandCalls(DescribeContainerInstancesCommand)[0]?.args[0].input.containerInstances).toHaveLength(2);
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
    expect(ec2.commandCalls(DescribeInstancesCommand)[0]?.args[0].input.InstanceIds?.sort()).toEqual([
      'i-0a1b2c3d4e5f60718',
      'i-0f9e8d7c6b5a40312',
    ]);
  });

  it('batches container instances by 100 and makes one DescribeInstances for 150 bridge tasks on 150 hosts', async () => {
    const tasks: Task[] = Array.from({ length: 150 }, (_, i) => ({
      taskArn: `task/t${i}`,
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      containerInstanceArn: `ci/${i}`,
      containers: [{ name: 'api', networkBindings: [{ containerPort: 8080, hostPort: 30000 + i, protocol: 'tcp' }] }],
    }));
    ecs.on(ListTasksCommand).resolves({ taskArns: tasks.map((t) => t.taskArn as string) });
    ecs
      .on(DescribeTasksCommand)
      .callsFake((input: { tasks: string[] }) => ({ tasks: tasks.filter((t) => input.tasks.includes(t.taskArn as string)) }));
    ecs.on(DescribeContainerInstancesCommand).callsFake((input: { containerInstances: string[] }) => ({
      containerInstances: input.containerInstances.map((arn) => ({ containerInstanceArn: arn, ec2InstanceId: `i-${arn.slice(3)}` })),
    }));
    ec2.on(DescribeInstancesCommand).callsFake((input: { InstanceIds: string[] }) => ({
      Reservations: [
        { Instances: input.InstanceIds.map((id) => ({ InstanceId: id, PrivateIpAddress: `10.1.0.${Number(id.slice(2)) % 250}` })) },
      ],
    }));

    const result = await discoverTasks(service({ container: 'api', networkMode: 'bridge' }), deps());

    expect(result.queued).toBe(150);
    expect(ecs.commandCalls(DescribeTasksCommand)).toHaveLength(2);
    expect(ecs.commandCalls(DescribeContainerInstancesCommand)).toHaveLength(2);
    expect(ec2.commandCalls(DescribeInstancesCommand)).toHaveLength(1);
  });

  it('reports a running bridge task with no binding for the labelled port as unaddressable', async () => {
    const task: Task = {
      taskArn: 'task/x',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      containerInstanceArn: 'ci/1',
      containers: [{ name: 'api', networkBindings: [{ containerPort: 9000, hostPort: 31000 }] }],
    };
    ecs.on(ListTasksCommand).resolves({ taskArns: ['task/x'] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [task] });
    ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ containerInstanceArn: 'ci/1', ec2InstanceId: 'i-1' }] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1', PrivateIpAddress: '10.0.0.5' }] }] });

    const result = await discoverTasks(service({ container: 'api', networkMode: 'bridge' }), deps());

    expect(result.queued).toBe(0);
    expect(result.unaddressable).toEqual([{ taskArn: 'task/x', reason: 'container api has no host port bound to 8080/tcp' }]);
  });

  it('uses the container port on host networking when ECS lists no binding', async () => {
    const task: Task = {
      taskArn: 'task/h',
      lastStatus: 'RUNNING',
      desiredStatus: 'RUNNING',
      containerInstanceArn: 'ci/1',
      containers: [{ name: 'api' }],
    };
    ecs.on(ListTasksCommand).resolves({ taskArns: ['task/h'] });
    ecs.on(DescribeTasksCommand).resolves({ tasks: [task] });
    ecs.on(DescribeContainerInstancesCommand).resolves({ containerInstances: [{ containerInstanceArn: 'ci/1', ec2InstanceId: 'i-1' }] });
    ec2.on(DescribeInstancesCommand).resolves({ Reservations: [{ Instances: [{ InstanceId: 'i-1', PrivateIpAddress: '10.0.0.5' }] }] });

    await discoverTasks(service({ container: 'api', networkMode: 'host' }), deps());

    expect(sent()).toEqual([expect.objectContaining({ ip: '10.0.0.5', port: 8080, addressing: 'host' })]);
  });

  it('classifies task states: stopping and starting are skipped, health is not looked at', () => {
    expect(skipReason({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING', healthStatus: 'UNKNOWN' })).toBeUndefined();
    expect(skipReason({ lastStatus: 'RUNNING', desiredStatus: 'RUNNING', healthStatus: 'UNHEALTHY' })).toBeUndefined();
    expect(skipReason({ lastStatus: 'RUNNING', desiredStatus: 'STOPPED' })).toMatch(/stopping/);
    expect(skipReason({ lastStatus: 'DEACTIVATING', desiredStatus: 'RUNNING' })).toMatch(/stopping/);
    expect(skipReason({ lastStatus: 'PROVISIONING', desiredStatus: 'RUNNING' })).toMatch(/not running yet/);
    // EventBridge task events name the attachment `eni`, DescribeTasks `ElasticNetworkInterface`.
    expect(eniAddress({ attachments: [{ type: 'eni', details: [{ name: 'privateIPv4Address', value: '10.9.9.9' }] }] })).toBe('10.9.9.9');
  });
});
