/**
 * Executes statemachines/pipeline.asl.yml in aws-local-stepfunctions. The Lambda steps run
 * the real use cases, the DynamoDB steps run their real UpdateItem against dynalite, ECS and
 * SNS are per-state overrides; assertions are on the Runs item, the notification and the
 * states that ran.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import {
  CreateTableCommand,
  DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
  UpdateItemCommand,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { SendTaskFailureCommand, SFNClient } from '@aws-sdk/client-sfn';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import type { StateMachineDefinition } from 'aws-local-stepfunctions';
import type { ExecutionInput } from '../../../lib/contracts/messages';
import { ALLOWED_RUN_TASK_PARAMETERS } from '../../helpers/asl';
import { prepareShardTasks } from '../../../lib/pipelines/runs/prepare-shard-tasks';
import { failStuckCallback, TaskStateChangeDetailSchema } from '../../../lib/pipelines/runs/stuck-callback-guard';
import { stopAbandonedTask, type EcsTasks } from '../../../lib/pipelines/runs/stop-abandoned-task';
import { summarizeRun } from '../../../lib/pipelines/runs/summarize-run';
import { decideShardRetry } from '../../../lib/pipelines/runs/decide-shard-retry';
import { taskCallbacks } from '../../../lib/pipelines/runs/task-callbacks';
import {
  CallbackHub,
  countEntered,
  forLocalRun,
  loadDefinition,
  runExecution,
  STACK_VALUES,
  statesEntered,
  stepError,
  type ExecutionRecord,
} from '../../helpers/asl';

const dynalite = require('dynalite') as (options: {
  createTableMs: number;
  deleteTableMs: number;
  updateTableMs: number;
}) => import('node:http').Server;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type Params = Record<string, unknown>;

const TABLE = STACK_VALUES.RunsTable!;
const EXECUTION_NAME = 'orders-daily-2026-11-20-3f9a1c2b';
const EXECUTION_ARN = `arn:aws:states:us-east-1:123456789012:execution:ecs-pipelines-test-pipeline:${EXECUTION_NAME}`;

let server: import('node:http').Server;
let ddb: DynamoDBClient;
let definition: StateMachineDefinition;
let hub: CallbackHub;
const sfnMock = mockClient(SFNClient);

beforeAll(async () => {
  server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  ddb = new DynamoDBClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
  await ddb.send(
    new CreateTableCommand({
      TableName: TABLE,
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      BillingMode: 'PAY_PER_REQUEST',
    }),
  );
  definition = forLocalRun(loadDefinition(), 30);
});

afterAll(async () => {
  ddb.destroy();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  hub = new CallbackHub();
  sfnMock.reset();
});

afterEach(() => hub.close());

function executionInput(change: {
  runKey: string;
  task?: Partial<ExecutionInput['task']>;
  shards?: number;
  alarms?: ExecutionInput['alarms'];
}): ExecutionInput {
  const count = change.shards ?? 1;
  const input: ExecutionInput = {
    pipeline: 'orders-daily',
    runKey: change.runKey,
    batchKey: '2026-11-20',
    trigger: 's3',
    requestedAt: '2026-11-20T06:00:00.000Z',
    executionName: EXECUTION_NAME,
    objects: [
      {
        file: 'orders',
        bucket: 'uploads',
        key: 'incoming/acme/orders-2026-11-20.csv',
        size: 1200,
        etag: '"9b2cf535f27731c974343645a3985328"',
      },
      {
        file: 'customers',
        bucket: 'uploads',
        key: 'incoming/acme/customers-2026-11-20.csv',
        size: 300,
        etag: '"1f2cf535f27731c974343645a3985399"',
      },
    ],
    task: {
      taskDefinition: 'ecs-pipelines-test-sample-pipeline',
      container: 'pipeline',
      command: ['node', 'dist/task.js'],
      cpu: 512,
      memory: 1024,
      shards: count,
      maxConcurrency: count,
      launch: 'sync',
      timeoutSeconds: 3600,
      heartbeatSeconds: 120,
      architecture: 'ARM64',
      capacity: 'fargate',
      capacityProvider: 'FARGATE',
      environment: [{ name: 'WAREHOUSE', value: 'redshift' }],
      ...change.task,
    },
    shards: Array.from({ length: count }, (_, index) => ({ index, count })),
    alarms: change.alarms ?? { maxRuntimeSeconds: 1800 },
  };
  return input;
}

/** The run lock as start-pipeline leaves it. */
async function lockRun(runKey: string, executionName = EXECUTION_NAME) {
  await ddb.send(
    new PutItemCommand({
      TableName: TABLE,
      Item: {
        pk: { S: runKey },
        pipeline: { S: 'orders-daily' },
        batchKey: { S: '2026-11-20' },
        trigger: { S: 's3' },
        status: { S: 'STARTING' },
        attempt: { N: '1' },
        executionName: { S: executionName },
        requestedAt: { S: '2026-11-20T06:00:00.000Z' },
        leaseExpiresAt: { N: '1790000000' },
      },
    }),
  );
}

