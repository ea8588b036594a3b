/**
 * The local cloud: the whole stack on one machine. Starts the emulators, creates the stack's
 * resources from the packaged template, starts the local ECS and Step Functions, runs the
 * functions in-process wired to their event sources, serves the execution console, and
 * starts the template's ECS services.
 *
 * Primary course: package (cached) ∥ start emulators → SNS, CloudWatch (monitoring) → provision →
 * ECS → Step Functions → functions → wiring → console → services → endpoints file.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { endpointEnvironment, localClients, type LocalClients, type ServiceEndpoints } from './aws';
import { writeEndpointsFile, removeEndpointsFile } from './endpoints-file';
import { StackResolver } from './intrinsics';
import { portsFrom } from './ports';
import { provisionResources, type ProvisionedResources } from './provision';
import { applyResourceOverrides, loadPackagedService, type PackagedService, type ResourceOverrides } from './template';
import { startLocalSecretsManager } from '../emulators/secrets-manager/server';
import { PortInUseError, startEmulators, type Emulators } from '../emulators/data-services';
import { functionSpecs, startFunctions, type FunctionRuntime } from './wiring/functions';
import { wireStack, type Wiring, type WiringTiming } from './wiring';
import { startStepFunctionsForStack, type StackStepFunctions } from './stack-step-functions';
import { startEcsForStack, startStackServices, type StackEcs } from './stack-ecs';
import { loadRegistryFile, pipelineContainers, registryFileOf } from './pipeline-containers';
import { localSecrets, secretsFileOf } from './secrets';
import { startAutoscalingForStack, type StackAutoscaling } from './autoscaling/stack-autoscaling';
import { startConsole, type ConsoleServer } from '../console/server';
import { collectServiceMetrics, scalingPoliciesOf } from './service-metrics';
import { collectRunLogs, type RunLogs } from './run-logs';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { GetObjectCommand, NoSuchKey, type S3Client } from '@aws-sdk/client-s3';
import { startMonitoringForStack, type StackMonitoring } from './stack-monitoring';
import type { ExecutionRecord } from '../emulators/stepfunctions';
import { startLocalEventBridge } from '../emulators/eventbridge/server';

export const ACCOUNT_ID = '000000000000';

export interface LocalCloudOptions {
  /** Project root (where serverless.yml is). */
  root: string;
  stage?: string;
  /** First of the consecutive ports of local/cloud/ports.ts; 0 picks free ports (tests). */
  portBase?: number;
  /** Keep S3, Kinesis and DynamoDB data in this folder across restarts. */
  persistDir?: string;
  /** Scratch space: bundles, logs, package cache. Default <root>/.local-cloud. */
  workDir?: string;
  timing?: Partial<WiringTiming>;
  /** Multiplies the state machine's waits, retries, timeouts and heartbeats (tests: small). */
  timeScale?: number;
  /** How often the stack's alarms are evaluated. Default 10 000 ms; 0: only when a caller asks (tests). */
  alarmTickMs?: number;
  /** Where the local warehouse (PGlite) keeps its data. Default <workDir>/warehouse. */
  warehouseDir?: string;
  /** Write .local-cloud/endpoints.json (npm run local and the demo; tests leave it alone). */
  writeEndpoints?: boolean;
  /** Start the template's ECS services (the queue services' workers). Default true; false creates them at 0 tasks, unscaled. */
  runServices?: boolean;
  /**
   * How often the services' target tracking policies are evaluated; one tick stands for one
   * metric minute. Default 60 000 (as on AWS); 0: only when the caller ticks (scenarios).
   */
  scalingTickMs?: number;
  /**
   * Changes to the packaged template for this cloud only, merged into its resources by
   * logical id (scenarios and tests: a shorter visibility timeout, fewer retries).
   */
  resourceOverrides?: ResourceOverrides;
  /** The registry to run instead of pipelines.yml (default: PIPELINES_FILE when set): stack, functions and containers all take it. */
  pipelinesFile?: string;
  /** Where containers' secrets are, NAME=value (default: LOCAL_SECRETS_FILE, or local/secrets.env); the environment wins. */
  secretsFile?: string;
  log?: (line: string) => void;
}

