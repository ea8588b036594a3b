/**
 * The local ECS for this stack: its clusters, task definitions and services come from the
 * packaged template (AWS::ECS::Cluster, ::TaskDefinition, ::Service). How a container runs on
 * this machine (its folder, command and local environment) comes, for a pipeline's task
 * definition, from the registry (local/cloud/pipeline-containers.ts), and for any other (a
 * queue service's) from local/cloud/containers.yml. Containers' secrets come from the local
 * secrets file or the environment (local/cloud/secrets.ts). A service starts with its
 * DesiredCount (default 1), kept within its scalable target's capacity, as a deployment would
 * leave it.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import {
  startLocalEcs,
  type LocalEcs,
  type LocalEcsOptions,
  type LocalEcsServices,
  type LocalTaskDefinitionInput,
  type LogLine,
  type NetworkMode,
  type TaskStateChangeEvent,
} from '../emulators/ecs';
import type { StackResolver } from './intrinsics';
import type { PipelineContainer } from './pipeline-containers';
import { PortInUseError } from '../emulators/data-services';

export const CONTAINERS_FILE = join('local', 'cloud', 'containers.yml');

const ContainersFileSchema = z.record(
  z.string(),
  z.record(
    z.string(),
    z.strictObject({
      cwd: z.string(),
      entryPoint: z.array(z.string()).optional(),
      environment: z.record(z.string(), z.string()).default({}),
    }),
  ),
);

export interface StackEcs {
  endpoint: string;
  ecs: LocalEcs;
  services: LocalEcsServices;
  /** API calls per operation (what a test or benchmark counts). */
  calls: Map<string, number>;
  events: EventEmitter<{ taskStateChange: [TaskStateChangeEvent]; log: [LogLine] }>;
  taskDefinitions: LocalTaskDefinitionInput[];
  /** The template's services: logical id → service name. */
  stackServices: Record<string, string>;
  onTaskStateChange(listener: (event: TaskStateChangeEvent) => void): () => void;
  setAwsEnvironment(env: Record<string, string>): void;
  /** The next RunTask runs this command instead of the container's (fault drills and tests). */
  injectTaskCommand(command: string[]): void;
  stop(): Promise<void>;
}

interface ContainerDefinition {
  Name: string;
  Image?: string;
  Command?: string[];
  EntryPoint?: string[];
  Environment?: Array<{ Name: string; Value: string }>;
  Secrets?: Array<{ Name: string; ValueFrom: string }>;
  Essential?: boolean;
  Cpu?: number;
  Memory?: number;
  DockerLabels?: Record<string, string>;
  PortMappings?: Array<{ ContainerPort: number; HostPort?: number; Protocol?: 'tcp' | 'udp' }>;
}

/**
 * Task definitions the local ECS runs. A pipeline's (its name, the family without
 * `<service>-<stage>-`, is a task definition of the registry) runs as `pipelines` says; any
 * other container needs an entry in containers.yml, keyed by that name or, for a task
 * definition without a family, its logical id. One without is left out and reported through
 * `skipped`: RunTask then answers MISSING naming it, and its services are not created.
 */
