/**
 * "Prepare Shard Tasks": builds each shard's RunTask launch (overrides, network, group,
 * capacity provider) from the execution input, so the state machine only passes values
 * through. Why a Lambda: JSONPath cannot merge a pipeline's own environment with the run
 * context, and the 8,192-character overrides limit must be checked before ECS rejects it.
 *
 * For callback launches the task token exists only inside the Task state (`$$.Task.Token`),
 * so the overrides come as JSON text split where the token goes; the state joins them with
 * `States.StringToJson(States.Format('{}{}{}', before, $$.Task.Token, after))`.
 *
 * Activity launches start no task: the shard's run context is the activity task's input
 * (`activityInput.environment`, the same names a launched container gets), which a worker of
 * the pipeline's service receives from GetActivityTask with its token.
 */
import * as v from '../../shared/validation';
import { ExecutionInputSchema, type ExecutionInput } from '../../contracts/messages';
import { DEFAULT_RETRY, type RunRetrySettings, type ShardAttempt } from '../../contracts/retry';
import { TASK_ENV } from '../../contracts/task-contract';
import { OverridesTooLargeError, ReservedEnvironmentError, RunStepInputError } from './errors';

/** ECS: "up to 8,192 characters of JSON formatting characters of the override structure". */
export const MAX_OVERRIDES_CHARS = 8_192;
/** Room kept for the task token, which SendTask* accepts up to 2,048 characters long. */
export const TASK_TOKEN_RESERVE_CHARS = 2_048;
/** ECS RunTask `group`: at most 255 characters. */
export const MAX_GROUP_CHARS = 255;
/** Prefix of every pipeline task's group; the stuck-callback guard's rule matches on it. */
export const TASK_GROUP_PREFIX = 'pipeline:';

/** Placeholder for the token while the JSON text is built; JSON-safe, so it appears verbatim. */
const TOKEN_MARKER = '@@TASK_TOKEN@@';

export const PrepareShardTasksRequestSchema = v.strictObject({
  input: ExecutionInputSchema,
  executionArn: v.string().min(1),
});
export type PrepareShardTasksRequest = v.Infer<typeof PrepareShardTasksRequestSchema>;

export interface TaskNetwork {
  subnets: string[];
  securityGroups: string[];
  assignPublicIp: 'ENABLED' | 'DISABLED';
}

export interface PrepareShardTasksDeps {
  runsTable: string;
  network: TaskNetwork;
}

interface EnvironmentEntry {
  Name: string;
  Value: string;
}

interface Overrides {
  ContainerOverrides: { Name: string; Command?: string[]; Environment: EnvironmentEntry[] }[];
  Cpu: string;
  Memory: string;
}

/** One Map item: everything the shard's RunTask state needs, PascalCase where ECS reads it. */
export interface ShardLaunch {
  shard: { index: number; count: number };
  launch: 'sync' | 'callback' | 'activity';
  taskDefinition: string;
  /** The Map's Choice sends EC2 launches to their own RunTask states. */
  capacity: 'fargate' | 'fargate-spot' | 'ec2';
  capacityProvider: string;
  group: string;
  networkConfiguration: { AwsvpcConfiguration: { Subnets: string[]; SecurityGroups: string[]; AssignPublicIp: string } };
  timeoutSeconds: number;
  heartbeatSeconds: number;
  /** EC2 launches: RunTask's PlacementConstraints and PlacementStrategy (Fargate takes none). */
  placementConstraints?: Array<{ Type: string; Expression?: string }>;
  placementStrategy?: Array<{ Type: string; Field?: string }>;
  /** `.sync` launches. */
  overrides?: Overrides;
  /** Callback launches: the overrides' JSON text before and after the task token. */
  overridesWithToken?: { before: string; after: string };
  /** The pipeline's container (what the failure classifier reads the exit code of). */
  container: string;
  /** This try of the shard: 1, then 2, ... as Decide Shard Retry sends it round again. */
  attempt: number;
  /** The failed tries before this one. */
  retried: ShardAttempt[];
  /** task.retry: when a failed try is tried again. */
  retry: RunRetrySettings;
  /** Activity launches: the input the worker receives (environment by name). */
  activityInput?: { environment: Record<string, string> };
}