async function runItem(runKey: string): Promise<Record<string, any>> {
  const { Item } = await ddb.send(new GetItemCommand({ TableName: TABLE, Key: { pk: { S: runKey } }, ConsistentRead: true }));
  return unmarshall(Item!);
}

/** DynamoDB direct integration: the real request, errors named as Step Functions names them. */
async function dynamoUpdate(params: Params): Promise<Json> {
  try {
    await ddb.send(new UpdateItemCommand(params as unknown as UpdateItemCommandInput));
    return {};
  } catch (error) {
    throw stepError(`DynamoDB.${(error as Error).name}`, (error as Error).message);
  }
}

/** A STOPPED ECS task as DescribeTasks describes it (Step Functions passes it in PascalCase). */
function stoppedTask(params: Params, exitCode: number, reason?: string): Record<string, unknown> {
  const container = { Name: 'pipeline', LastStatus: 'STOPPED', ExitCode: exitCode, ...(reason ? { Reason: reason } : {}) };
  return {
    TaskArn: `arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-test/${Math.random().toString(16).slice(2)}`,
    ClusterArn: params.Cluster,
    Group: params.Group,
    LastStatus: 'STOPPED',
    DesiredStatus: 'STOPPED',
    StopCode: 'EssentialContainerExited',
    StoppedReason: 'Essential container in task exited',
    Containers: [container],
    Overrides: params.Overrides,
  };
}

type EcsHandler = (params: Params) => Promise<Json> | Json;

interface Harness {
  record: ExecutionRecord;
  published: Params[];
  runTasks: Params[];
  /** Task ARNs "Stop Abandoned Task" stopped. */
  stopped: string[];
}

/** A fake ECS cluster holding every task the run launched, as ListTasks/DescribeTasks see them. */
function launchedTasks(runTasks: Params[], stopped: string[]): EcsTasks {
  const arnOf = (i: number) => `arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-test/launched${i}`;
  return {
    listRunning: async () => runTasks.map((_, i) => arnOf(i)).filter((arn) => !stopped.includes(arn)),
    listStopped: async () => stopped,
    describe: async (_cluster, arns) =>
      arns.map((arn) => {
        const params = runTasks[Number(arn.replace(/.*launched/, ''))]!;
        const env = environmentOf(params);
        return { taskArn: arn, group: params.Group as string, environment: Object.entries(env).map(([name, value]) => ({ name, value })) };
      }),
    stop: async (_cluster, arn) => void stopped.push(arn),
  };
}

async function execute(
  input: ExecutionInput,
  ecs: { sync?: EcsHandler; callback?: EcsHandler },
  executionName = EXECUTION_NAME,
): Promise<Harness> {
  const published: Params[] = [];
  const runTasks: Params[] = [];
  const stopped: string[] = [];
  const clone = <T>(value: T): Json => JSON.parse(JSON.stringify(value)) as Json;
  const record = await runExecution(definition, input, {
    executionName,
    executionArn: EXECUTION_ARN,
    overrides: {
      taskResourceLocalHandlers: {
        'Mark Run Running': (p) => dynamoUpdate(p as Params),
        'Prepare Shard Tasks': (p) => ({
          Payload: clone(
            prepareShardTasks((p as Params).Payload, {
              runsTable: TABLE,
              network: {
                subnets: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'],
                securityGroups: ['sg-0123456789abcdef0'],
                assignPublicIp: 'ENABLED',
              },
            }),
          ),
        }),
        'Run ECS Task And Wait For Exit': (p) => {
          runTasks.push(p as Params);
          return ecs.sync!(p as Params);
        },
        'Run ECS Task And Wait For Callback': (p) => {
          runTasks.push(p as Params);
          return ecs.callback!(p as Params);
        },
        'Run ECS Task On EC2 And Wait For Exit': (p) => {
          runTasks.push(p as Params);
          return ecs.sync!(p as Params);
        },
        'Run ECS Task On EC2 And Wait For Callback': (p) => {
          runTasks.push(p as Params);
          return ecs.callback!(p as Params);
        },
        'Stop Abandoned Task': async (p) => ({
          Payload: clone(await stopAbandonedTask((p as Params).Payload, { ecs: launchedTasks(runTasks, stopped) })),
        }),
        'Decide Shard Retry': async (p) => ({ Payload: clone(await decideShardRetry((p as Params).Payload, { random: () => 0 })) }),
        'Summarize Run': (p) => ({ Payload: clone(summarizeRun((p as Params).Payload, { clock: () => new Date() })) }),
        'Record Run Result': (p) => dynamoUpdate(p as Params),
        'Notify Operators Of Failure': (p) => {
          published.push(p as Params);
          return { MessageId: `m-${published.length}` };
        },
        'Notify Operators Of Anomaly': (p) => {
          published.push(p as Params);
          return { MessageId: `m-${published.length}` };
        },
      },
      waitTimeOverrides: { 'Wait Before Retrying Shard': 0 },
      retryIntervalOverrides: {
        'Run ECS Task And Wait For Exit': 0,
        'Run ECS Task And Wait For Callback': 0,
        'Run ECS Task On EC2 And Wait For Exit': 0,
        'Run ECS Task On EC2 And Wait For Callback': 0,
      },
    },
  });
  return { record, published, runTasks, stopped };
}

