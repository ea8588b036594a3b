import {
  DescribeServicesCommand,
  DescribeTaskDefinitionCommand,
  ECSClient,
  ListServicesCommand,
  type ContainerDefinition,
} from '@aws-sdk/client-ecs';
import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { clusterName, discoverServices, findLabelTarget } from '../../../lib/notifier/discover-services';
import { createEcsReader } from '../../../lib/notifier/adapters/ecs';
import { ClusterNotAllowedError, EcsLookupError } from '../../../lib/notifier/errors';
import { ServiceMessageSchema } from '../../../lib/notifier/model';
import { createQueueSender } from '../../../lib/notifier/adapters/queues';
import labelledDefinition from '../../events/notifier/describe-task-definition-labelled.json';

const ecs = mockClient(ECSClient);
const sqs = mockClient(SQSClient);
const CLUSTER = 'notify-cluster';
const arn = (name: string): string => `arn:aws:ecs:us-east-1:111122223333:service/${CLUSTER}/${name}`;
const labels = (port: string, uri: string): Record<string, string> => ({ NOTIFY_ME_CONTAINER_PORT: port, NOTIFY_ME_API_URI: uri });

/** A fake cluster: service i uses revision `family-(i % revisions)`; every third family is labelled. */
function fakeCluster(serviceCount: number, revisions: number): void {
  const names = Array.from({ length: serviceCount }, (_, i) => `svc-${String(i).padStart(3, '0')}`);
  ecs.on(ListServicesCommand).callsFake((input: { nextToken?: string; maxResults?: number }) => {
    const start = input.nextToken ? Number(input.nextToken) : 0;
    const end = Math.min(start + (input.maxResults ?? 10), names.length);
    return { serviceArns: names.slice(start, end).map(arn), nextToken: end < names.length ? String(end) : undefined };
  });
  ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => {
    if (input.services.length > 10) throw new Error('DescribeServices takes at most 10 services');
    return {
      services: input.services.map((serviceArn) => {
        const name = serviceArn.split('/').pop() as string;
        const index = Number(name.slice(4));
        return {
          serviceArn,
          serviceName: name,
          status: 'ACTIVE',
          taskDefinition: `arn:aws:ecs:us-east-1:111122223333:task-definition/family-${index % revisions}:1`,
        };
      }),
      failures: [],
    };
  });
  ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
    const family = Number(/family-(\d+)/.exec(input.taskDefinition)?.[1]);
    const containers: ContainerDefinition[] = [
      { name: 'app', dockerLabels: family % 3 === 0 ? labels('8080', '/notify') : { other: 'x' } },
    ];
    return { taskDefinition: { taskDefinitionArn: input.taskDefinition, networkMode: 'awsvpc', containerDefinitions: containers } };
  });
}

const deps = () => ({
  ecs: createEcsReader(new ECSClient({})),
  serviceQueue: createQueueSender(new SQSClient({}), 'http://queue/service'),
  cluster: CLUSTER,
});

const sentMessages = () =>
  sqs
    .commandCalls(SendMessageBatchCommand)
    .flatMap((call) =>
      (call.args[0].input.Entries ?? []).map((entry) => ServiceMessageSchema.parse(JSON.parse(entry.MessageBody as string))),
    );

beforeEach(() => {
  ecs.reset();
  sqs.reset();
  sqs.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [] });
});