export interface PreparedShards {
  shardRuns: ShardLaunch[];
}

const RESERVED = new Set<string>(Object.values(TASK_ENV));

/** `pipeline:<pipeline>:<executionName>`, cut to ECS's limit. */
export function taskGroup(pipeline: string, executionName: string): string {
  return `${TASK_GROUP_PREFIX}${pipeline}:${executionName}`.slice(0, MAX_GROUP_CHARS);
}

function baseEnvironment(
  input: ExecutionInput,
  executionArn: string,
  runsTable: string,
  shard: { index: number; count: number },
): EnvironmentEntry[] {
  const own = input.task.environment.map(({ name, value }) => {
    if (RESERVED.has(name)) {
      throw new ReservedEnvironmentError(
        `pipeline ${input.pipeline}: task.environment.${name} is set by the state machine (lib/contracts/task-contract.ts); rename it`,
      );
    }
    return { Name: name, Value: value };
  });
  const objects: EnvironmentEntry = input.objectsPointer
    ? { Name: TASK_ENV.OBJECTS_RUN_KEY, Value: input.objectsPointer.runKey }
    : { Name: TASK_ENV.OBJECTS, Value: JSON.stringify(input.objects) };
  return [
    ...own,
    { Name: TASK_ENV.PIPELINE, Value: input.pipeline },
    { Name: TASK_ENV.RUN_KEY, Value: input.runKey },
    { Name: TASK_ENV.BATCH_KEY, Value: input.batchKey },
    { Name: TASK_ENV.TRIGGER, Value: input.trigger },
    ...(input.scheduledTime ? [{ Name: TASK_ENV.SCHEDULED_TIME, Value: input.scheduledTime }] : []),
    { Name: TASK_ENV.EXECUTION_ARN, Value: executionArn },
    { Name: TASK_ENV.SHARD_INDEX, Value: String(shard.index) },
    { Name: TASK_ENV.SHARD_COUNT, Value: String(shard.count) },
    objects,
    ...(input.event !== undefined ? [{ Name: TASK_ENV.EVENT, Value: input.event }] : []),
    ...(input.eventPointer ? [{ Name: TASK_ENV.EVENT_RUN_KEY, Value: input.eventPointer.runKey }] : []),
    { Name: TASK_ENV.RUNS_TABLE, Value: runsTable },
    { Name: TASK_ENV.LAUNCH, Value: input.task.launch },
  ];
}

/** ECS counts the camelCase JSON it receives; the PascalCase keys here have the same length. */
function overridesLength(overrides: Overrides): number {
  return JSON.stringify(overrides).length;
}

/**
 * Builds one launch per shard of the execution input.
 * Primary course: validate the input, build each shard's environment and overrides, check
 * the size limit (with room for the token on callback launches), return the Map items.
 */
