/**
 * The local Step Functions for this stack: every AWS::StepFunctions::StateMachine of the
 * packaged template, its definition resolved to local names, with its service integrations
 * served by the local cloud (DynamoDB emulator, local ECS, in-process functions, the local SNS).
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventEmitter } from 'node:events';
import { startLocalStepFunctions, type LocalStepFunctions } from '../emulators/stepfunctions';
import type { HistoryEvent, ExecutionRecord } from '../emulators/stepfunctions';
import { LOCAL_CREDENTIALS, type ServiceEndpoints } from './aws';
import type { StackResolver } from './intrinsics';
import type { StackEcs } from './stack-ecs';
import { PortInUseError } from '../emulators/data-services';
import { SnsError, type LocalSns, type PublishInput } from '../emulators/sns/local-sns';
import { TaskError } from '../emulators/stepfunctions/integrations';

export interface StackStepFunctions {
  endpoint: string;
  sfn: LocalStepFunctions;
  stateMachineArns: string[];
  /** The definition as deployed (intrinsics resolved), JSON text. */
  definitionOf(stateMachineArn: string): string;
  events: EventEmitter<{
    history: [{ executionArn: string; event: HistoryEvent }];
    executionClosed: [ExecutionRecord];
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
  /** The local SNS: the state machine's sns:publish states publish to the stack's topics there. */
  sns: LocalSns;
  timeScale: number;
}): Promise<StackStepFunctions> {
  const { resolver } = options;
  const { region, accountId } = resolver.context;
  const events: StackStepFunctions['events'] = new EventEmitter();
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
          try {
            const { messageId } = options.sns.publish({ ...(params as PublishInput), publisher: 'state machine' });
            return { MessageId: messageId };
          } catch (error) {
            // The SNS integration names errors after the API's exceptions: SNS.NotFoundException, ...
            if (error instanceof SnsError) throw new TaskError(`SNS.${error.code}Exception`, error.message);
            throw error;
          }
        },
      },
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') throw new PortInUseError('stepfunctions', options.port, { cause: error });
    throw error;
  }
  // The template's activities (pipelines with launch activity), so their states can schedule
  // tasks and their workers can poll before the first execution.
  for (const [id] of resolver.resources('AWS::StepFunctions::Activity'))
    server.sfn.createActivity({ name: resolver.physicalOf(id).attributes.Name! });
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
    events,
    setLambdas: (fns) => Object.assign(lambdas, fns),
    async stop() {
      await server.stop();
      dynamodb.destroy();
    },
  };
}
