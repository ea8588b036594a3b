/**
 * Runs a local service's tasks as long-running child processes: `desiredCount` children,
 * each on its own loopback address (127.0.0.N, standing in for an awsvpc ENI) listening
 * on the container port. A task is RUNNING once its port accepts connections and STOPPED
 * when its process exits (no replacement: the demo wants to see what happened).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { connect } from 'node:net';
import { createInterface } from 'node:readline';
import type { LocalContainerDefinition, LocalEcsRegistry, LocalTask } from './registry';

export interface ServiceProcessSpec {
  name: string;
  desiredCount: number;
  container: LocalContainerDefinition & { port: number };
  /** argv: the executable first. */
  command: string[];
  /** Extra environment per task (index 0..desiredCount-1), e.g. a demo fault. */
  env?: (taskIndex: number) => Record<string, string>;
}

export interface RunningService {
  tasks: LocalTask[];
  stop(): Promise<void>;
}

/** Hands out 127.0.0.10, 127.0.0.11, ... (Linux routes all of 127.0.0.0/8 to loopback). */
export function loopbackAllocator(first = 10): () => string {
  let next = first;
  return () => {
    const n = next;
    next += 1;
    return `127.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
  };
}

async function waitForPort(host: string, port: number, timeoutMs: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`task process exited with ${child.exitCode} before listening on ${host}:${port}`);
    const open = await new Promise<boolean>((resolve) => {
      const socket = connect({ host, port }, () => {
        socket.destroy();
        resolve(true);
      });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`task did not listen on ${host}:${port} within ${timeoutMs} ms`);
}

export async function startServiceProcesses(
  registry: LocalEcsRegistry,
  spec: ServiceProcessSpec,
  options: { nextIp: () => string; onLine?: (task: LocalTask, line: string) => void; readyTimeoutMs?: number; cwd?: string },
): Promise<RunningService> {
  const definition = registry.registerTaskDefinition(spec.name, 'awsvpc', [
    { name: spec.container.name, image: spec.container.image ?? 'local', dockerLabels: spec.container.dockerLabels ?? {}, portMappings: [{ containerPort: spec.container.port, protocol: 'tcp' }] },
  ]);
  registry.addService(spec.name, definition, spec.desiredCount);
  const children: ChildProcess[] = [];
  const tasks: LocalTask[] = [];
  for (let index = 0; index < spec.desiredCount; index += 1) {
    const ip = options.nextIp();
    const task = registry.addTask(spec.name, ip);
    const [executable, ...args] = spec.command;
    const child = spawn(executable as string, args, {
      cwd: options.cwd,
      env: { ...process.env, NOTIFY_HOST: ip, NOTIFY_PORT: String(spec.container.port), ECS_TASK_ARN: task.arn, ECS_SERVICE: spec.name, ...spec.env?.(index) },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    children.push(child);
    tasks.push(task);
    const forward = (stream: NodeJS.ReadableStream | null): void => {
      if (stream) createInterface({ input: stream }).on('line', (line) => options.onLine?.(task, line));
    };
    forward(child.stdout);
    forward(child.stderr);
    child.on('exit', (code, signal) => {
      task.lastStatus = 'STOPPED';
      task.desiredStatus = 'STOPPED';
      task.stoppedAt = Date.now() / 1000;
      task.stoppedReason = signal ? `Task stopped by user (${signal})` : 'Essential container in task exited';
      if (code !== null) task.exitCode = code;
    });
    task.lastStatus = 'PENDING';
  }
  await Promise.all(
    tasks.map(async (task, index) => {
      await waitForPort(task.ip, spec.container.port, options.readyTimeoutMs ?? 20_000, children[index] as ChildProcess);
      task.lastStatus = 'RUNNING';
      task.startedAt = Date.now() / 1000;
    }),
  );
  return {
    tasks,
    async stop() {
      await Promise.all(
        children.map(
          (child, index) =>
            new Promise<void>((resolve) => {
              const task = tasks[index] as LocalTask;
              if (child.exitCode !== null || child.signalCode !== null) return resolve();
              task.desiredStatus = 'STOPPED';
              task.lastStatus = 'STOPPING';
              const kill = setTimeout(() => child.kill('SIGKILL'), 3_000);
              child.once('exit', () => {
                clearTimeout(kill);
                resolve();
              });
              child.kill('SIGTERM');
            }),
        ),
      );
    },
  };
}
