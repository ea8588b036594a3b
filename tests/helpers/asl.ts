/**
 * Runs statemachines/pipeline.asl.yml in aws-local-stepfunctions: loads the YAML with its
 * CloudFormation intrinsics resolved to test values, adapts the two places the emulator
 * differs from Step Functions, and collects the event log to assert which states ran.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { ExecutionError, StateMachine, type RunOptions, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { parse, type Tags } from 'yaml';

export const ASL_PATH = path.join(__dirname, '../../statemachines/pipeline.asl.yml');

/** What `!Ref X` / `!GetAtt X.Attr` resolve to in tests. */
export const STACK_VALUES: Record<string, string> = {
  RunsTable: 'runs-test',
  OperatorsTopic: 'arn:aws:sns:us-east-1:123456789012:ecs-pipelines-test-operators',
  'PipelineCluster.Arn': 'arn:aws:ecs:us-east-1:123456789012:cluster/ecs-pipelines-test',
  'PrepareShardTasksLambdaFunction.Arn': 'arn:aws:lambda:us-east-1:123456789012:function:ecs-pipelines-test-prepareShardTasks',
  'SummarizeRunLambdaFunction.Arn': 'arn:aws:lambda:us-east-1:123456789012:function:ecs-pipelines-test-summarizeRun',
  'StopAbandonedTaskLambdaFunction.Arn': 'arn:aws:lambda:us-east-1:123456789012:function:ecs-pipelines-test-stopAbandonedTask',
  'DecideShardRetryLambdaFunction.Arn': 'arn:aws:lambda:us-east-1:123456789012:function:ecs-pipelines-test-decideShardRetry',
};

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const cfnTags = (values: Record<string, string>): Tags => [
  {
    tag: '!Ref',
    resolve: (name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`ASL: !Ref ${name} has no test value (tests/helpers/asl.ts STACK_VALUES)`);
      return value;
    },
  },
  {
    tag: '!GetAtt',
    resolve: (name: string) => {
      const value = values[name];
      if (value === undefined) throw new Error(`ASL: !GetAtt ${name} has no test value (tests/helpers/asl.ts STACK_VALUES)`);
      return value;
    },
  },
];

/** The definition exactly as written, intrinsics replaced by test values. */
export function loadDefinition(file = ASL_PATH, values = STACK_VALUES): StateMachineDefinition {
  return parse(readFileSync(file, 'utf8'), { customTags: cfnTags(values) }) as StateMachineDefinition;
}

/** The definition with intrinsics kept as `{Ref}` / `{Fn::GetAtt}` objects, as the plugin sees it. */
export function loadRawDefinition(file = ASL_PATH): Record<string, unknown> {
  return parse(readFileSync(file, 'utf8'), {
    customTags: [
      { tag: '!Ref', resolve: (name: string) => ({ Ref: name }) },
      { tag: '!GetAtt', resolve: (name: string) => ({ 'Fn::GetAtt': name.split('.') }) },
    ],
  }) as Record<string, unknown>;
}

/** Every state of the definition, Map iterations included, by name. */
export function allStates(definition: { States: Record<string, unknown> }): Record<string, Record<string, unknown>> {
  const out: Record<string, Record<string, unknown>> = {};
  for (const [name, state] of Object.entries(definition.States)) {
    const s = state as Record<string, unknown>;
    out[name] = s;
    const inner = (s.ItemProcessor ?? s.Iterator) as { States: Record<string, unknown> } | undefined;
    if (inner) Object.assign(out, allStates(inner));
  }
  return out;
}

/**
 * aws-local-stepfunctions resolves TimeoutSecondsPath against the Parameters output, while
 * Step Functions resolves it against the state input; it has no heartbeats at all. So the
 * paths become a fixed TimeoutSeconds here, and tests/helpers' CallbackHub enforces the
 * heartbeat from the HEARTBEAT_SECONDS the container receives (the same value).
 */
export function forLocalRun(definition: StateMachineDefinition, timeoutSeconds = 30): StateMachineDefinition {
  // JSON copy, not structuredClone: jest runs tests in a vm realm, and the emulator only treats
  // objects of its own realm's Object.prototype as payload templates.
  const copy = JSON.parse(JSON.stringify(definition)) as { States: Record<string, unknown> };
  for (const state of Object.values(allStates(copy))) {
    if ('TimeoutSecondsPath' in state) {
      delete state.TimeoutSecondsPath;
      state.TimeoutSeconds = timeoutSeconds;
    }
    delete state.HeartbeatSecondsPath;
  }
  return copy as unknown as StateMachineDefinition;
}

export interface StateEvent {
  type: string;
  name?: string;
  index?: number;
  error?: string;
  cause?: unknown;
}

export interface ExecutionRecord {
  output?: Json;
  error?: { name: string; message: string };
  events: StateEvent[];
}

