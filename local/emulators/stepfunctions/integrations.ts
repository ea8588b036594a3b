/**
 * Service integrations for Task states, served by local services the caller passes in.
 * Each resolver gets the state's effective parameters (Parameters already applied, the task
 * token already in place) and returns the state's result, or throws a TaskError whose name is
 * what the state's Retry/Catch match, with the Cause AWS would give.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LocalEcs, LocalTask, RunTaskInput } from '../ecs';
import { taskToStepFunctions } from '../ecs';

export type JsonValue = null | boolean | number | string | JsonValue[] | { [k: string]: JsonValue };

/** A Task state failure: `name` is the error Retry/Catch match, `message` the Cause. */
export class TaskError extends Error {
  constructor(error: string, cause: string) {
    super(cause);
    this.name = error;
  }
}

export interface TaskCall {
  executionArn: string;
  stateName: string;
  resource: string;
  parameters: JsonValue;
  /** Set when the parameters reference `$$.Task.Token`. */
  taskToken?: string;
  /** Aborted when the task times out or the execution stops: stop the work you started. */
  signal: AbortSignal;
}

export type TaskResolver = (call: TaskCall) => Promise<JsonValue>;

/** Publishes one SNS message; an SNSClient wrapper or a recorder in tests. */
export type SnsPublisher = (params: {
  TopicArn?: string;
  TargetArn?: string;
  Message: string;
  Subject?: string;
  MessageAttributes?: unknown;
}) => Promise<{ MessageId: string }>;

/** A local Lambda function: receives the payload, returns the result or throws. */
export type LocalLambda = (payload: JsonValue) => Promise<unknown> | unknown;

export interface Integrations {
  dynamodb?: DynamoDBClient;
  sns?: SnsPublisher;
  /** By function name (the last part of an ARN, without qualifier). */
  lambdas?: Record<string, LocalLambda>;
  ecs?: LocalEcs;
  /** By exact Resource ARN (before `.sync` / `.waitForTaskToken` is split off); wins over the built-ins. */
  resources?: Record<string, TaskResolver>;
}

/** The pattern AWS names by the Resource suffix. */
export type IntegrationPattern = 'request-response' | 'sync' | 'callback';

export function splitResource(resource: string): { base: string; pattern: IntegrationPattern; resourceType: string; resourceName: string } {
  const pattern: IntegrationPattern = resource.endsWith('.waitForTaskToken')
    ? 'callback'
    : resource.endsWith('.sync') || resource.endsWith('.sync:2')
      ? 'sync'
      : 'request-response';
  const base = resource.replace(/\.(waitForTaskToken|sync(:2)?)$/, '');
  const service = /^arn:aws:states:::([^:]+):(.+)$/.exec(resource);
  if (service) return { base, pattern, resourceType: service[1]!, resourceName: service[2]! };
  if (/^arn:aws:lambda:/.test(resource)) return { base, pattern, resourceType: 'lambda', resourceName: resource };
  return { base, pattern, resourceType: 'unknown', resourceName: resource };
}

const lowerFirst = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(lowerFirst);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k.charAt(0).toLowerCase() + k.slice(1), lowerFirst(v)]));
  }
  return value;
};

const withoutMetadata = (out: object): JsonValue => {
  const { $metadata: _ignored, ...rest } = out as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest)) as JsonValue;
};

const need = <T>(value: T | undefined, what: string, resource: string): T => {
  if (value === undefined) throw new TaskError('States.Runtime', `${resource}: the local Step Functions was started without ${what}`);
  return value;
};

const asParams = (call: TaskCall): Record<string, unknown> => {
  if (call.parameters === null || typeof call.parameters !== 'object' || Array.isArray(call.parameters)) {
    throw new TaskError('States.Runtime', `${call.resource} in state "${call.stateName}": Parameters must be an object`);
  }
  return call.parameters;
};

/** The ECS integration: RunTask with PascalCase parameters, failures as AmazonECS.Unknown. */
function ecsRunTask(ecs: LocalEcs, call: TaskCall): LocalTask[] {
  const input = lowerFirst(asParams(call)) as RunTaskInput;
  if (typeof input.taskDefinition !== 'string')
    throw new TaskError('States.Runtime', `${call.resource} in state "${call.stateName}": Parameters.TaskDefinition is required`);
  const { tasks, failures } = ecs.runTask(input);
  if (failures.length > 0 || tasks.length === 0) {
    throw new TaskError(
      'AmazonECS.Unknown',
      JSON.stringify({ Failures: failures.map((f) => ({ Arn: f.arn, Reason: f.reason, Detail: f.detail })), Tasks: [] }),
    );
  }
  return tasks;
}