export interface LocalCloud {
  region: string;
  stage: string;
  stackName: string;
  endpoints: ServiceEndpoints & { sfn: string; ecs: string; sns: string; console: string; monitoring: string; events: string };
  /** AWS_ENDPOINT_URL_* and credentials: what an SDK, the CLI or `sls invoke local` needs. */
  environment: Record<string, string>;
  service: PackagedService;
  resolver: StackResolver;
  resources: ProvisionedResources & { stateMachineArn: string; stateMachineDefinition: string };
  clients: LocalClients;
  functions: FunctionRuntime;
  wiring: Wiring;
  ecs: StackEcs;
  autoscaling: StackAutoscaling;
  stepFunctions: StackStepFunctions;
  /** SNS topics and their messages, CloudWatch metrics and alarms, the scaling policies' API. */
  monitoring: StackMonitoring;
  console: ConsoleServer;
  /** Container and function logs per run and task. */
  runLogs: RunLogs;
  warehouseDir: string;
  startupMs: number;
  timings: Record<string, number>;
  stop(): Promise<void>;
}

export async function startLocalCloud(options: LocalCloudOptions): Promise<LocalCloud> {
  const startedAt = Date.now();
  const timings: Record<string, number> = {};
  const mark = async <T>(name: string, work: Promise<T>): Promise<T> => {
    const t0 = Date.now();
    const value = await work;
    timings[name] = Date.now() - t0;
    return value;
  };
  const stage = options.stage ?? 'local';
  const workDir = options.workDir ?? join(options.root, '.local-cloud');
  mkdirSync(workDir, { recursive: true });
  const log = options.log ?? (() => undefined);
  const warehouseDir = options.warehouseDir ?? join(workDir, 'warehouse');
  const ports = portsFrom(options.portBase ?? 0);
  const registryFile = options.pipelinesFile ?? process.env.PIPELINES_FILE;
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error: unknown) => log(`stop: ${String(error)}`));
    stops.length = 0;
  };
  try {
    // Packaging and the emulators start side by side; if one fails the other is stopped.
    const [packaged, started] = await Promise.allSettled([
      mark('package', loadPackagedService(options.root, stage, log, registryFile)),
      mark(
        'emulators',
        startEmulators({
          ports: { s3: ports.s3, kinesis: ports.kinesis, dynamodb: ports.dynamodb, sqs: ports.sqs },
          ...(options.persistDir ? { persistDir: options.persistDir } : {}),
          accountId: ACCOUNT_ID,
        }),
      ),
    ]);
    if (started.status === 'fulfilled') stops.push(() => started.value.stop());
    if (packaged.status === 'rejected') throw packaged.reason;
    if (started.status === 'rejected') throw started.reason;
    const service = options.resourceOverrides
      ? { ...packaged.value, template: applyResourceOverrides(packaged.value.template, options.resourceOverrides) }
      : packaged.value;
    const emulators: Emulators = started.value;
    const region = service.region;
    const secretsManager = await startLocalSecretsManager({ port: ports.secretsmanager, region, accountId: ACCOUNT_ID }).catch(
      (error: NodeJS.ErrnoException) => {
        throw error.code === 'EADDRINUSE' ? new PortInUseError('secretsmanager', ports.secretsmanager, { cause: error }) : error;
      },
    );
    stops.push(() => secretsManager.stop());
    const resolver = new StackResolver(service.template, {
      stackName: service.stackName,
      region,
      accountId: ACCOUNT_ID,
      endpoints: { sqs: emulators.endpoints.sqs },
    });
    const monitoring = await mark(
      'monitoring',
      startMonitoringForStack({ resolver, port: ports.monitoring, alarmTickMs: options.alarmTickMs ?? 10_000, log }),
    );
    stops.push(() => monitoring.stop());
    // One endpoint answers SNS, CloudWatch and Application Auto Scaling: `sns` names it for the SDKs' SNS clients too.
    const baseEndpoints: ServiceEndpoints = {
      ...emulators.endpoints,
      secretsmanager: secretsManager.endpoint,
      monitoring: monitoring.endpoint,
      sns: monitoring.endpoint,
    };
    const provisionClients = localClients(baseEndpoints, region);
    stops.push(async () => provisionClients.destroy());
    const provisioned = await mark('provision', provisionResources(resolver, provisionClients));

    const ecs = await mark(
      'ecs',
      startEcsForStack({
        root: options.root,
        resolver,
        port: ports.ecs,
        awsEnvironment: endpointEnvironment(baseEndpoints, region),
        warehouseDir,
        // The registry the stack was packaged from says how its pipelines' containers run here.
        pipelines: pipelineContainers(loadRegistryFile(registryFileOf(options.root, registryFile)), options.root, { warehouseDir }),
        secrets: localSecrets(options.root, secretsFileOf(options.root, options.secretsFile)),
        log,
      }),
    );
    stops.push(() => ecs.stop());
    const stepFunctions = await mark(
      'stepfunctions',
      startStepFunctionsForStack({
        resolver,
        port: ports.sfn,
        endpoints: { ...baseEndpoints, ecs: ecs.endpoint },
        ecs,
        sns: monitoring.sns,
        timeScale: options.timeScale ?? 1,
      }),
    );
    stops.push(() => stepFunctions.stop());

    const endpoints: ServiceEndpoints = { ...baseEndpoints, sfn: stepFunctions.endpoint, ecs: ecs.endpoint };
    const environment = endpointEnvironment(endpoints, region);
    ecs.setAwsEnvironment(environment);
    const clients = localClients(endpoints, region);
    stops.push(async () => clients.destroy());

    const functions = await mark(
      'functions',
      startFunctions({
        root: options.root,
        workDir,
        specs: functionSpecs(resolver),
        endpointEnv: environment,
        ...(registryFile ? { registryFile } : {}),
      }),
    );
    stops.push(() => functions.stop());
    // The state machine's Lambda integration calls the same in-process functions.
    stepFunctions.setLambdas(
      Object.fromEntries([...functions.functions.values()].map((fn) => [fn.spec.name, (payload: unknown) => fn.invoke(payload)])),
    );
    const wiring = await mark(
      'wiring',
      wireStack({
        resolver,
        functions,
        clients,
        s3Events: emulators.s3Events,
        region,
        accountId: ACCOUNT_ID,
        ...(options.timing ? { timing: options.timing } : {}),
      }),
    );
    stops.push(() => wiring.stop());
    // The local ECS's task state changes go on the local event bus, like ECS's go to EventBridge.
    const unsubscribe = ecs.onTaskStateChange((event) => wiring.putEvent(event));
    stops.push(async () => unsubscribe());
    // SNS subscriptions deliver to the functions and queues; metrics come from what everything writes and does.
    const queueUrlByArn = new Map(Object.values(provisioned.queues).map((q) => [q.arn, q.url]));
    monitoring.setTargets({
      invokeAsync: (ref, event) => wiring.invokeAsync(ref, event),
      queueUrlOf: (arn) => queueUrlByArn.get(arn),
      sqs: clients.sqs,
    });
    stops.push(collectServiceMetrics({ monitoring, functions, ecs, stepFunctions }));
    // So do the executions' status changes, like Step Functions' (the run dispatcher listens).
    const onExecutionClosed = (record: ExecutionRecord) => wiring.putEvent(executionStatusChange(record));
    stepFunctions.events.on('executionClosed', onExecutionClosed);
    stops.push(async () => void stepFunctions.events.off('executionClosed', onExecutionClosed));

    // PutEvents onto the default bus or the stack's buses, routed by the template's rules.
    const eventBridge = await startLocalEventBridge({
      port: ports.events,
      region,
      accountId: ACCOUNT_ID,
      bus: { buses: () => wiring.buses(), route: (bus, event) => wiring.putEvent(event, bus) },
    }).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'EADDRINUSE' ? new PortInUseError('events', ports.events, { cause: error }) : error;
    });
    stops.push(() => eventBridge.stop());
    // What the endpoints file and callers point an SDK or the CLI at (functions put no events).
    environment.AWS_ENDPOINT_URL_EVENTBRIDGE = eventBridge.endpoint;

    const stateMachine = resolver.resources('AWS::StepFunctions::StateMachine')[0];
    if (!stateMachine) throw new Error('the template has no AWS::StepFunctions::StateMachine: check stepFunctions in serverless.yml');
    const stateMachineArn = resolver.physicalOf(stateMachine[0]).ref;
    const stateMachineDefinition = stepFunctions.definitionOf(stateMachineArn);

    const runLogs = collectRunLogs({ ecs, functions, logDir: join(workDir, 'logs') });
    stops.push(() => runLogs.stop());
    const executionsOfRun = (runKey: string) =>
      stepFunctions.sfn
        .listExecutions()
        .filter((e) => {
          try {
            return (JSON.parse(e.input) as { runKey?: unknown }).runKey === runKey;
          } catch {
            return false;
          }
        })
        .map((e) => e.executionArn);
    const consoleServer = await mark(
      'console',
      startConsole({
        port: ports.console,
        sfn: clients.sfn!,
        definitions: (arn) => stepFunctions.definitionOf(arn),
        stateMachineArns: stepFunctions.stateMachineArns,
        history: (arn) => stepFunctions.sfn.getExecutionHistory(arn),
        logs: runLogs,
        executionsOfRun,
        notices: () => monitoring.notices(),
        alarms: () => [...monitoring.alarms.alarms.values()],
        task: (arn) => ecs.ecs.getTask(arn),
        runItem: async (runKey) =>
          provisioned.tables.RunsTable
            ? (await clients.documents.send(new GetCommand({ TableName: provisioned.tables.RunsTable, Key: { pk: runKey } }))).Item
            : undefined,
        readObject: (bucket, key, limit) => readObjectText(clients.s3, bucket, key, limit),
      }),
    );
    stops.push(() => consoleServer.stop());

    // Last: the services' tasks start with the environment that reaches every local service.
    const runServices = options.runServices ?? true;
    startStackServices(ecs, resolver, runServices, log);
    const autoscaling = startAutoscalingForStack({
      resolver,
      ecs,
      sqs: clients.sqs,
      queueUrlByName: (name) => Object.values(provisioned.queues).find((q) => q.name === name)?.url,
      tickMs: runServices ? (options.scalingTickMs ?? 60_000) : 0,
      log,
      alarms: monitoring.alarms,
    });
    stops.push(async () => autoscaling.stop());
    monitoring.setScalingPolicies(scalingPoliciesOf(autoscaling, region, ACCOUNT_ID));

    const resources = { ...provisioned, stateMachineArn, stateMachineDefinition };
    const allEndpoints = {
      ...endpoints,
      sfn: stepFunctions.endpoint,
      ecs: ecs.endpoint,
      sns: monitoring.endpoint,
      console: consoleServer.url,
      monitoring: monitoring.endpoint,
      events: eventBridge.endpoint,
    };
    if (options.writeEndpoints) {
      writeEndpointsFile(options.root, {
        pid: process.pid,
        startedAt: new Date().toISOString(),
        region,
        stage,
        endpoints: allEndpoints,
        environment,
        resources,
        console: `${consoleServer.url}/executions`,
        functions: Object.fromEntries([...functions.functions.values()].map((fn) => [fn.spec.logicalId, fn.spec.environment])),
      });
      stops.push(async () => removeEndpointsFile(options.root));
    }
    const startupMs = Date.now() - startedAt;
    return {
      region,
      stage,
      stackName: service.stackName,
      endpoints: allEndpoints,
      environment,
      service,
      resolver,
      resources,
      clients,
      functions,
      wiring,
      ecs,
      autoscaling,
      stepFunctions,
      monitoring,
      console: consoleServer,
      runLogs,
      warehouseDir,
      startupMs,
      timings,
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/** The first `limit` bytes of an object as text, for the console; undefined when there is no such object. */
async function readObjectText(
  s3: S3Client,
  bucket: string,
  key: string,
  limit: number,
): Promise<{ body: string; truncated: boolean } | undefined> {
  try {
    const out = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key, Range: `bytes=0-${limit}` }));
    const bytes = Buffer.from(await out.Body!.transformToByteArray());
    return { body: bytes.subarray(0, limit).toString('utf8'), truncated: bytes.length > limit };
  } catch (error) {
    if (error instanceof NoSuchKey || (error as Error).name === 'NoSuchBucket') return undefined;
    throw error;
  }
}

/** An ended execution as Step Functions sends it to EventBridge ("Step Functions Execution Status Change"). */
function executionStatusChange(record: ExecutionRecord) {
  return {
    source: 'aws.states',
    'detail-type': 'Step Functions Execution Status Change',
    resources: [record.executionArn],
    detail: {
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate.getTime(),
      stopDate: record.stopDate?.getTime() ?? null,
      input: record.input,
      inputDetails: { included: true },
      output: record.output ?? null,
      outputDetails: { included: record.output !== undefined },
      error: record.error ?? null,
      cause: record.cause ?? null,
    },
  };
}