/** Runs one execution to its end and returns its output or error and the event log. */
export async function runExecution(
  definition: StateMachineDefinition,
  input: unknown,
  options: { overrides: NonNullable<RunOptions['overrides']>; executionName: string; executionArn: string; tokenPrefix?: string },
): Promise<ExecutionRecord> {
  const machine = new StateMachine(definition, { validationOptions: { checkArn: true, checkPaths: true } });
  let tokens = 0;
  const execution = machine.run(input as Json, {
    overrides: options.overrides,
    context: {
      Execution: { Id: options.executionArn, Name: options.executionName },
      // Read once per (sub-)execution the emulator starts, so every Map iteration gets its own token.
      get Task() {
        tokens += 1;
        return { Token: `${options.tokenPrefix ?? 'token'}-${tokens}` };
      },
    },
  });
  const events: StateEvent[] = [];
  const collecting = (async () => {
    for await (const event of execution.eventLogs) {
      const e = event as unknown as { type: string; state?: { name: string }; index?: number; Error?: string; Cause?: unknown };
      events.push({ type: e.type, name: e.state?.name, index: e.index, error: e.Error, cause: e.Cause });
    }
  })();
  const record: ExecutionRecord = { events };
  try {
    record.output = (await execution.result) as Json;
  } catch (error) {
    const cause = error instanceof ExecutionError ? (error.cause as Error | undefined) : (error as Error);
    record.error = { name: cause?.name ?? 'Error', message: cause?.message ?? String(error) };
  }
  await collecting;
  return record;
}

/** Names of the states entered, in order (Map iterations interleave). */
export const statesEntered = (record: ExecutionRecord, index?: number): string[] =>
  record.events.filter((e) => e.type === 'StateEntered' && (index === undefined || e.index === index)).map((e) => e.name!);

export const countEntered = (record: ExecutionRecord, name: string): number => statesEntered(record).filter((n) => n === name).length;

/** An Error whose `name` is what Step Functions' ErrorEquals matches. */
export function stepError(name: string, cause: string): Error {
  const error = new Error(cause);
  error.name = name;
  return error;
}

/**
 * Task tokens of `.waitForTaskToken` states: the emulator has no callback API, so the ECS
 * override parks a promise here and the test (or the guard) settles it through
 * SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat, with Step Functions' heartbeat rule.
 */
export class CallbackHub {
  private readonly waiting = new Map<
    string,
    { resolve: (v: Json) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout; heartbeatMs?: number }
  >();
  private readonly arrivals: ((token: string) => void)[] = [];
  readonly tokens: string[] = [];

  /** Parks the task until a callback or a missed heartbeat. */
  wait(token: string, heartbeatMs?: number): Promise<Json> {
    return new Promise<Json>((resolve, reject) => {
      const entry: { resolve: (v: Json) => void; reject: (e: Error) => void; timer?: NodeJS.Timeout; heartbeatMs?: number } = {
        resolve,
        reject,
      };
      if (heartbeatMs !== undefined) entry.heartbeatMs = heartbeatMs;
      this.waiting.set(token, entry);
      this.tokens.push(token);
      this.arm(token);
      this.arrivals.splice(0).forEach((notify) => notify(token));
    });
  }

  /** Resolves when a task is parked (the next one, or an already parked one). */
  nextToken(): Promise<string> {
    const parked = [...this.waiting.keys()].find((t) => !this.handed.has(t));
    if (parked) {
      this.handed.add(parked);
      return Promise.resolve(parked);
    }
    return new Promise((resolve) =>
      this.arrivals.push((token) => {
        this.handed.add(token);
        resolve(token);
      }),
    );
  }
  private readonly handed = new Set<string>();

  private arm(token: string) {
    const entry = this.waiting.get(token);
    if (!entry || entry.heartbeatMs === undefined) return;
    clearTimeout(entry.timer);
    entry.timer = setTimeout(() => this.settle(token, (e) => e.reject(stepError('States.HeartbeatTimeout', ''))), entry.heartbeatMs);
  }

  private settle(token: string, how: (entry: { resolve: (v: Json) => void; reject: (e: Error) => void }) => void) {
    const entry = this.waiting.get(token);
    if (!entry) throw stepError('TaskDoesNotExist', `Task Token does not exist: ${token}`);
    clearTimeout(entry.timer);
    this.waiting.delete(token);
    how(entry);
  }

  sendTaskSuccess(token: string, output: Json) {
    this.settle(token, (e) => e.resolve(output));
  }

  sendTaskFailure(token: string, error: string, cause: string) {
    this.settle(token, (e) => e.reject(stepError(error, cause)));
  }

  sendTaskHeartbeat(token: string) {
    if (!this.waiting.has(token)) throw stepError('TaskTimedOut', `Task Timed Out: ${token}`);
    this.arm(token);
  }

  /** Ends every parked task (test cleanup). */
  close() {
    for (const token of [...this.waiting.keys()]) this.settle(token, (e) => e.reject(stepError('States.Runtime', 'test ended')));
  }
}

/**
 * The parameters the Step Functions ECS integration accepts for RunTask. The current AWS page
 * (step-functions/latest/dg/connect-ecs.html) links the RunTask API without listing them; its
 * earlier versions listed Cluster, Group, LaunchType, NetworkConfiguration, Overrides,
 * PlacementConstraints, PlacementStrategy, PlatformVersion, TaskDefinition, later PropagateTags
 * and EnableExecuteCommand; CapacityProviderStrategy is accepted (CDK's EcsRunTask emits it).
 * Tags, StartedBy, ClientToken, Count, EnableECSManagedTags and ReferenceId are not on any of
 * those lists: add one here only after checking the AWS docs.
 */
export const ALLOWED_RUN_TASK_PARAMETERS: readonly string[] = [
  'Cluster',
  'Group',
  'LaunchType',
  'CapacityProviderStrategy',
  'NetworkConfiguration',
  'Overrides',
  'PlacementConstraints',
  'PlacementStrategy',
  'PlatformVersion',
  'PropagateTags',
  'TaskDefinition',
  'EnableExecuteCommand',
];