/** Step Functions fails a `.sync` ECS task unless every essential container exited 0. */
const succeeded = (task: LocalTask): boolean =>
  task.stopCode !== 'TaskFailedToStart' && task.containers.every((c) => !c.essential || c.exitCode === 0);

export function resolveIntegration(resource: string, integrations: Integrations): TaskResolver {
  const custom = integrations.resources?.[resource];
  if (custom) return custom;
  const { base, pattern } = splitResource(resource);
  const customBase = integrations.resources?.[base];
  if (customBase) return customBase;

  switch (base) {
    case 'arn:aws:states:::dynamodb:putItem':
    case 'arn:aws:states:::dynamodb:updateItem':
    case 'arn:aws:states:::dynamodb:getItem':
    case 'arn:aws:states:::dynamodb:deleteItem':
      return async (call) => {
        const client = need(integrations.dynamodb, 'a DynamoDB client (integrations.dynamodb)', resource);
        const params = asParams(call) as never;
        const op = base.split(':').at(-1);
        try {
          const command =
            op === 'putItem'
              ? new PutItemCommand(params)
              : op === 'updateItem'
                ? new UpdateItemCommand(params)
                : op === 'getItem'
                  ? new GetItemCommand(params)
                  : new DeleteItemCommand(params);
          return withoutMetadata(await client.send(command as never));
        } catch (error) {
          // AWS names DynamoDB integration errors `DynamoDB.<ExceptionName>`.
          const e = error as Error;
          throw new TaskError(`DynamoDB.${e.name}`, e.message);
        }
      };
    case 'arn:aws:states:::sns:publish':
      return async (call) => {
        const publish = need(integrations.sns, 'an SNS publisher (integrations.sns)', resource);
        const p = asParams(call);
        const message = typeof p.Message === 'string' ? p.Message : JSON.stringify(p.Message);
        const out = await publish({ ...(p as object), Message: message });
        return { MessageId: out.MessageId };
      };
    case 'arn:aws:states:::lambda:invoke':
      return async (call) => {
        const p = asParams(call);
        const name = String(p.FunctionName ?? '');
        const result = await invokeLambda(integrations, name, (p.Payload ?? {}) as JsonValue, resource);
        return { ExecutedVersion: '$LATEST', Payload: result, StatusCode: 200 };
      };
    case 'arn:aws:states:::ecs:runTask':
      return async (call) => {
        const ecs = need(integrations.ecs, 'a local ECS (integrations.ecs)', resource);
        const tasks = ecsRunTask(ecs, call);
        if (pattern !== 'sync') return { Tasks: tasks.map(taskToStepFunctions), Failures: [] };
        const onAbort = () =>
          tasks.forEach((t) => t.lastStatus !== 'STOPPED' && ecs.stopTask(t.taskArn, 'Step Functions execution stopped or task timed out'));
        call.signal.addEventListener('abort', onAbort, { once: true });
        const stopped = await Promise.all(tasks.map((t) => ecs.waitForStopped(t.taskArn)));
        call.signal.removeEventListener('abort', onAbort);
        const failed = stopped.find((t) => !succeeded(t));
        if (failed) throw new TaskError('States.TaskFailed', JSON.stringify(taskToStepFunctions(failed)));
        return taskToStepFunctions(stopped[0]!);
      };
  }
  if (/^arn:aws:lambda:/.test(base)) {
    return (call) => invokeLambda(integrations, base, call.parameters, resource);
  }
  return async () => {
    throw new TaskError('States.Runtime', `Resource "${resource}" has no local integration; pass one in integrations.resources`);
  };
}

async function invokeLambda(integrations: Integrations, nameOrArn: string, payload: JsonValue, resource: string): Promise<JsonValue> {
  const name = nameOrArn.startsWith('arn:') ? (nameOrArn.split(':')[6] ?? '') : (nameOrArn.split(':')[0] ?? '');
  const fn = integrations.lambdas?.[name];
  if (!fn)
    throw new TaskError(
      'Lambda.ResourceNotFoundException',
      `${resource}: no local function "${name}" (known: ${Object.keys(integrations.lambdas ?? {}).join(', ') || 'none'})`,
    );
  try {
    const result = await fn(payload);
    return (result === undefined ? null : JSON.parse(JSON.stringify(result))) as JsonValue;
  } catch (error) {
    // Like Lambda: the error type is the state's error; the Cause is the function's error JSON.
    const e = error instanceof Error ? error : new Error(String(error));
    throw new TaskError(e.name, JSON.stringify({ errorType: e.name, errorMessage: e.message, trace: (e.stack ?? '').split('\n') }));
  }
}