export function prepareShardTasks(request: unknown, deps: PrepareShardTasksDeps): PreparedShards {
  const parsed = PrepareShardTasksRequestSchema.safeParse(request);
  if (!parsed.success) {
    throw new RunStepInputError(`Prepare Shard Tasks: the execution input is invalid: ${v.prettifyError(parsed.error)}`, {
      cause: parsed.error,
    });
  }
  const { input, executionArn } = parsed.data;
  const { task } = input;
  if (input.shards.length === 0) throw new RunStepInputError(`Prepare Shard Tasks: run ${input.runKey} has no shards`);

  const shardRuns = input.shards.map((shard): ShardLaunch => {
    const environment = baseEnvironment(input, executionArn, deps.runsTable, shard);
    if (task.launch !== 'sync') {
      environment.push({ Name: TASK_ENV.HEARTBEAT_SECONDS, Value: String(task.heartbeatSeconds) });
    }
    // Last, so the token sits at one known place in the JSON text.
    if (task.launch === 'callback') environment.push({ Name: TASK_ENV.TASK_TOKEN, Value: TOKEN_MARKER });
    const overrides: Overrides = {
      ContainerOverrides: [{ Name: task.container, ...(task.command ? { Command: task.command } : {}), Environment: environment }],
      Cpu: String(task.cpu),
      Memory: String(task.memory),
    };
    const reserve = task.launch === 'callback' ? TASK_TOKEN_RESERVE_CHARS - TOKEN_MARKER.length : 0;
    const length = overridesLength(overrides) + reserve;
    // An activity's input is not an ECS override (Step Functions allows 256 KiB of it).
    if (task.launch !== 'activity' && length > MAX_OVERRIDES_CHARS) {
      throw new OverridesTooLargeError(
        `pipeline ${input.pipeline}, shard ${shard.index}: container overrides would be ${length} characters (limit ${MAX_OVERRIDES_CHARS}` +
          `${reserve ? `, including ${TASK_TOKEN_RESERVE_CHARS} for the task token` : ''}); ` +
          (input.objectsPointer ? 'shorten task.environment or task.command' : 'the object list should have gone through objectsPointer'),
      );
    }
    const common = {
      shard: { index: shard.index, count: shard.count },
      launch: task.launch,
      taskDefinition: task.taskDefinition,
      capacity: task.capacity,
      capacityProvider: task.capacityProvider,
      ...(task.capacity === 'ec2'
        ? {
            placementConstraints: (task.placement?.constraints ?? []).map((c) => ({
              Type: c.type,
              ...(c.expression !== undefined ? { Expression: c.expression } : {}),
            })),
            placementStrategy: (task.placement?.strategy ?? []).map((s) => ({
              Type: s.type,
              ...(s.field !== undefined ? { Field: s.field } : {}),
            })),
          }
        : {}),
      group: taskGroup(input.pipeline, input.executionName),
      networkConfiguration: {
        AwsvpcConfiguration: {
          Subnets: deps.network.subnets,
          SecurityGroups: deps.network.securityGroups,
          AssignPublicIp: deps.network.assignPublicIp,
        },
      },
      timeoutSeconds: task.timeoutSeconds,
      heartbeatSeconds: task.heartbeatSeconds,
      container: task.container,
      attempt: 1,
      retried: [],
      retry: task.retry ?? DEFAULT_RETRY,
    };
    if (task.launch === 'sync') return { ...common, overrides };
    if (task.launch === 'activity')
      return { ...common, activityInput: { environment: Object.fromEntries(environment.map((e) => [e.Name, e.Value])) } };
    const text = JSON.stringify(overrides);
    const at = text.lastIndexOf(TOKEN_MARKER);
    return { ...common, overridesWithToken: { before: text.slice(0, at), after: text.slice(at + TOKEN_MARKER.length) } };
  });
  return { shardRuns };
}

/** Parses the stack's network settings (comma-separated lists from the function environment). */
export function parseTaskNetwork(subnets: string, securityGroups: string, assignPublicIp: string): TaskNetwork {
  const list = (text: string) =>
    text
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
  const network = v
    .object({
      subnets: v.array(v.string().regex(/^subnet-/, 'subnet ids start with subnet-')).min(1, 'at least one subnet'),
      securityGroups: v.array(v.string().regex(/^sg-/, 'security group ids start with sg-')).min(1, 'at least one security group'),
      assignPublicIp: v.enum(['ENABLED', 'DISABLED']),
    })
    .safeParse({ subnets: list(subnets), securityGroups: list(securityGroups), assignPublicIp });
  if (!network.success)
    throw new RunStepInputError(`task network settings are invalid: ${v.prettifyError(network.error)}`, { cause: network.error });
  return network.data;
}
