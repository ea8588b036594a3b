/**
 * Counts the state transitions of one pipeline run (Standard workflows are billed per state
 * entered, Map iterations included): the real statemachines/pipeline.asl.yml in
 * aws-local-stepfunctions, the Lambda steps running their real code, ECS, DynamoDB and
 * SNS answered by stubs. Used by `npm run bench:transitions` and by the run cost tests.
 */
import { join } from 'node:path';
import type { ExecutionInput } from '../../lib/contracts/messages';
import { prepareShardTasks } from '../../lib/pipelines/runs/prepare-shard-tasks';
import { summarizeRun } from '../../lib/pipelines/runs/summarize-run';
import { decideShardRetry } from '../../lib/pipelines/runs/decide-shard-retry';
import '../../local/emulators/stepfunctions/polyfill';
import { forLocalRun, loadDefinition, runExecution } from './asl';

/** Callers bundled elsewhere (the benchmark) pass the file themselves: __dirname moves with the bundle. */
const DEFINITION = join(__dirname, '../../statemachines/pipeline.asl.yml');

type Params = Record<string, unknown>;
const clone = <T>(value: T) => JSON.parse(JSON.stringify(value)) as never;

function input(shards: number, launch: 'sync' | 'callback'): ExecutionInput {
  return {
    pipeline: 'orders-daily',
    runKey: `orders-daily#bench-${shards}-${launch}`,
    batchKey: '2026-11-20',
    trigger: 's3',
    requestedAt: '2026-11-20T06:00:00.000Z',
    executionName: 'bench',
    objects: [{ file: 'orders', bucket: 'b', key: 'incoming/acme/orders-2026-11-20.csv', size: 1, etag: 'e' }],
    task: {
      taskDefinition: 'ecs-pipelines-bench-sample-pipeline',
      container: 'pipeline',
      cpu: 512,
      memory: 1024,
      shards,
      maxConcurrency: shards,
      launch,
      timeoutSeconds: 3600,
      heartbeatSeconds: 120,
      architecture: 'ARM64',
      capacity: 'fargate',
      capacityProvider: 'FARGATE',
      environment: [],
    },
    shards: Array.from({ length: shards }, (_, index) => ({ index, count: shards })),
    alarms: {},
  };
}

function stoppedTask(params: Params, exitCode: number): never {
  return clone({
    TaskArn: `arn:aws:ecs:us-east-1:123456789012:task/c/${Math.random().toString(16).slice(2)}`,
    Group: params.Group,
    LastStatus: 'STOPPED',
    StopCode: 'EssentialContainerExited',
    StoppedReason: 'Essential container in task exited',
    Containers: [{ Name: 'pipeline', ExitCode: exitCode }],
  });
}

/** States entered by one run; `failShard` fails that shard (its container exits 1 or reports failure). */
export async function countTransitions(
  shards: number,
  launch: 'sync' | 'callback',
  failShard?: number,
  definitionFile = DEFINITION,
): Promise<number> {
  const definition = forLocalRun(loadDefinition(definitionFile));
  let launched = 0;
  const record = await runExecution(definition, input(shards, launch), {
    executionName: 'bench',
    executionArn: 'arn:aws:states:us-east-1:123456789012:execution:ecs-pipelines-bench-pipeline:bench',
    overrides: {
      taskResourceLocalHandlers: {
        'Mark Run Running': () => ({}),
        'Prepare Shard Tasks': (p) => ({
          Payload: clone(
            prepareShardTasks((p as Params).Payload, {
              runsTable: 'runs',
              network: { subnets: ['subnet-0a'], securityGroups: ['sg-0a'], assignPublicIp: 'ENABLED' },
            }),
          ),
        }),
        'Run ECS Task And Wait For Exit': (p) => {
          const shard = launched++;
          if (shard === failShard)
            throw Object.assign(new Error('task failed'), {
              name: 'States.TaskFailed',
              message: JSON.stringify(stoppedTask(p as Params, 1)),
            });
          return stoppedTask(p as Params, 0);
        },
        'Run ECS Task And Wait For Callback': () => {
          const shard = launched++;
          if (shard === failShard) throw Object.assign(new Error('{"error":"Error"}'), { name: 'Error' });
          return { recordsAffected: 10 };
        },
        'Decide Shard Retry': async (p) => ({ Payload: clone(await decideShardRetry((p as Params).Payload, { random: () => 0 })) }),
        'Summarize Run': (p) => ({ Payload: clone(summarizeRun((p as Params).Payload, { clock: () => new Date() })) }),
        'Record Run Result': () => ({}),
        'Notify Operators Of Failure': () => ({ MessageId: 'm' }),
        'Notify Operators Of Anomaly': () => ({ MessageId: 'm' }),
      },
    },
  });
  return record.events.filter((e) => e.type === 'StateEntered').length;
}