describe('discoverServices', () => {
  it('pages through 150 services, describes them 10 at a time and each revision once', async () => {
    // Prepare: 150 services over 6 task definition revisions, families 0 and 3 labelled.
    fakeCluster(150, 6);

    // Act
    const result = await discoverServices({ eventId: 'evt-1', payload: { action: 'reload' } }, deps());

    // Assess: ⌈150/100⌉ pages, ⌈150/10⌉ describes, one DescribeTaskDefinition per revision.
    expect(ecs.commandCalls(ListServicesCommand)).toHaveLength(2);
    expect(ecs.commandCalls(ListServicesCommand).every((call) => call.args[0].input.launchType === undefined)).toBe(true);
    expect(ecs.commandCalls(DescribeServicesCommand)).toHaveLength(15);
    expect(ecs.commandCalls(DescribeTaskDefinitionCommand)).toHaveLength(6);
    expect(result.servicesDescribed).toBe(150);
    expect(result.queued).toHaveLength(50);
    const messages = sentMessages();
    expect(messages).toHaveLength(50);
    expect(sqs.commandCalls(SendMessageBatchCommand)).toHaveLength(5);
    expect(new Set(messages.map((m) => m.serviceName)).size).toBe(50);
    expect(messages[0]).toMatchObject({
      eventId: 'evt-1',
      cluster: CLUSTER,
      container: 'app',
      containerPort: 8080,
      uri: '/notify',
      networkMode: 'awsvpc',
      payload: { action: 'reload' },
    });
  });

  it('keeps only services whose container carries both labels', async () => {
    // Prepare: one service per label situation.
    const definitions: Record<string, ContainerDefinition[]> = {
      both: [{ name: 'web', dockerLabels: labels('8080', '/hooks/notify') }],
      'port-only': [{ name: 'web', dockerLabels: { NOTIFY_ME_CONTAINER_PORT: '8080' } }],
      'uri-only': [{ name: 'web', dockerLabels: { NOTIFY_ME_API_URI: '/notify' } }],
      'split-across-containers': [
        { name: 'a', dockerLabels: { NOTIFY_ME_CONTAINER_PORT: '8080' } },
        { name: 'b', dockerLabels: { NOTIFY_ME_API_URI: '/notify' } },
      ],
      none: [{ name: 'web' }],
      'bad-port': [{ name: 'web', dockerLabels: labels('http', '/notify') }],
    };
    const names = Object.keys(definitions);
    ecs.on(ListServicesCommand).resolves({ serviceArns: names.map(arn) });
    ecs.on(DescribeServicesCommand).callsFake((input: { services: string[] }) => ({
      services: input.services.map((serviceArn) => {
        const name = serviceArn.split('/').pop() as string;
        return { serviceArn, serviceName: name, status: 'ACTIVE', taskDefinition: `td/${name}:1` };
      }),
    }));
    ecs.on(DescribeTaskDefinitionCommand).callsFake((input: { taskDefinition: string }) => {
      const name = input.taskDefinition.slice(3, -2);
      return {
        taskDefinition: { taskDefinitionArn: input.taskDefinition, networkMode: 'bridge', containerDefinitions: definitions[name] },
      };
    });

    // Act
    const result = await discoverServices({ eventId: 'evt-2', payload: {} }, deps());

    // Assess
    expect(result.queued).toEqual(['both']);
    expect(sentMessages()).toEqual([
      expect.objectContaining({ serviceName: 'both', container: 'web', containerPort: 8080, uri: '/hooks/notify', networkMode: 'bridge' }),
    ]);
    expect(result.misconfigured).toEqual([{ service: 'bad-port', reason: expect.stringContaining('NOTIFY_ME_CONTAINER_PORT="http"') }]);
  });

  it('reads the labelled container from a real-shaped task definition, ignoring a half-labelled sidecar', () => {
    const target = findLabelTarget(labelledDefinition.taskDefinition.containerDefinitions as ContainerDefinition[]);
    expect(target).toEqual({ kind: 'target', container: 'api', containerPort: 8080, uri: '/internal/notify' });
  });

  it('skips services that are not ACTIVE and describes only the filtered services', async () => {
    ecs.on(DescribeServicesCommand).resolves({
      services: [
        { serviceArn: arn('a'), serviceName: 'a', status: 'ACTIVE', taskDefinition: 'td/a:1' },
        { serviceArn: arn('b'), serviceName: 'b', status: 'DRAINING', taskDefinition: 'td/a:1' },
      ],
    });
    ecs.on(DescribeTaskDefinitionCommand).resolves({
      taskDefinition: {
        taskDefinitionArn: 'td/a:1',
        networkMode: 'awsvpc',
        containerDefinitions: [{ name: 'x', dockerLabels: labels('80', '/') }],
      },
    });

    const result = await discoverServices({ eventId: 'evt-3', services: ['a', 'b'], payload: {} }, deps());

    expect(ecs.commandCalls(ListServicesCommand)).toHaveLength(0);
    expect(result.queued).toEqual(['a']);
  });

  it('fails naming a filtered service that does not exist', async () => {
    ecs.on(DescribeServicesCommand).resolves({ services: [], failures: [{ arn: arn('ghost'), reason: 'MISSING' }] });
    await expect(discoverServices({ eventId: 'evt-4', services: ['ghost'], payload: {} }, deps())).rejects.toThrow(EcsLookupError);
    await expect(discoverServices({ eventId: 'evt-4', services: ['ghost'], payload: {} }, deps())).rejects.toThrow(/ghost \(MISSING\)/);
  });

  it('refuses a cluster other than the configured one, by name or ARN', async () => {
    await expect(discoverServices({ eventId: 'evt-5', cluster: 'other', payload: {} }, deps())).rejects.toThrow(ClusterNotAllowedError);
    expect(ecs.calls()).toHaveLength(0);
    expect(clusterName(`arn:aws:ecs:us-east-1:111122223333:cluster/${CLUSTER}`)).toBe(CLUSTER);
  });
});
