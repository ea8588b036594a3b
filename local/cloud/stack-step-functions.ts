/**
 * The local Step Functions for this stack: every AWS::StepFunctions::StateMachine of the
 * packaged template, its definition resolved to local names, with its service integrations
 * served by the local cloud (DynamoDB emulator, local ECS, in-process functions, an SNS outbox).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import { startLocalStepFunctions, type LocalStepFunctions } from '../emulators/stepfunctions';
import type { HistoryEvent, ExecutionRecord } from '../emulators/stepfunctions';
import { LOCAL_CREDENTIALS, type ServiceEndpoints } from './aws';
import type { StackResolver } from './intrinsics';
import type { StackEcs } from './stack-ecs';
import { PortInUseError } from '../emulators/data-services';

export interface Notification {
  messageId: string;
  topicArn: string;
  subject?: string;
  message: string;
  /** SNS message attributes (functions' notices carry kind, severity, pipeline). */
  attributes?: Record<string, string>;
  at: Date;
}

export interface StackStepFunctions {
  endpoint: string;
  sfn: LocalStepFunctions;
  stateMachineArns: string[];
  /** The definition as deployed (intrinsics resolved), JSON text. */
  definitionOf(stateMachineArn: string): string;
  /** SNS messages the state machine published (the local SNS keeps them here). */
  notifications: Notification[];
  events: EventEmitter<{
    history: [{ executionArn: string; event: HistoryEvent }];
    executionClosed: [ExecutionRecord];
    notification: [Notification];
    heartbeat: [{ taskToken: string }];
  }>;
  /** Lets the state machine's Lambda integration reach the in-process functions. */
  setLambdas(lambdas: Record<string, (payload: unknown) => Promise<unknown>>): void;
  stop(): Promise<void>;
}

export async function startStepFunctionsForStack(options: {
  resolver: StackResolver;
  port: number;
  endpoints: ServiceEndpoints;
  ecs: StackEcs;
  timeScale: number;
}): Promise<StackStepFunctions> {
  const { resolver } = options;
  const { region, accountId } = resolver.context;
  const events: StackStepFunctions['events'] = new EventEmitter();
  const notifications: Notification[] = [];
  const dynamodb = new DynamoDBClient({ region, credentials: LOCAL_CREDENTIALS, endpoint: options.endpoints.dynamodb });
  const lambdas: Record<string, (payload: unknown) => Promise<unknown>> = {};
  let server: Awaited<ReturnType<typeof startLocalStepFunctions>>;
  try {
    server = await startLocalStepFunctions({
      port: options.port,
      region,
      accountId,
      timeScale: options.timeScale,
      integrations: {
        dynamodb,
        ecs: options.ecs.ecs,
        lambdas: lambdas as never,
        sns: async (params) => {
          const note: Notification = {
            messageId: randomUUID(),
            topicArn: params.TopicArn ?? params.TargetArn ?? '',
            ...(params.Subject ? { subject: params.Subject } : {}),
            message: params.Message,
            at: new Date(),
          };
          notifications.push(note);
          events.emit('notification', note);
          return { MessageId: note.messageId };
        },
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError('stepfunctions', options.port, { cause: error });
    throw error;
  }
  const definitions = new Map<string, string>();
  for (const [id, resource] of resolver.resources('AWS::StepFunctions::StateMachine')) {
    const p = resolver.resolve(resource.Properties ?? {}, id) as {
      StateMachineName?: string;
      DefinitionString?: string;
      Definition?: unknown;
      DefinitionSubstitutions?: Record<string, unknown>;
    };
    let definition = p.DefinitionString ?? JSON.stringify(p.Definition ?? {});
    for (const [name, value] of Object.entries(p.DefinitionSubstitutions ?? {}))
      definition = definition.split(`\${${name}}`).join(String(value));
    const arn = resolver.physicalOf(id).ref;
    const name = resolver.physicalOf(id).attributes.Name!;
    server.sfn.createStateMachine({ name, definition, roleArn: resolver.resolve(resource.Properties?.RoleArn, id) as string });
    definitions.set(arn, definition);
  }
  server.sfn.on('event', (e) => events.emit('history', e));
  // Heartbeats leave no history event in Step Functions; the progress view still wants to see them.
  const sendHeartbeat = server.sfn.sendTaskHeartbeat.bind(server.sfn);
  server.sfn.sendTaskHeartbeat = (taskToken: string) => {
    sendHeartbeat(taskToken);
    events.emit('heartbeat', { taskToken });
  };
  server.sfn.on('executionClosed', (record) => events.emit('executionClosed', record));
  return {
    endpoint: server.endpoint,
    sfn: server.sfn,
    stateMachineArns: [...definitions.keys()],
    definitionOf(arn) {
      const definition = definitions.get(arn);
      if (definition === undefined) throw new Error(`no state machine ${arn} in this stack`);
      return definition;
    },
    notifications,
    events,
    setLambdas: (fns) => Object.assign(lambdas, fns),
    async stop() {
      await server.stop();
      dynamodb.destroy();
    },
  };
}
