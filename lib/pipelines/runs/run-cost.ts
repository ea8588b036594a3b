/**
 * What a run costs, estimated from what the run itself knows: each shard's ECS task (its
 * billed time, size, architecture and capacity provider) and the state transitions the
 * execution took. Fargate bills from the start of the image pull until the task stops,
 * rounded up to the second, one minute at least; Step Functions Standard bills each state
 * entered. Prices come from the dated table in lib/shared/pricing/prices.yml.
 */
import type { RegionPrices } from '../../shared/pricing/prices';

export type Capacity = 'FARGATE' | 'FARGATE_SPOT';
export type Architecture = 'X86_64' | 'ARM64';

/** One ECS task of a run, as billed. */
export interface TaskUsage {
  /** CPU units (1024 = 1 vCPU). */
  cpu: number;
  /** Memory in MiB. */
  memory: number;
  /** From the image pull (or the task's start) to its stop. */
  seconds: number;
  capacity: Capacity;
  architecture: Architecture;
  /** A failed try of a shard that was tried again (its time is billed like any other). */
  retried?: boolean;
}

export interface RunCost {
  /** Estimated total, USD. */
  usd: number;
  /** The tasks' Fargate vCPU and memory, USD. */
  tasksUsd: number;
  /** The execution's state transitions, USD. */
  transitionsUsd: number;
  transitions: number;
  /** Billed task-seconds over all shards and all their tries. */
  taskSeconds: number;
  /** Of taskSeconds, those of failed tries that were tried again (present when there were any). */
  retriedTaskSeconds?: number;
}

/** Fargate bills per second with a one-minute minimum per task. */
export const billedSeconds = (seconds: number): number => Math.max(60, Math.ceil(seconds));

/** USD per second for one task of this size on this capacity. Fargate Spot runs x86 only. */
export function fargateRatePerSecond(task: Pick<TaskUsage, 'cpu' | 'memory' | 'capacity' | 'architecture'>, prices: RegionPrices): number {
  const { usd } = prices;
  const [vcpuHour, gbHour] =
    task.capacity === 'FARGATE_SPOT'
      ? [usd.fargateSpotVcpuHourX86, usd.fargateSpotGbHourX86]
      : task.architecture === 'ARM64'
        ? [usd.fargateVcpuHourArm, usd.fargateGbHourArm]
        : [usd.fargateVcpuHourX86, usd.fargateGbHourX86];
  return ((task.cpu / 1024) * vcpuHour + (task.memory / 1024) * gbHour) / 3600;
}

export const taskCost = (task: TaskUsage, prices: RegionPrices): number => billedSeconds(task.seconds) * fargateRatePerSecond(task, prices);

export const transitionsCost = (transitions: number, prices: RegionPrices): number =>
  (transitions * prices.usd.stepFunctionsTransitionsPerThousand) / 1000;

/**
 * The states a run enters (statemachines/pipeline.asl.yml, counted by `npm run bench:transitions`):
 * 7 for the run (mark running, prepare, the Map, summarize, record, choose the outcome, end)
 * plus 3 per shard (the launch-pattern Choice, the ECS task and keeping its outcome with its
 * tries); a failed shard adds two (deciding on a retry and the Choice after it; a callback task
 * that timed out adds one: stopping it), each retry of a shard adds five (the wait, and the
 * Choice, the ECS task, the decision and its Choice of the next try), and a notification
 * (failure or anomaly) adds its notify state. Step Functions' own Retry counts are not counted.
 */
export function runTransitions(run: {
  shards: number;
  failedShards?: number;
  retries?: number;
  notified?: boolean;
  shardsRan?: boolean;
}): number {
  // A run whose setup failed skips the Map and its shards: 6 states and its notification.
  if (run.shardsRan === false) return 6 + (run.notified ? 1 : 0);
  return 7 + 3 * run.shards + 2 * (run.failedShards ?? 0) + 5 * (run.retries ?? 0) + (run.notified ? 1 : 0);
}

/**
 * The estimate: every task's Fargate time, the failed tries' that were tried again included
 * (each try is a task of its own, billed with its own one-minute minimum), plus the
 * execution's transitions.
 */
export function estimateRunCost(run: { tasks: TaskUsage[]; transitions: number }, prices: RegionPrices): RunCost {
  const tasksUsd = run.tasks.reduce((sum, task) => sum + taskCost(task, prices), 0);
  const transitionsUsd = transitionsCost(run.transitions, prices);
  const seconds = (tasks: TaskUsage[]) => tasks.reduce((sum, task) => sum + billedSeconds(task.seconds), 0);
  const retried = run.tasks.filter((task) => task.retried);
  return {
    usd: tasksUsd + transitionsUsd,
    tasksUsd,
    transitionsUsd,
    transitions: run.transitions,
    taskSeconds: seconds(run.tasks),
    ...(retried.length ? { retriedTaskSeconds: seconds(retried) } : {}),
  };
}