export function taskDefinitionsFromTemplate(
  resolver: StackResolver,
  root: string,
  placeholders: Record<string, string>,
  skipped: (family: string, why: string) => void = () => undefined,
  pipelines: Map<string, PipelineContainer> = new Map(),
): LocalTaskDefinitionInput[] {
  const local = ContainersFileSchema.parse(parseYaml(readFileSync(join(root, CONTAINERS_FILE), 'utf8')) ?? {});
  const prefix = `${resolver.context.stackName}-`;
  return resolver.resources('AWS::ECS::TaskDefinition').flatMap(([id, resource]) => {
    const p = resolver.resolve(resource.Properties ?? {}, id) as {
      Family?: string;
      Cpu?: string;
      Memory?: string;
      NetworkMode?: NetworkMode;
      ContainerDefinitions?: ContainerDefinition[];
      Tags?: Array<{ Key: string; Value: string }>;
    };
    const family = p.Family ?? `${resolver.context.stackName}-${id}`;
    const name = p.Family?.startsWith(prefix) ? p.Family.slice(prefix.length) : id;
    const containers: LocalTaskDefinitionInput['containers'] = {};
    for (const c of p.ContainerDefinitions ?? []) {
      const pipeline = pipelines.get(name);
      const where = pipeline && pipeline.container === c.Name ? pipeline : local[name]?.[c.Name];
      // A pipeline's image command (its Dockerfile's CMD) when the definition has none.
      const command = c.Command ?? (where === pipeline ? pipeline?.command : undefined);
      if (!where) {
        skipped(
          family,
          `container ${c.Name} has no entry in ${CONTAINERS_FILE} (${name}: { ${c.Name}: { cwd: <folder> } }): its tasks cannot run locally`,
        );
        return [];
      }
      containers[c.Name] = {
        ...(c.Image ? { image: c.Image } : {}),
        cwd: where.cwd,
        ...((where.entryPoint ?? c.EntryPoint) ? { entryPoint: where.entryPoint ?? c.EntryPoint } : {}),
        // A container without a command of its own gets it from the RunTask override.
        ...(command ? { command } : {}),
        ...(c.Secrets?.length ? { secrets: c.Secrets.map((s) => ({ name: s.Name, valueFrom: s.ValueFrom })) } : {}),
        environment: {
          ...Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, String(e.Value)])),
          ...Object.fromEntries(
            Object.entries(where.environment).map(([k, v]) => [k, v.replace(/\{(\w+)\}/g, (m, key: string) => placeholders[key] ?? m)]),
          ),
        },
        essential: c.Essential ?? true,
        ...(c.Cpu !== undefined ? { cpu: c.Cpu } : {}),
        ...(c.Memory !== undefined ? { memory: c.Memory } : {}),
        ...(c.DockerLabels ? { dockerLabels: c.DockerLabels } : {}),
        ...(c.PortMappings
          ? {
              portMappings: c.PortMappings.map((m) => ({
                containerPort: m.ContainerPort,
                ...(m.HostPort !== undefined ? { hostPort: m.HostPort } : {}),
                ...(m.Protocol ? { protocol: m.Protocol } : {}),
              })),
            }
          : {}),
      };
    }
    return [
      {
        family,
        containers,
        ...(p.NetworkMode ? { networkMode: p.NetworkMode } : {}),
        ...(p.Cpu ? { cpu: String(p.Cpu) } : {}),
        ...(p.Memory ? { memory: String(p.Memory) } : {}),
        ...(p.Tags ? { tags: p.Tags.map((t) => ({ key: t.Key, value: t.Value })) } : {}),
      },
    ];
  });
}

interface ServiceSpec {
  logicalId: string;
  cluster: string;
  serviceName: string;
  taskDefinition: string;
  desiredCount: number;
  launchType?: 'FARGATE' | 'EC2' | 'EXTERNAL';
}

/** The template's ECS services, with the count a deployment starts them at. */
export function servicesFromTemplate(resolver: StackResolver): ServiceSpec[] {
  const capacity = new Map<string, { min?: number; max?: number }>();
  for (const [id, resource] of resolver.resources('AWS::ApplicationAutoScaling::ScalableTarget')) {
    const p = resolver.resolve(resource.Properties ?? {}, id) as {
      ServiceNamespace?: string;
      ResourceId?: string;
      MinCapacity?: number;
      MaxCapacity?: number;
    };
    if (p.ServiceNamespace === 'ecs' && p.ResourceId) capacity.set(p.ResourceId, { min: p.MinCapacity, max: p.MaxCapacity });
  }
  return resolver.resources('AWS::ECS::Service').map(([id, resource]) => {
    const p = resolver.resolve(resource.Properties ?? {}, id) as {
      Cluster?: string;
      TaskDefinition: string;
      DesiredCount?: number;
      LaunchType?: ServiceSpec['launchType'];
    };
    const serviceName = resolver.physicalOf(id).attributes.Name!;
    const cluster = (p.Cluster ?? 'default').split('/').at(-1)!;
    const bounds = capacity.get(`service/${cluster}/${serviceName}`) ?? {};
    const desiredCount = Math.min(bounds.max ?? Infinity, Math.max(bounds.min ?? 0, p.DesiredCount ?? 1));
    return {
      logicalId: id,
      cluster,
      serviceName,
      taskDefinition: p.TaskDefinition,
      desiredCount,
      ...(p.LaunchType ? { launchType: p.LaunchType } : {}),
    };
  });
}

