/**
 * The local ECS over HTTP (AWS JSON 1.1, `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>`),
 * so @aws-sdk/client-ecs and the AWS CLI work against it with `--endpoint-url`: tasks (RunTask,
 * DescribeTasks, ListTasks, StopTask), task definitions (DescribeTaskDefinition) and services
 * (CreateService, UpdateService, ListServices, DescribeServices), with the API's own limits
 * (DescribeServices ≤ 10, DescribeTasks ≤ 100, pages ≤ 100). It counts calls per operation.
 */
import * as z from 'zod';
import { AwsApiError, startAwsJsonServer, requestParser } from '../aws-json-server';
import {
  ClusterNotFoundError,
  LocalEcs,
  taskToApi,
  UnknownTaskError,
  type LocalEcsOptions,
  type LocalTaskDefinitionInput,
} from './local-ecs';
import { LocalEcsServices, ServiceError, type ServiceSchedulerOptions } from './services';

const KeyValue = z.object({ name: z.string(), value: z.string() });
const RunTaskRequest = z.object({
  cluster: z.string().optional(),
  taskDefinition: z.string().min(1),
  count: z.number().int().min(1).max(10).optional(),
  group: z.string().optional(),
  startedBy: z.string().optional(),
  launchType: z.string().optional(),
  propagateTags: z.string().optional(),
  tags: z.array(z.object({ key: z.string(), value: z.string() })).optional(),
  capacityProviderStrategy: z
    .array(z.object({ capacityProvider: z.string().min(1), weight: z.number().int().optional(), base: z.number().int().optional() }))
    .optional(),
  overrides: z
    .object({
      cpu: z.string().optional(),
      memory: z.string().optional(),
      containerOverrides: z
        .array(
          z.object({
            name: z.string(),
            command: z.array(z.string()).optional(),
            environment: z.array(KeyValue).optional(),
            cpu: z.number().optional(),
            memory: z.number().optional(),
          }),
        )
        .optional(),
    })
    .optional(),
});
const DescribeTasksRequest = z.object({ cluster: z.string().optional(), tasks: z.array(z.string()).min(1).max(100) });
const StopTaskRequest = z.object({ cluster: z.string().optional(), task: z.string().min(1), reason: z.string().optional() });
const Page = { maxResults: z.number().int().min(1).max(100).optional(), nextToken: z.string().optional() };
const ListTasksRequest = z.object({
  cluster: z.string().optional(),
  family: z.string().optional(),
  serviceName: z.string().optional(),
  desiredStatus: z.enum(['RUNNING', 'PENDING', 'STOPPED']).optional(),
  startedBy: z.string().optional(),
  ...Page,
});
const DescribeTaskDefinitionRequest = z.object({ taskDefinition: z.string().min(1) });
const ListServicesRequest = z.object({ cluster: z.string().optional(), ...Page });
const DescribeServicesRequest = z.object({ cluster: z.string().optional(), services: z.array(z.string()).min(1).max(10) });
const CreateServiceRequest = z.object({
  cluster: z.string().optional(),
  serviceName: z.string().min(1),
  taskDefinition: z.string().min(1),
  desiredCount: z.number().int().min(0).optional(),
  launchType: z.enum(['FARGATE', 'EC2', 'EXTERNAL']).optional(),
});
const UpdateServiceRequest = z.object({
  cluster: z.string().optional(),
  service: z.string().min(1),
  desiredCount: z.number().int().min(0).optional(),
  taskDefinition: z.string().optional(),
});

/** Offset pagination: nextToken is the index of the next item. */
function page<T>(
  items: T[],
  maxResults: number | undefined,
  nextToken: string | undefined,
  defaultSize: number,
): { items: T[]; nextToken?: string } {
  const start = nextToken ? Number(nextToken) : 0;
  if (!Number.isInteger(start) || start < 0 || start > items.length)
    throw new AwsApiError('InvalidParameterException', `Invalid nextToken: ${nextToken}`);
  const end = Math.min(start + (maxResults ?? defaultSize), items.length);
  return { items: items.slice(start, end), ...(end < items.length ? { nextToken: String(end) } : {}) };
}

/** Dates as epoch seconds, the JSON protocol's timestamps. */
const wire = (value: unknown): unknown => {
  if (value instanceof Date) return value.getTime() / 1000;
  if (Array.isArray(value)) return value.map(wire);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, wire(v)]));
  return value;
};

const parse = requestParser('InvalidParameterException');

export interface LocalEcsServerOptions extends LocalEcsOptions, ServiceSchedulerOptions {
  host?: string;
  port?: number;
  /** Task definitions to register at start (more can be added with `ecs.registerTaskDefinition`). */
  taskDefinitions?: LocalTaskDefinitionInput[];
}

