/**
 * The local ECS for this stack: task definitions come from the packaged template's
 * AWS::ECS::TaskDefinition resources; local/cloud/containers.yml says, once per task
 * definition, in which folder each container's command runs.
 */
import { EventEmitter } from 'node:events';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import * as z from 'zod';
import { startLocalEcs, type LocalEcs, type LocalTaskDefinitionInput, type LogLine, type TaskStateChangeEvent } from '../emulators/ecs';
import type { StackResolver } from './intrinsics';
import { PortInUseError } from '../emulators/data-services';

const ContainersFileSchema = z.record(z.string(), z.record(z.string(), z.strictObject({ cwd: z.string(), entryPoint: z.array(z.string()).optional(), environment: z.record(z.string(), z.string()).default({}) })));

export interface StackEcs {
  endpoint: string;
  ecs: LocalEcs;
  events: EventEmitter<{ taskStateChange: [TaskStateChangeEvent]; log: [LogLine] }>;
  taskDefinitions: LocalTaskDefinitionInput[];
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
  Essential?: boolean;
  Cpu?: number;
  Memory?: number;
}

/**
 * Task definitions the local ECS can run. One without an entry in containers.yml is left out
 * (and reported through `skipped`): RunTask then answers MISSING naming it.
 */
export function taskDefinitionsFromTemplate(resolver: StackResolver, root: string, placeholders: Record<string, string>, skipped: (family: string, why: string) => void = () => undefined): LocalTaskDefinitionInput[] {
  const file = join(root, 'local', 'cloud', 'containers.yml');
  const local = ContainersFileSchema.parse(parseYaml(readFileSync(file, 'utf8')) ?? {});
  const prefix = `${resolver.context.stackName}-`;
  return resolver.resources('AWS::ECS::TaskDefinition').flatMap(([id, resource]) => {
    const p = resolver.resolve(resource.Properties ?? {}, id) as {
      Family?: string;
      Cpu?: string;
      Memory?: string;
      ContainerDefinitions?: ContainerDefinition[];
      Tags?: Array<{ Key: string; Value: string }>;
    };
    const family = p.Family ?? `${resolver.context.stackName}-${id}`;
    const logicalName = family.startsWith(prefix) ? family.slice(prefix.length) : family;
    const containers: LocalTaskDefinitionInput['containers'] = {};
    for (const c of p.ContainerDefinitions ?? []) {
      const where = local[logicalName]?.[c.Name];
      if (!where) {
        skipped(family, `container ${c.Name} has no entry in local/cloud/containers.yml (${logicalName}: { ${c.Name}: { cwd: <folder> } }): its tasks cannot run locally`);
        return [];
      }
      containers[c.Name] = {
        ...(c.Image ? { image: c.Image } : {}),
        cwd: where.cwd,
        ...(where.entryPoint ?? c.EntryPoint ? { entryPoint: where.entryPoint ?? c.EntryPoint } : {}),
        // A container without a command of its own gets it from the RunTask override.
        command: c.Command ?? ['true'],
        environment: {
          ...Object.fromEntries((c.Environment ?? []).map((e) => [e.Name, String(e.Value)])),
          ...Object.fromEntries(Object.entries(where.environment).map(([k, v]) => [k, v.replace(/\{(\w+)\}/g, (m, name: string) => placeholders[name] ?? m)])),
        },
        essential: c.Essential ?? true,
        ...(c.Cpu !== undefined ? { cpu: c.Cpu } : {}),
        ...(c.Memory !== undefined ? { memory: c.Memory } : {}),
      };
    }
    return [{
      family,
      containers,
      ...(p.Cpu ? { cpu: String(p.Cpu) } : {}),
      ...(p.Memory ? { memory: String(p.Memory) } : {}),
      ...(p.Tags ? { tags: p.Tags.map((t) => ({ key: t.Key, value: t.Value })) } : {}),
    }];
  });
}

export async function startEcsForStack(options: {
  root: string;
  resolver: StackResolver;
  port: number;
  awsEnvironment: Record<string, string>;
  warehouseDir: string;
  log: (line: string) => void;
}): Promise<StackEcs> {
  const taskDefinitions = taskDefinitionsFromTemplate(options.resolver, options.root, { warehouseDir: options.warehouseDir }, (family, why) => options.log(`local ECS: task definition ${family} left out: ${why}`));
  const server = await startLocalEcs({
    port: options.port,
    region: options.resolver.context.region,
    accountId: options.resolver.context.accountId,
    baseDir: options.root,
    awsEnvironment: options.awsEnvironment,
    // Local tasks stop quickly: nobody waits 30 s for a demo to end.
    stopTimeoutMs: 2_000,
    taskDefinitions,
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
    events,
    taskDefinitions,
    onTaskStateChange(listener) {
      server.ecs.on('taskStateChange', listener);
      return () => server.ecs.off('taskStateChange', listener);
    },
    setAwsEnvironment: (env) => server.ecs.setAwsEnvironment(env),
    injectTaskCommand: (command) => void injected.push(command),
    stop: () => server.stop(),
  };
}