export async function startEcsForStack(options: {
  root: string;
  resolver: StackResolver;
  port: number;
  awsEnvironment: Record<string, string>;
  warehouseDir: string;
  /** How the pipelines' containers run (pipelineContainers of the registry the stack came from). */
  pipelines: Map<string, PipelineContainer>;
  secrets: NonNullable<LocalEcsOptions['secrets']>;
  log: (line: string) => void;
}): Promise<StackEcs> {
  const { resolver } = options;
  const taskDefinitions = taskDefinitionsFromTemplate(
    resolver,
    options.root,
    { warehouseDir: options.warehouseDir },
    (family, why) => options.log(`local ECS: task definition ${family} left out: ${why}`),
    options.pipelines,
  );
  const clusters = resolver.resources('AWS::ECS::Cluster').map(([id]) => resolver.physicalOf(id).ref);
  const server = await startLocalEcs({
    port: options.port,
    region: resolver.context.region,
    accountId: resolver.context.accountId,
    baseDir: options.root,
    awsEnvironment: options.awsEnvironment,
    // Local tasks stop quickly: nobody waits 30 s for a demo to end.
    stopTimeoutMs: 2_000,
    clusters: [...clusters, 'default'],
    taskDefinitions,
    secrets: options.secrets,
  }).catch((error: NodeJS.ErrnoException) => {
    throw error.code === 'EADDRINUSE' ? new PortInUseError('ecs', options.port, { cause: error }) : error;
  });
  const events = new EventEmitter<{ taskStateChange: [TaskStateChangeEvent]; log: [LogLine] }>();
  // Fault drills replace the command of the next task; everything else (token, env) stays real.
  const injected: string[][] = [];
  const runTask = server.ecs.runTask.bind(server.ecs);
  server.ecs.runTask = (input) => {
    const command = injected.shift();
    if (!command) return runTask(input);
    const containers = input.overrides?.containerOverrides ?? [];
    return runTask({ ...input, overrides: { ...input.overrides, containerOverrides: containers.map((c) => ({ ...c, command })) } });
  };
  server.ecs.on('taskStateChange', (event) => events.emit('taskStateChange', event));
  server.ecs.on('log', (line) => events.emit('log', line));
  return {
    endpoint: server.endpoint,
    ecs: server.ecs,
    services: server.services,
    calls: server.calls,
    events,
    taskDefinitions,
    stackServices: Object.fromEntries(servicesFromTemplate(resolver).map((s) => [s.logicalId, s.serviceName])),
    onTaskStateChange(listener) {
      server.ecs.on('taskStateChange', listener);
      return () => server.ecs.off('taskStateChange', listener);
    },
    setAwsEnvironment: (env) => server.ecs.setAwsEnvironment(env),
    injectTaskCommand: (command) => void injected.push(command),
    stop: () => server.stop(),
  };
}

/**
 * Creates the template's services (`run` false: at desired count 0). Called once the cloud's
 * endpoints are known, so their tasks start with the environment that reaches every service.
 */
export function startStackServices(ecs: StackEcs, resolver: StackResolver, run: boolean, log: (line: string) => void): void {
  for (const spec of servicesFromTemplate(resolver)) {
    if (!ecs.ecs.findTaskDefinition(spec.taskDefinition)) {
      log(
        `local ECS: service ${spec.serviceName} left out: its task definition ${spec.taskDefinition.split('/').at(-1)} cannot run locally`,
      );
      continue;
    }
    ecs.services.create({
      cluster: spec.cluster,
      serviceName: spec.serviceName,
      taskDefinition: spec.taskDefinition,
      desiredCount: run ? spec.desiredCount : 0,
      ...(spec.launchType ? { launchType: spec.launchType } : {}),
    });
  }
}
