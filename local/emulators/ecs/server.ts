/**
 * The local ECS over HTTP (AWS JSON 1.1, `X-Amz-Target: AmazonEC2ContainerServiceV20141113.<Op>`),
 * so @aws-sdk/client-ecs and the AWS CLI work against it with `--endpoint-url`.
 */
import * as z from 'zod';
import { AwsApiError, startAwsJsonServer } from '../aws-json-server';
import { LocalEcs, taskToApi, UnknownTaskError, type LocalEcsOptions, type LocalTaskDefinitionInput } from './local-ecs';

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
  overrides: z
    .object({
      cpu: z.string().optional(),
      memory: z.string().optional(),
      containerOverrides: z
        .array(z.object({ name: z.string(), command: z.array(z.string()).optional(), environment: z.array(KeyValue).optional(), cpu: z.number().optional(), memory: z.number().optional() }))
        .optional(),
    })
    .optional(),
});
const DescribeTasksRequest = z.object({ cluster: z.string().optional(), tasks: z.array(z.string()).min(1).max(100) });
const StopTaskRequest = z.object({ cluster: z.string().optional(), task: z.string().min(1), reason: z.string().optional() });
const ListTasksRequest = z.object({
  cluster: z.string().optional(),
  family: z.string().optional(),
  desiredStatus: z.enum(['RUNNING', 'PENDING', 'STOPPED']).optional(),
  startedBy: z.string().optional(),
});

const parse = <T>(schema: z.ZodType<T>, input: unknown, op: string): T => {
  const result = schema.safeParse(input);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new AwsApiError('InvalidParameterException', `${op}: ${issue?.path.join('.') || 'request'}: ${issue?.message ?? 'invalid'}`);
  }
  return result.data;
};

export interface LocalEcsServerOptions extends LocalEcsOptions {
  host?: string;
  port?: number;
  /** Task definitions to register at start (more can be added with `ecs.registerTaskDefinition`). */
  taskDefinitions?: LocalTaskDefinitionInput[];
}

export interface LocalEcsServer {
  endpoint: string;
  ecs: LocalEcs;
  stop(): Promise<void>;
}

/** Starts the local ECS and its HTTP API on 127.0.0.1 (port 0: a free port). */
export async function startLocalEcs(options: LocalEcsServerOptions = {}): Promise<LocalEcsServer> {
  const ecs = new LocalEcs(options);
  for (const def of options.taskDefinitions ?? []) ecs.registerTaskDefinition(def);
  const server = await startAwsJsonServer({
    targetPrefix: 'AmazonEC2ContainerServiceV20141113',
    jsonVersion: '1.1',
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.port !== undefined ? { port: options.port } : {}),
    operations: {
      RunTask: (input) => {
        const { tasks, failures } = ecs.runTask(parse(RunTaskRequest, input, 'RunTask'));
        return { tasks: tasks.map(taskToApi), failures };
      },
      DescribeTasks: (input) => {
        const { tasks, failures } = ecs.describeTasks(parse(DescribeTasksRequest, input, 'DescribeTasks').tasks);
        return { tasks: tasks.map(taskToApi), failures };
      },
      StopTask: (input) => {
        const req = parse(StopTaskRequest, input, 'StopTask');
        try {
          return { task: taskToApi(ecs.stopTask(req.task, req.reason)) };
        } catch (error) {
          if (error instanceof UnknownTaskError) throw new AwsApiError('InvalidParameterException', error.message);
          throw error;
        }
      },
      ListTasks: (input) => ({ taskArns: ecs.listTasks(parse(ListTasksRequest, input, 'ListTasks')) }),
    },
  });
  return {
    endpoint: server.endpoint,
    ecs,
    stop: async () => {
      await ecs.stopAll();
      await server.stop();
    },
  };
}
