/**
 * The logs of one run, locally: every line its containers wrote (kept per task by the local
 * ECS, and in .local-cloud/logs/tasks/<task id>.log) and the function log lines that carry its
 * run key or one of its execution ARNs (Powertools' correlation keys). What CloudWatch Logs
 * Insights would find on AWS with a query on `runKey`; the console and `npm run logs` read it.
 */
import { createWriteStream, mkdirSync, type WriteStream } from 'node:fs';
import { join } from 'node:path';
import { TASK_ENV } from '../../lib/contracts/task-contract';
import type { LocalTask, LogLine } from '../emulators/ecs';
import type { StackEcs } from './stack-ecs';
import type { FunctionLogLine, FunctionRuntime } from './wiring/functions';

export interface RunLogLine {
  at: string;
  /** `task <id> (shard 1 of 2)` or `function <logical id>`. */
  source: string;
  taskArn?: string;
  shard?: number;
  stream: 'stdout' | 'stderr';
  line: string;
}

export interface RunLogs {
  /** Container and function lines of a run, in time order. */
  ofRun(runKey: string, executionArns?: string[]): RunLogLine[];
  /** The lines of one task. */
  ofTask(taskArn: string): RunLogLine[];
  /** The pipeline tasks of a run (their run key is in the container overrides). */
  tasksOfRun(runKey: string): LocalTask[];
  stop(): Promise<void>;
}

const envOf = (task: LocalTask) =>
  new Map(task.overrides.containerOverrides.flatMap((o) => o.environment ?? []).map((kv) => [kv.name, kv.value] as const));

function taskLines(task: LocalTask): RunLogLine[] {
  const env = envOf(task);
  const shard = env.has(TASK_ENV.SHARD_INDEX) ? Number(env.get(TASK_ENV.SHARD_INDEX)) : undefined;
  const id = task.taskArn.split('/').at(-1)!;
  const source = `task ${id}${shard !== undefined ? ` (shard ${shard + 1} of ${env.get(TASK_ENV.SHARD_COUNT)})` : ''}`;
  return task.logs.map((l: LogLine) => ({
    at: l.timestamp.toISOString(),
    source,
    taskArn: task.taskArn,
    ...(shard !== undefined ? { shard } : {}),
    stream: l.stream,
    line: l.line,
  }));
}

/** Keeps function lines (the newest `keep`) and writes each task's output to its own file. */
export function collectRunLogs(options: { ecs: StackEcs; functions: FunctionRuntime; logDir: string; keep?: number }): RunLogs {
  const keep = options.keep ?? 50_000;
  const functionLines: Array<FunctionLogLine & { keys: string[] }> = [];
  const onFunctionLine = (line: FunctionLogLine) => {
    if (!line.line.startsWith('{')) return;
    let keys: string[] = [];
    try {
      const entry = JSON.parse(line.line) as Record<string, unknown>;
      keys = [entry.runKey, entry.executionArn, entry.execution].filter((v): v is string => typeof v === 'string');
      // Some lines carry the run inside an object they log (`outcome`, `request`, `keys`).
      for (const value of Object.values(entry)) {
        if (value && typeof value === 'object' && !Array.isArray(value)) {
          const nested = value as Record<string, unknown>;
          for (const k of ['runKey', 'executionArn']) if (typeof nested[k] === 'string') keys.push(nested[k]);
        }
      }
    } catch {
      return;
    }
    if (keys.length === 0) return;
    functionLines.push({ ...line, keys });
    if (functionLines.length > keep) functionLines.splice(0, functionLines.length - keep);
  };
  options.functions.events.on('log', onFunctionLine);

  const taskDir = join(options.logDir, 'tasks');
  mkdirSync(taskDir, { recursive: true });
  const files = new Map<string, WriteStream>();
  const onTaskLine = (line: LogLine) => {
    let file = files.get(line.taskArn);
    if (!file) {
      file = createWriteStream(join(taskDir, `${line.taskArn.split('/').at(-1)}.log`), { flags: 'a' });
      file.on('error', () => undefined);
      files.set(line.taskArn, file);
    }
    file.write(`${line.timestamp.toISOString()} ${line.container} ${line.stream}: ${line.line}\n`);
  };
  options.ecs.events.on('log', onTaskLine);
  const onState = (event: { detail: Record<string, unknown> }) => {
    if (event.detail.lastStatus !== 'STOPPED') return;
    const arn = String(event.detail.taskArn);
    files.get(arn)?.end();
    files.delete(arn);
  };
  options.ecs.events.on('taskStateChange', onState);

  const tasksOfRun = (runKey: string) =>
    options.ecs.ecs
      .listTasks({ desiredStatus: 'STOPPED' })
      .concat(options.ecs.ecs.listTasks({ desiredStatus: 'RUNNING' }))
      .map((arn) => options.ecs.ecs.getTask(arn)!)
      .filter((task) => task && envOf(task).get(TASK_ENV.RUN_KEY) === runKey)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());

  return {
    tasksOfRun,
    ofTask: (taskArn) => {
      const task = options.ecs.ecs.getTask(taskArn);
      return task ? taskLines(task) : [];
    },
    ofRun(runKey, executionArns = []) {
      const wanted = new Set([runKey, ...executionArns]);
      const fromFunctions: RunLogLine[] = functionLines
        .filter((l) => l.keys.some((k) => wanted.has(k)))
        .map((l) => ({ at: l.at.toISOString(), source: `function ${l.function}`, stream: l.stream, line: l.line }));
      const fromTasks = tasksOfRun(runKey).flatMap(taskLines);
      return [...fromFunctions, ...fromTasks].sort((a, b) => a.at.localeCompare(b.at));
    },
    async stop() {
      options.functions.events.off('log', onFunctionLine);
      options.ecs.events.off('log', onTaskLine);
      options.ecs.events.off('taskStateChange', onState);
      await Promise.all([...files.values()].map((f) => new Promise((resolve) => f.end(resolve))));
    },
  };
}
