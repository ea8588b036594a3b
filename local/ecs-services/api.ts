/**
 * The ECS operations the notifier calls, answered from a LocalEcsRegistry with the API's
 * own shapes and limits (DescribeServices ≤ 10, DescribeTasks ≤ 100, pages ≤ 100).
 * `ecsServicesRoute` is mountable by any local ECS server: it returns undefined for the
 * operations it does not serve (RunTask and friends stay with local/ecs).
 */
import type { LocalEcsRegistry, LocalTask } from './registry';

export const ECS_TARGET_PREFIX = 'AmazonEC2ContainerServiceV20141113.';
export const SERVED_OPERATIONS = ['ListServices', 'DescribeServices', 'DescribeTaskDefinition', 'ListTasks', 'DescribeTasks'] as const;

export class LocalEcsError extends Error {
  override readonly name = 'LocalEcsError';
  constructor(
    readonly type: 'ClientException' | 'InvalidParameterException' | 'ClusterNotFoundException' | 'ServiceNotFoundException',
    message: string,
  ) {
    super(message);
  }
}

type Input = Record<string, unknown>;

const str = (input: Input, name: string): string | undefined => (typeof input[name] === 'string' ? (input[name] as string) : undefined);
const list = (input: Input, name: string): string[] => (Array.isArray(input[name]) ? (input[name] as unknown[]).map(String) : []);

function page<T>(items: T[], input: Input, defaultSize: number): { items: T[]; nextToken?: string } {
  const size = typeof input.maxResults === 'number' ? input.maxResults : defaultSize;
  if (size < 1 || size > 100) throw new LocalEcsError('InvalidParameterException', 'maxResults must be between 1 and 100');
  const start = input.nextToken ? Number(input.nextToken) : 0;
  const end = Math.min(start + size, items.length);
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: String(end) } : {}) };
}

function describeTask(registry: LocalEcsRegistry, task: LocalTask): Record<string, unknown> {
  const service = registry.services.get(task.service);
  const definition = service?.taskDefinition;
  const attachmentId = `eni-attach-${task.arn.split('/').pop()}`;
  return {
    taskArn: task.arn,
    clusterArn: registry.clusterArn,
    taskDefinitionArn: task.taskDefinitionArn,
    group: `service:${task.service}`,
    launchType: 'FARGATE',
    lastStatus: task.lastStatus,
    desiredStatus: task.desiredStatus,
    healthStatus: 'UNKNOWN',
    ...(task.startedAt ? { startedAt: task.startedAt } : {}),
    ...(task.stoppedAt ? { stoppedAt: task.stoppedAt, stoppedReason: task.stoppedReason } : {}),
    attachments: [
      {
        id: attachmentId,
        type: 'ElasticNetworkInterface',
        status: task.lastStatus === 'STOPPED' ? 'DELETED' : 'ATTACHED',
        details: [
          { name: 'subnetId', value: 'subnet-local' },
          { name: 'networkInterfaceId', value: `eni-${task.arn.split('/').pop()}` },
          { name: 'privateIPv4Address', value: task.ip },
        ],
      },
    ],
    containers: (definition?.containers ?? []).map((c) => ({
      name: c.name,
      image: c.image ?? 'local',
      taskArn: task.arn,
      lastStatus: task.lastStatus === 'STOPPED' ? 'STOPPED' : task.lastStatus === 'RUNNING' ? 'RUNNING' : 'PENDING',
      ...(task.exitCode === undefined ? {} : { exitCode: task.exitCode }),
      networkBindings: [],
      networkInterfaces: [{ attachmentId, privateIpv4Address: task.ip }],
    })),
  };
}

/** Answers one ECS operation, or returns undefined if it is not one of SERVED_OPERATIONS. */
export function ecsServicesRoute(registry: LocalEcsRegistry): (operation: string, input: Input) => Record<string, unknown> | undefined {
  const checkCluster = (input: Input): void => {
    const cluster = str(input, 'cluster') ?? 'default';
    if (cluster !== registry.cluster && cluster !== registry.clusterArn) throw new LocalEcsError('ClusterNotFoundException', `Cluster not found: ${cluster}`);
  };
  return (operation, input) => {
    switch (operation) {
      case 'ListServices': {
        checkCluster(input);
        const { items, nextToken } = page([...registry.services.values()].map((s) => s.arn), input, 10);
        return { serviceArns: items, ...(nextToken ? { nextToken } : {}) };
      }
      case 'DescribeServices': {
        checkCluster(input);
        const names = list(input, 'services');
        if (names.length === 0 || names.length > 10) throw new LocalEcsError('InvalidParameterException', 'services must name 1 to 10 services');
        const services: unknown[] = [];
        const failures: unknown[] = [];
        for (const name of names) {
          const service = registry.findService(name);
          if (!service) {
            failures.push({ arn: name, reason: 'MISSING' });
            continue;
          }
          const tasks = registry.tasksOf(service.name);
          services.push({
            serviceArn: service.arn,
            serviceName: service.name,
            clusterArn: registry.clusterArn,
            status: 'ACTIVE',
            desiredCount: service.desiredCount,
            runningCount: tasks.filter((t) => t.lastStatus === 'RUNNING').length,
            pendingCount: tasks.filter((t) => t.lastStatus === 'PENDING' || t.lastStatus === 'PROVISIONING').length,
            launchType: 'FARGATE',
            taskDefinition: service.taskDefinition.arn,
            createdAt: service.createdAt,
          });
        }
        return { services, failures };
      }
      case 'DescribeTaskDefinition': {
        const reference = str(input, 'taskDefinition') ?? '';
        const definition = registry.findTaskDefinition(reference);
        if (!definition) throw new LocalEcsError('ClientException', `Unable to describe task definition ${reference}.`);
        return {
          taskDefinition: {
            taskDefinitionArn: definition.arn,
            family: definition.family,
            revision: definition.revision,
            networkMode: definition.networkMode,
            status: 'ACTIVE',
            requiresCompatibilities: ['FARGATE'],
            containerDefinitions: definition.containers.map((c) => ({ name: c.name, image: c.image ?? 'local', essential: true, dockerLabels: c.dockerLabels ?? {}, portMappings: c.portMappings ?? [] })),
          },
        };
      }
      case 'ListTasks': {
        checkCluster(input);
        const serviceName = str(input, 'serviceName');
        const desired = str(input, 'desiredStatus') ?? 'RUNNING';
        if (serviceName && !registry.findService(serviceName)) throw new LocalEcsError('ServiceNotFoundException', `Service not found: ${serviceName}`);
        const tasks = [...registry.tasks.values()].filter((t) => (!serviceName || t.service === registry.findService(serviceName)?.name) && t.desiredStatus === desired);
        const { items, nextToken } = page(tasks.map((t) => t.arn), input, 100);
        return { taskArns: items, ...(nextToken ? { nextToken } : {}) };
      }
      case 'DescribeTasks': {
        checkCluster(input);
        const arns = list(input, 'tasks');
        if (arns.length === 0 || arns.length > 100) throw new LocalEcsError('InvalidParameterException', 'tasks must name 1 to 100 tasks');
        const tasks: unknown[] = [];
        const failures: unknown[] = [];
        for (const arn of arns) {
          const task = registry.findTask(arn);
          if (task) tasks.push(describeTask(registry, task));
          else failures.push({ arn, reason: 'MISSING' });
        }
        return { tasks, failures };
      }
      default:
        return undefined;
    }
  };
}