const environmentOf = (params: Params): Record<string, string> => {
  const overrides = params.Overrides as { ContainerOverrides: { Environment: { Name: string; Value: string }[] }[] };
  return Object.fromEntries(overrides.ContainerOverrides[0]!.Environment.map((e) => [e.Name, e.Value]));
};

const MAIN_PATH_SYNC = [
  'Mark Run Running',
  'Prepare Shard Tasks',
  'Run Shards',
  'Choose Launch Pattern',
  'Run ECS Task And Wait For Exit',
  'Keep Shard Outcome',
  'Summarize Run',
  'Record Run Result',
  'Choose Outcome',
  'Run Succeeded',
];

describe('pipeline state machine', () => {
  it('runs a .sync task to success and records the run SUCCEEDED without notifying', async () => {
    // Prepare
    const runKey = 'orders-daily#sync-success';
    await lockRun(runKey);

    // Act
    const { record, published, runTasks } = await execute(executionInput({ runKey }), { sync: (p) => stoppedTask(p, 0) as Json });

    // Assess
    expect(record.error).toBeUndefined();
    expect(statesEntered(record)).toEqual(MAIN_PATH_SYNC);
    expect(published).toEqual([]);
    const item = await runItem(runKey);
    expect(item).toMatchObject({
      status: 'SUCCEEDED',
      executionArn: EXECUTION_ARN,
      result: { status: 'SUCCEEDED', errorClass: null, errorMessage: null },
    });
    expect(item.leaseExpiresAt).toBeUndefined();
    expect(item.result.shards).toEqual([
      {
        index: 0,
        status: 'SUCCEEDED',
        exitCode: 0,
        stopReason: 'EssentialContainerExited: Essential container in task exited',
        recordsAffected: null,
        taskArn: expect.stringContaining(':task/'),
        attempts: 1,
      },
    ]);
    expect(typeof item.startedAt).toBe('string');
    expect(Date.parse(item.endedAt)).toBeGreaterThanOrEqual(Date.parse(item.startedAt));
    expect(item.durationMs).toBe(Date.parse(item.endedAt) - Date.parse(item.startedAt));

    const [runTask] = runTasks;
    expect(Object.keys(runTask!).every((k) => ALLOWED_RUN_TASK_PARAMETERS.includes(k))).toBe(true);
    expect(runTask).toMatchObject({
      Cluster: STACK_VALUES['PipelineCluster.Arn'],
      TaskDefinition: 'ecs-pipelines-test-sample-pipeline',
      CapacityProviderStrategy: [{ CapacityProvider: 'FARGATE', Weight: 1 }],
      Group: `pipeline:orders-daily:${EXECUTION_NAME}`,
      PropagateTags: 'TASK_DEFINITION',
      NetworkConfiguration: {
        AwsvpcConfiguration: {
          Subnets: ['subnet-0a1b2c3d', 'subnet-4e5f6a7b'],
          SecurityGroups: ['sg-0123456789abcdef0'],
          AssignPublicIp: 'ENABLED',
        },
      },
    });
    const env = environmentOf(runTask!);
    expect(env).toMatchObject({
      PIPELINE: 'orders-daily',
      RUN_KEY: runKey,
      BATCH_KEY: '2026-11-20',
      EXECUTION_ARN,
      SHARD_INDEX: '0',
      SHARD_COUNT: '1',
      RUNS_TABLE: TABLE,
      LAUNCH: 'sync',
      WAREHOUSE: 'redshift',
    });
    expect(JSON.parse(env.OBJECTS!)).toHaveLength(2);
    expect(env.TASK_TOKEN).toBeUndefined();
  });

  it('waits for the callback, keeps the task alive on heartbeats and records the records affected', async () => {
    // Prepare
    const runKey = 'orders-daily#callback-success';
    await lockRun(runKey);
    const container = async (token: string) => {
      for (let beat = 0; beat < 4; beat += 1) {
        await new Promise((r) => setTimeout(r, 40));
        hub.sendTaskHeartbeat(token);
      }
      hub.sendTaskSuccess(token, { recordsAffected: 4200, timings: { extractMs: 12, transformMs: 30, loadMs: 8 } });
    };

    // Act: heartbeat window 100 ms, the container works 160 ms and beats every 40 ms.
    const { record, published, runTasks } = await execute(executionInput({ runKey, task: { launch: 'callback', heartbeatSeconds: 120 } }), {
      callback: (p) => {
        const env = environmentOf(p);
        const waiting = hub.wait(env.TASK_TOKEN!, 100);
        void container(env.TASK_TOKEN!);
        return waiting;
      },
    });

    // Assess
    expect(record.error).toBeUndefined();
    expect(statesEntered(record)).toContain('Run ECS Task And Wait For Callback');
    expect(statesEntered(record)).not.toContain('Run ECS Task And Wait For Exit');
    expect(published).toEqual([]);
    const env = environmentOf(runTasks[0]!);
    expect(env).toMatchObject({ LAUNCH: 'callback', HEARTBEAT_SECONDS: '120' });
    // The objects travel inline, JSON inside the overrides spliced around the token.
    expect(JSON.parse(env.OBJECTS!)).toEqual(executionInput({ runKey }).objects);
    expect(env.TASK_TOKEN).toBe(hub.tokens[0]);
    const item = await runItem(runKey);
    expect(item.status).toBe('SUCCEEDED');
    expect(item.result).toMatchObject({
      status: 'SUCCEEDED',
      recordsAffected: 4200,
      shards: [{ index: 0, status: 'SUCCEEDED', exitCode: null, recordsAffected: 4200 }],
    });
  });

  describe("on the stack's EC2 capacity", () => {
    const ec2 = {
      capacity: 'ec2' as const,
      capacityProvider: 'ec2-ecs-pipelines-test',
      placement: {
        constraints: [{ type: 'memberOf', expression: 'attribute:ecs.instance-type =~ r6g.*' }],
        strategy: [{ type: 'binpack', field: 'memory' }],
      },
    };
    const placed = {
      CapacityProviderStrategy: [{ CapacityProvider: 'ec2-ecs-pipelines-test', Weight: 1 }],
      PlacementConstraints: [{ Type: 'memberOf', Expression: 'attribute:ecs.instance-type =~ r6g.*' }],
      PlacementStrategy: [{ Type: 'binpack', Field: 'memory' }],
    };

    it("runs a .sync task with the pipeline's placement, on its instance's network", async () => {
      // Prepare
      const runKey = 'orders-daily#ec2-sync';
      await lockRun(runKey);

      // Act
      const { record, runTasks } = await execute(executionInput({ runKey, task: ec2 }), { sync: (p) => stoppedTask(p, 0) as Json });

      // Assess
      expect(record.error).toBeUndefined();
      expect(statesEntered(record)).toEqual(
        MAIN_PATH_SYNC.map((state) => (state === 'Run ECS Task And Wait For Exit' ? 'Run ECS Task On EC2 And Wait For Exit' : state)),
      );
      expect(Object.keys(runTasks[0]!).every((k) => ALLOWED_RUN_TASK_PARAMETERS.includes(k))).toBe(true);
      expect(runTasks[0]).toMatchObject(placed);
      expect(runTasks[0]!.NetworkConfiguration).toBeUndefined();
      expect((await runItem(runKey)).status).toBe('SUCCEEDED');
    });

    it('waits for the callback of a placed task', async () => {
      // Prepare
      const runKey = 'orders-daily#ec2-callback';
      await lockRun(runKey);

      // Act
      const { record, runTasks } = await execute(executionInput({ runKey, task: { ...ec2, launch: 'callback', heartbeatSeconds: 120 } }), {
        callback: (p) => {
          const token = environmentOf(p).TASK_TOKEN!;
          const waiting = hub.wait(token, 1_000);
          hub.sendTaskSuccess(token, { recordsAffected: 7 });
          return waiting;
        },
      });

      // Assess
      expect(record.error).toBeUndefined();
      expect(statesEntered(record)).toContain('Run ECS Task On EC2 And Wait For Callback');
      expect(runTasks[0]).toMatchObject(placed);
      expect((await runItem(runKey)).result).toMatchObject({ status: 'SUCCEEDED', recordsAffected: 7 });
    });
  });

  it('succeeds but notifies operators when a run affects more records than its threshold', async () => {
    // Prepare
    const runKey = 'orders-daily#anomaly';
    await lockRun(runKey);

    // Act: the callback reports 4,200 records against a threshold of 1,000.
    const { record, published } = await execute(
      executionInput({ runKey, task: { launch: 'callback' }, alarms: { maxRecordsAffected: 1000 } }),
      {
        callback: (p) => {
          const token = environmentOf(p).TASK_TOKEN!;
          const waiting = hub.wait(token, 1000);
          hub.sendTaskSuccess(token, { recordsAffected: 4200 });
          return waiting;
        },
      },
    );

    // Assess: the execution succeeds; one notice, through the anomaly branch only.
    expect(record.error).toBeUndefined();
    expect(statesEntered(record)).toEqual(expect.arrayContaining(['Choose Outcome', 'Notify Operators Of Anomaly', 'Run Succeeded']));
    expect(statesEntered(record)).not.toContain('Notify Operators Of Failure');
    expect(published).toHaveLength(1);
    expect(published[0]!.Subject).toBe('WARNING: orders-daily 2026-11-20: run succeeded with anomalies');
    expect((await runItem(runKey)).status).toBe('SUCCEEDED');
  });

  it('retries RunTask when ECS has no capacity (AmazonECS.Unknown), then succeeds', async () => {
    // Prepare
    const runKey = 'orders-daily#capacity-retry';
    await lockRun(runKey);
    let attempts = 0;

    // Act
    const { record } = await execute(executionInput({ runKey, task: { capacity: 'fargate-spot', capacityProvider: 'FARGATE_SPOT' } }), {
      sync: (p) => {
        attempts += 1;
        if (attempts <= 2) {
          throw stepError(
            'AmazonECS.Unknown',
            JSON.stringify({
              Failures: [
                {
                  Arn: 'arn:aws:ecs:us-east-1:123456789012:container-instance/x',
                  Reason: 'Capacity is unavailable at this time. Please try again later or in a different availability zone',
                },
              ],
            }),
          );
        }
        return stoppedTask(p, 0) as Json;
      },
    });

    // Assess
    expect(record.error).toBeUndefined();
    expect(attempts).toBe(3);
    // The pipeline's task.retry.capacity (defaults here) decides, not a fixed Retry: two rounds through the loop.
    expect(countEntered(record, 'Decide Shard Retry')).toBe(2);
    expect(countEntered(record, 'Wait Before Retrying Shard')).toBe(2);
    expect(countEntered(record, 'Keep Shard Failure')).toBe(0);
    const item = await runItem(runKey);
    expect(item.status).toBe('SUCCEEDED');
    expect(item.result.shards[0]).toMatchObject({
      status: 'SUCCEEDED',
      attempts: 3,
      retried: [
        { attempt: 1, errorClass: 'capacity', capacityProvider: 'FARGATE_SPOT', retryAfterSeconds: 15 },
        { attempt: 2, errorClass: 'capacity', capacityProvider: 'FARGATE_SPOT', retryAfterSeconds: 30 },
      ],
    });
  });

  it('records a container exit code 1 as FAILED, releases the run and notifies operators', async () => {
    // Prepare
    const runKey = 'orders-daily#exit-1';
    await lockRun(runKey);

    // Act: Step Functions fails a .sync task on a non-zero exit with the task as the cause.
    const { record, published } = await execute(executionInput({ runKey }), {
      sync: (p) => {
        throw stepError('States.TaskFailed', JSON.stringify(stoppedTask(p, 1)));
      },
    });

    // Assess
    expect(record.error).toEqual({ name: 'Run.container-error', message: expect.stringContaining('exited with code 1') });
    expect(statesEntered(record)).toEqual([
      'Mark Run Running',
      'Prepare Shard Tasks',
      'Run Shards',
      'Choose Launch Pattern',
      'Run ECS Task And Wait For Exit',
      'Decide Shard Retry',
      'Retry Shard Or Keep Failure',
      'Keep Shard Failure',
      'Summarize Run',
      'Record Run Result',
      'Choose Outcome',
      'Notify Operators Of Failure',
      'Run Failed',
    ]);
    const item = await runItem(runKey);
    expect(item.status).toBe('FAILED');
    expect(typeof item.endedAt).toBe('string');
    expect(item.result).toMatchObject({
      status: 'FAILED',
      errorClass: 'container-error',
      shards: [
        {
          index: 0,
          status: 'FAILED',
          exitCode: 1,
          stopReason: 'EssentialContainerExited: Essential container in task exited',
          errorClass: 'container-error',
        },
      ],
    });
    expect(published).toHaveLength(1);
    expect(published[0]).toMatchObject({
      TopicArn: STACK_VALUES.OperatorsTopic,
      Subject: 'ALARM: orders-daily 2026-11-20: run FAILED (container-error)',
      MessageAttributes: {
        pipeline: { DataType: 'String', StringValue: 'orders-daily' },
        status: { DataType: 'String', StringValue: 'FAILED' },
      },
    });
    expect(published[0]!.Message).toEqual(expect.stringContaining('container "pipeline" exited with code 1'));
    // The console link names the execution.
    expect(published[0]!.Message).toMatch(
      new RegExp(`Execution: +https://us-east-1\\.console\\.aws\\.amazon\\.com/states/.*${EXECUTION_ARN}`),
    );
  });

  it('fails the shard of an activity pipeline whose activity state this state machine lacks, naming it', async () => {
    // Prepare: the definition as written (stack/activities.ts adds a pipeline's activity state
    // at package time; a pipeline deployed without it must fail, not hang or pass).
    const runKey = 'orders-daily#no-activity';
    await lockRun(runKey);

    // Act
    const { record, runTasks } = await execute(executionInput({ runKey, task: { launch: 'activity' } }), {});

    // Assess
    expect(runTasks).toHaveLength(0);
    expect(statesEntered(record)).toEqual(
      expect.arrayContaining([
        'Choose Launch Pattern',
        'Choose Pipeline Activity',
        'Activity Not Deployed',
        'Keep Shard Failure',
        'Summarize Run',
      ]),
    );
    const item = await runItem(runKey);
    expect(item.status).toBe('FAILED');
    expect(item.result.shards).toEqual([expect.objectContaining({ index: 0, status: 'FAILED', attempts: 1 })]);
    expect(JSON.stringify(item.result)).toContain('has launch activity, but this state machine has no activity state for its pipeline');
  });

  it('fails a callback task that stops sending heartbeats and records heartbeat-timeout', async () => {
    // Prepare
    const runKey = 'orders-daily#heartbeat';
    await lockRun(runKey);

    // Act: the container takes the token and goes silent.
    const { record, published, runTasks, stopped } = await execute(executionInput({ runKey, task: { launch: 'callback' } }), {
      callback: (p) => hub.wait(environmentOf(p).TASK_TOKEN!, 30),
    });

    // Assess
    expect(record.error?.name).toBe('Run.heartbeat-timeout');
    expect(record.events.some((e) => e.type === 'StateCaught' && e.name === 'Run ECS Task And Wait For Callback')).toBe(true);
    // Step Functions stops waiting but would leave the container running: the run stops it.
    expect(runTasks).toHaveLength(1);
    expect(stopped).toEqual(['arn:aws:ecs:us-east-1:123456789012:task/ecs-pipelines-test/launched0']);
    expect(record.events.some((e) => e.type === 'StateEntered' && e.name === 'Stop Abandoned Task')).toBe(true);
    const item = await runItem(runKey);
    expect(item.status).toBe('FAILED');
    expect(item.result).toMatchObject({ errorClass: 'heartbeat-timeout', shards: [{ status: 'FAILED', errorClass: 'heartbeat-timeout' }] });
    expect(published[0]!.Subject).toBe('ALARM: orders-daily 2026-11-20: run FAILED (heartbeat-timeout)');
  });

  it('runs 11 shards at most maxConcurrency at a time and records the one that failed', async () => {
    // Prepare
    const runKey = 'orders-daily#eleven';
    await lockRun(runKey);
    let running = 0;
    let peak = 0;

    // Act: shard 7 runs out of memory.
    const { record, runTasks, published } = await execute(executionInput({ runKey, shards: 11, task: { maxConcurrency: 4 } }), {
      sync: async (p) => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise((r) => setTimeout(r, 5));
        running -= 1;
        if (environmentOf(p).SHARD_INDEX === '7') {
          throw stepError(
            'States.TaskFailed',
            JSON.stringify(stoppedTask(p, 137, 'OutOfMemoryError: Container killed due to memory usage')),
          );
        }
        return stoppedTask(p, 0) as Json;
      },
    });

    // Assess
    expect(record.error?.name).toBe('Run.out-of-memory');
    expect(runTasks.map((p) => environmentOf(p).SHARD_INDEX).sort((a, b) => Number(a) - Number(b))).toEqual([
      '0',
      '1',
      '2',
      '3',
      '4',
      '5',
      '6',
      '7',
      '8',
      '9',
      '10',
    ]);
    expect(runTasks.every((p) => environmentOf(p).SHARD_COUNT === '11')).toBe(true);
    expect(peak).toBeLessThanOrEqual(4);
    expect(countEntered(record, 'Run ECS Task And Wait For Exit')).toBe(11);
    expect(record.events.filter((e) => e.type === 'StateEntered' && e.name === 'Keep Shard Failure').map((e) => e.index)).toEqual([7]);
    const item = await runItem(runKey);
    expect(item.status).toBe('FAILED');
    expect(item.result.shards).toHaveLength(11);
    expect(item.result.shards.filter((s: { status: string }) => s.status === 'SUCCEEDED')).toHaveLength(10);
    expect(item.result.shards[7]).toMatchObject({ index: 7, status: 'FAILED', exitCode: 137, errorClass: 'out-of-memory' });
    expect(item.result.errorMessage).toMatch(/^1 of 11 shard\(s\) failed; shard 7: /);
    expect(published).toHaveLength(1);
  });

  it('ends a stuck callback when the guard sees the task stopped before calling back', async () => {
    // Prepare
    const runKey = 'orders-daily#stuck';
    await lockRun(runKey);
    sfnMock.on(SendTaskFailureCommand).callsFake((input: { taskToken: string; error: string; cause: string }) => {
      hub.sendTaskFailure(input.taskToken, input.error, input.cause);
      return {};
    });
    const callbacks = taskCallbacks(new SFNClient({ region: 'us-east-1' }));
    const fixture = JSON.parse(readFileSync(path.join(__dirname, '../../events/ecs/ecs-task-stopped-callback.json'), 'utf8'));
    const guardOutcomes: unknown[] = [];

    // Act: the container dies (exit 1) without calling back; ECS emits STOPPED with the
    // overrides the task ran with, and the guard handles the event.
    const { record } = await execute(executionInput({ runKey, task: { launch: 'callback' } }), {
      callback: (p) => {
        const overrides = p.Overrides as { ContainerOverrides: { Name: string; Environment: { Name: string; Value: string }[] }[] };
        const waiting = hub.wait(environmentOf(p).TASK_TOKEN!);
        const detail = {
          ...fixture.detail,
          clusterArn: p.Cluster,
          group: p.Group,
          overrides: {
            containerOverrides: overrides.ContainerOverrides.map((c) => ({
              name: c.Name,
              environment: c.Environment.map((e) => ({ name: e.Name, value: e.Value })),
            })),
          },
        };
        void (async () => {
          const parsed = TaskStateChangeDetailSchema.parse(detail);
          guardOutcomes.push(await failStuckCallback(parsed, { callbacks }));
          // EventBridge may deliver the same event twice: the finished token is not an error.
          guardOutcomes.push(await failStuckCallback(parsed, { callbacks }));
        })();
        return waiting;
      },
    });

    // Assess
    expect(guardOutcomes).toEqual([
      expect.objectContaining({ action: 'failed', error: 'TaskStoppedBeforeCallback' }),
      expect.objectContaining({ action: 'already-finished' }),
    ]);
    expect(record.error?.name).toBe('Run.container-error');
    const item = await runItem(runKey);
    expect(item.status).toBe('FAILED');
    expect(item.result.shards[0]).toMatchObject({
      status: 'FAILED',
      exitCode: 1,
      stopReason: 'EssentialContainerExited: Essential container in task exited',
      errorClass: 'container-error',
    });
    expect(item.result.errorMessage).toContain('before it called back');
  });

  it('leaves a run alone that another execution holds', async () => {
    // Prepare
    const runKey = 'orders-daily#other-holder';
    await lockRun(runKey, 'orders-daily-2026-11-20-someoneelse');

    // Act
    const { record, runTasks, published } = await execute(executionInput({ runKey }), { sync: (p) => stoppedTask(p, 0) as Json });

    // Assess
    expect(record.error?.name).toBe('RunLockNotHeld');
    expect(statesEntered(record)).toEqual(['Mark Run Running', 'Run Belongs To Another Execution']);
    expect(runTasks).toEqual([]);
    expect(published).toEqual([]);
    expect((await runItem(runKey)).status).toBe('STARTING');
  });

  it('records FAILED when the shard launches cannot be prepared (pipeline env collides with the contract)', async () => {
    // Prepare
    const runKey = 'orders-daily#bad-env';
    await lockRun(runKey);

    // Act
    const { record, runTasks, published } = await execute(
      executionInput({ runKey, task: { environment: [{ name: 'RUN_KEY', value: 'mine' }] } }),
      { sync: (p) => stoppedTask(p, 0) as Json },
    );

    // Assess
    expect(record.error?.name).toBe('Run.unknown');
    expect(runTasks).toEqual([]);
    expect(statesEntered(record)).toContain('Notify Operators Of Failure');
    const item = await runItem(runKey);
    expect(item.status).toBe('FAILED');
    expect(item.result.errorMessage).toContain('task.environment.RUN_KEY');
    expect(published).toHaveLength(1);
  });

  describe('retries by failure class (task.retry)', () => {
    const RETRY = {
      capacity: { attempts: 4, intervalSeconds: 30, backoff: 2 },
      spotInterruption: { attempts: 2, fallbackToOnDemand: true },
      imagePull: { attempts: 2, intervalSeconds: 10, backoff: 3 },
      containerError: { attempts: 0, intervalSeconds: 30, backoff: 2 },
    };
    /** A task Fargate Spot took back: SIGTERM, the worker exits 143, stop code SpotInterruption. */
    const spotInterrupted = (p: Params) => ({
      ...stoppedTask(p, 143),
      StopCode: 'SpotInterruption',
      StoppedReason: 'Your Spot Task was interrupted.',
      CapacityProviderName: 'FARGATE_SPOT',
    });
    const pullFailed = (p: Params) => ({
      ...stoppedTask(p, 0),
      StopCode: 'TaskFailedToStart',
      StoppedReason: 'CannotPullContainerError: pull image manifest has been retried 5 time(s): not found',
      Containers: [{ Name: 'pipeline', LastStatus: 'STOPPED', Reason: 'CannotPullContainerError: not found' }],
    });
    const providerOf = (p: Params) => (p.CapacityProviderStrategy as Array<{ CapacityProvider: string }>)[0]!.CapacityProvider;

    it('re-runs a Spot-interrupted shard on FARGATE and records both attempts', async () => {
      // Prepare
      const runKey = 'orders-daily#spot-retry';
      await lockRun(runKey);

      // Act: the first try on Fargate Spot is interrupted, the second succeeds.
      const { record, runTasks, published } = await execute(
        executionInput({ runKey, task: { capacity: 'fargate-spot', capacityProvider: 'FARGATE_SPOT', retry: RETRY } }),
        {
          sync: (p) => {
            if (providerOf(p) === 'FARGATE_SPOT') throw stepError('States.TaskFailed', JSON.stringify(spotInterrupted(p)));
            return stoppedTask(p, 0) as Json;
          },
        },
      );

      // Assess
      expect(record.error).toBeUndefined();
      expect(runTasks.map(providerOf)).toEqual(['FARGATE_SPOT', 'FARGATE']);
      const item = await runItem(runKey);
      expect(item.status).toBe('SUCCEEDED');
      expect(item.result.shards[0]).toMatchObject({
        status: 'SUCCEEDED',
        attempts: 2,
        retried: [
          {
            attempt: 1,
            capacityProvider: 'FARGATE_SPOT',
            errorClass: 'spot-interruption',
            stopReason: 'SpotInterruption: Your Spot Task was interrupted.',
            retryAfterSeconds: 0,
            nextCapacityProvider: 'FARGATE',
          },
        ],
      });
      expect(published).toEqual([]);
    });

    it('retries an image pull failure with its own backoff, then fails naming the class and attempts', async () => {
      // Prepare
      const runKey = 'orders-daily#pull-retry';
      await lockRun(runKey);

      // Act: every try fails to pull the image.
      const { record, runTasks, published } = await execute(executionInput({ runKey, task: { retry: RETRY } }), {
        sync: (p) => {
          throw stepError('States.TaskFailed', JSON.stringify(pullFailed(p)));
        },
      });

      // Assess: 1 + imagePull.attempts tries, waits of 10 × 3^n (halved: no jitter drawn).
      expect(record.error?.name).toBe('Run.image-pull');
      expect(runTasks).toHaveLength(3);
      expect(countEntered(record, 'Wait Before Retrying Shard')).toBe(2);
      const item = await runItem(runKey);
      expect(item.result).toMatchObject({
        status: 'FAILED',
        errorClass: 'image-pull',
        errorMessage: expect.stringContaining(
          '(image-pull, after 3 attempts: image-pull on FARGATE, then image-pull on FARGATE, then image-pull)',
        ),
        shards: [{ attempts: 3, retried: [{ retryAfterSeconds: 5 }, { retryAfterSeconds: 15 }] }],
      });
      expect(published).toHaveLength(1);
      expect(published[0]!.Message).toEqual(expect.stringContaining('Shard 0 try 2:'));
    });

    it('does not retry a container error by default, and retries it when task.retry.containerError asks', async () => {
      const exit1 = (p: Params) => {
        throw stepError('States.TaskFailed', JSON.stringify(stoppedTask(p, 1)));
      };
      await lockRun('orders-daily#exit-default');
      const byDefault = await execute(executionInput({ runKey: 'orders-daily#exit-default' }), { sync: exit1 });
      expect(byDefault.runTasks).toHaveLength(1);
      expect((await runItem('orders-daily#exit-default')).result.shards[0]).toMatchObject({ errorClass: 'container-error', attempts: 1 });

      await lockRun('orders-daily#exit-asked');
      const asked = await execute(
        executionInput({
          runKey: 'orders-daily#exit-asked',
          task: { retry: { ...RETRY, containerError: { attempts: 1, intervalSeconds: 5, backoff: 1 } } },
        }),
        { sync: exit1 },
      );
      expect(asked.runTasks).toHaveLength(2);
      expect((await runItem('orders-daily#exit-asked')).result.shards[0]).toMatchObject({ errorClass: 'container-error', attempts: 2 });
    });
  });
});
