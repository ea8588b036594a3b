/**
 * "Stop Abandoned Task": a callback shard whose state timed out (no heartbeat, or past its
 * timeout) leaves its container running, because Step Functions does not manage tasks it
 * launched with `.waitForTaskToken`. This step finds the shard's task by the run's task
 * group and shard index and stops it, so a hung container stops costing money, then hands
 * the original failure on unchanged apart from a note in its cause.
 *
 * Primary course: list RUNNING tasks of the task definition family in the cluster,
 * describe them (100 per call), stop those of this group and shard.
 */
import * as v from '../../shared/validation';
import { TASK_ENV } from '../../contracts/task-contract';
import { RunStepInputError } from './errors';

export const StopAbandonedTaskRequestSchema = v.strictObject({
  cluster: v.string().min(1),
  /** Family (or family:revision) the shard was launched with. */
  taskDefinition: v.string().min(1),
  group: v.string().min(1),
  shardIndex: v.number().int().min(0),
  /** The caught failure: returned as the shard's outcome. */
  error: v.string(),
  cause: v.string().optional(),
});
export type StopAbandonedTaskRequest = v.Infer<typeof StopAbandonedTaskRequestSchema>;

export interface RunningTask {
  taskArn: string;
  group?: string | undefined;
  environment: Array<{ name: string; value: string }>;
  /** Set once ECS decided to stop the task (Decide Shard Retry reads a Spot interruption from it). */
  stopCode?: string | undefined;
  stoppedReason?: string | undefined;
  /** Epoch ms. */
  createdAt?: number | undefined;
  containers?: Array<{ name: string; exitCode?: number | undefined; reason?: string | undefined }>;
}

/** The ECS operations the run steps need (adapter: lib/pipelines/runs/ecs-tasks.ts). */
export interface EcsTasks {
  listRunning(cluster: string, family: string): Promise<string[]>;
  /** Tasks ECS is stopping or has stopped (desired status STOPPED; ECS keeps stopped tasks listed for a while). */
  listStopped(cluster: string, family: string): Promise<string[]>;
  describe(cluster: string, taskArns: string[]): Promise<RunningTask[]>;
  stop(cluster: string, taskArn: string, reason: string): Promise<void>;
}

export interface ShardFailure {
  Error: string;
  Cause: string;
  stoppedTasks: string[];
}

const familyOf = (taskDefinition: string): string => taskDefinition.replace(/^arn:.*:task-definition\//, '').replace(/:\d+$/, '');

export async function stopAbandonedTask(request: unknown, deps: { ecs: EcsTasks }): Promise<ShardFailure> {
  const parsed = StopAbandonedTaskRequestSchema.safeParse(request);
  if (!parsed.success)
    throw new RunStepInputError(`Stop Abandoned Task: the state is invalid: ${v.prettifyError(parsed.error)}`, { cause: parsed.error });
  const { cluster, taskDefinition, group, shardIndex, error, cause } = parsed.data;

  const arns = await deps.ecs.listRunning(cluster, familyOf(taskDefinition));
  const tasks: RunningTask[] = [];
  for (let i = 0; i < arns.length; i += 100) tasks.push(...(await deps.ecs.describe(cluster, arns.slice(i, i + 100))));
  const abandoned = tasks.filter(
    (task) => task.group === group && task.environment.some((e) => e.name === TASK_ENV.SHARD_INDEX && e.value === String(shardIndex)),
  );
  for (const task of abandoned) await deps.ecs.stop(cluster, task.taskArn, `${error}: the execution stopped waiting for this task`);

  const note = abandoned.length
    ? `the shard's task was stopped (${abandoned.map((t) => t.taskArn.split('/').pop()).join(', ')})`
    : 'no running task of this shard was found to stop';
  return { Error: error, Cause: cause ? `${cause} (${note})` : note, stoppedTasks: abandoned.map((t) => t.taskArn) };
}