export interface LocalEcsServer {
  endpoint: string;
  ecs: LocalEcs;
  services: LocalEcsServices;
  /** API calls per operation since start. */
  calls: Map<string, number>;
  stop(): Promise<void>;
}

/** Turns the emulator's own errors into the exceptions the ECS API answers with. */
function apiErrors<T>(work: () => T): T {
  try {
    return work();
  } catch (error) {
    if (error instanceof ClusterNotFoundError) throw new AwsApiError('ClusterNotFoundException', error.message);
    if (error instanceof ServiceError) throw new AwsApiError(error.code, error.message);
    if (error instanceof UnknownTaskError) throw new AwsApiError('InvalidParameterException', error.message);
    throw error;
  }
}

/** Starts the local ECS and its HTTP API on 127.0.0.1 (port 0: a free port). */
export async function startLocalEcs(options: LocalEcsServerOptions = {}): Promise<LocalEcsServer> {
  const ecs = new LocalEcs(options);
  const services = new LocalEcsServices(ecs, options);
  for (const def of options.taskDefinitions ?? []) ecs.registerTaskDefinition(def);
  const calls = new Map<string, number>();
  const operations: Record<string, (input: Record<string, unknown>) => unknown> = {
    RunTask: (input) => {
      const { tasks, failures } = ecs.runTask(parse(RunTaskRequest, input, 'RunTask'));
      return { tasks: tasks.map(taskToApi), failures };
    },
    DescribeTasks: (input) => {
      const req = parse(DescribeTasksRequest, input, 'DescribeTasks');
      if (req.cluster !== undefined) ecs.checkCluster(req.cluster);
      const { tasks, failures } = ecs.describeTasks(req.tasks);
      return { tasks: tasks.map(taskToApi), failures };
    },
    StopTask: (input) => {
      const req = parse(StopTaskRequest, input, 'StopTask');
      return { task: taskToApi(ecs.stopTask(req.task, req.reason)) };
    },
    ListTasks: (input) => {
      const { serviceName, maxResults, nextToken, ...filter } = parse(ListTasksRequest, input, 'ListTasks');
      let group: string | undefined;
      if (serviceName !== undefined) {
        const service = services.find(filter.cluster, serviceName);
        if (!service) throw new ServiceError('ServiceNotFoundException', `Service not found: ${serviceName}`);
        group = `service:${service.serviceName}`;
      }
      const listed = page(ecs.listTasks({ ...filter, ...(group ? { group } : {}) }), maxResults, nextToken, 100);
      return { taskArns: listed.items, ...(listed.nextToken ? { nextToken: listed.nextToken } : {}) };
    },
    DescribeTaskDefinition: (input) => {
      const { taskDefinition } = parse(DescribeTaskDefinitionRequest, input, 'DescribeTaskDefinition');
      const described = ecs.describeTaskDefinition(taskDefinition);
      if (!described) throw new AwsApiError('ClientException', `Unable to describe task definition ${taskDefinition}.`);
      return { taskDefinition: described };
    },
    ListServices: (input) => {
      const req = parse(ListServicesRequest, input, 'ListServices');
      const listed = page(services.list(req.cluster), req.maxResults, req.nextToken, 10);
      return { serviceArns: listed.items, ...(listed.nextToken ? { nextToken: listed.nextToken } : {}) };
    },
    DescribeServices: (input) => {
      const req = parse(DescribeServicesRequest, input, 'DescribeServices');
      const found = req.services.map((ref) => [ref, services.find(req.cluster, ref)] as const);
      return wire({
        services: found.flatMap(([, service]) => (service ? [services.describe(service)] : [])),
        failures: found.filter(([, service]) => !service).map(([ref]) => ({ arn: ref, reason: 'MISSING' })),
      });
    },
    CreateService: (input) => ({ service: wire(services.describe(services.create(parse(CreateServiceRequest, input, 'CreateService')))) }),
    UpdateService: (input) => ({ service: wire(services.describe(services.update(parse(UpdateServiceRequest, input, 'UpdateService')))) }),
  };
  const server = await startAwsJsonServer({
    targetPrefix: 'AmazonEC2ContainerServiceV20141113',
    jsonVersion: '1.1',
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    operations: Object.fromEntries(
      Object.entries(operations).map(([name, operation]) => [
        name,
        (input: Record<string, unknown>) => {
          calls.set(name, (calls.get(name) ?? 0) + 1);
          return apiErrors(() => operation(input));
        },
      ]),
    ),
  });
  return {
    endpoint: server.endpoint,
    ecs,
    services,
    calls,
    stop: async () => {
      services.close();
      await ecs.stopAll();
      await server.stop();
    },
  };
}
