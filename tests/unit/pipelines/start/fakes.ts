/** Test doubles shared by the fan-in and start-pipeline tests (unit and integration). */
import type { RunQueue } from '../../../../lib/pipelines/adapters/run-queue';
import type { LockRequest, RunItem, RunsTable } from '../../../../lib/pipelines/adapters/runs-table';
import type { StepFunctions } from '../../../../lib/pipelines/adapters/step-functions';
import { executionArnOf } from '../../../../lib/pipelines/execution-name';
import type { FileArrival } from '../../../../lib/contracts/messages';
import { indexRegistry, parseRegistry } from '../../../../lib/registry/parse-registry';

export const STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:ecs-pipelines-test-pipeline';

/** Two pipelines like the shipped samples, plus one that re-runs on re-upload. */
export const registry = indexRegistry(
  parseRegistry(`
pipelines:
  orders-daily:
    trigger:
      files:
        orders: incoming/acme/orders-{date}.csv
        customers: incoming/acme/customers-{date}.csv
      windowMinutes: 360
    task:
      taskDefinition: sample-pipeline
      container: pipeline
      image: example.com/sample:1
      command: [node, dist/task.js]
      cpu: 512
      memory: 1024
      launch: callback
      timeoutSeconds: 3600
      heartbeatSeconds: 120
      environment: { TARGET: warehouse }
    alarms: { maxRuntimeSeconds: 1800, maxRecordsAffected: 5000000, maxRunCostUsd: 0.5 }
  inventory-snapshot:
    trigger:
      files:
        snapshot: incoming/inventory/{region}/snapshot-{date}.csv
      windowMinutes: 60
      rerunOnReupload: true
    task:
      taskDefinition: sample-pipeline
      container: pipeline
      image: example.com/sample:1
      cpu: 256
      memory: 512
      shards: 3
      launch: sync
      timeoutSeconds: 1800
    schedule:
      expression: cron(0 6 * * ? *)
`),
);

export const ORDERS_DAILY = registry.get('orders-daily')!;

/** Step Functions as far as names go: a name starts one execution, ever. */
export function fakeStepFunctions(options: { failNext?: number } = {}) {
  const executions = new Map<string, string>();
  /** Executions' statuses other than RUNNING, set by the test. */
  const statuses = new Map<string, string>();
  const calls: Array<{ name: string; input: unknown }> = [];
  let failures = options.failNext ?? 0;
  const sfn: StepFunctions = {
    async startExecution({ name, input }) {
      calls.push({ name, input: JSON.parse(input) });
      // Yield so concurrent callers really interleave.
      await new Promise((resolve) => setImmediate(resolve));
      if (failures > 0) {
        failures -= 1;
        throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
      }
      const executionArn = executionArnOf(STATE_MACHINE_ARN, name);
      if (executions.has(name)) return { executionArn, alreadyExisted: true };
      executions.set(name, input);
      return { executionArn, alreadyExisted: false };
    },
    async findExecution(name) {
      return executions.has(name) ? executionArnOf(STATE_MACHINE_ARN, name) : undefined;
    },
    async executionStatus(name) {
      return executions.has(name) ? (statuses.get(name) ?? 'RUNNING') : undefined;
    },
  };
  return { sfn, calls, executions, statuses };
}

/** A clock tests move by hand. */
export function manualClock(start = '2026-11-20T08:00:00.000Z') {
  let now = new Date(start).getTime();
  return {
    clock: () => new Date(now),
    advance(seconds: number) {
      now += seconds * 1000;
    },
  };
}

let sequencer = 0x5a000000;
export function arrival(overrides: Partial<FileArrival> & Pick<FileArrival, 'file'>): FileArrival {
  const date = overrides.batchKey ?? '2026-11-20';
  sequencer += 1;
  return {
    pipeline: 'orders-daily',
    batchKey: date,
    bucket: 'uploads',
    key: `incoming/acme/${overrides.file}-${date}.csv`,
    size: 1234,
    etag: `etag-${overrides.file}-1`,
    sequencer: `00${sequencer.toString(16).toUpperCase()}`,
    eventTime: '2026-11-20T07:59:00.000Z',
    source: 's3',
    ...overrides,
  };
}

export const stack = { service: 'ecs-pipelines', stage: 'test' };

/** No concurrency limit in these registries: a queue that must never be used. */
export const noRunControl = {
  runControl: {
    stackLimit: 0,
    queue: new Proxy({} as RunQueue, {
      get: (_target, method) => () => {
        throw new Error(`the run queue was used (${String(method)}) though no concurrency limit is configured`);
      },
    }),
  },
};

/** The Runs table's lock, in memory: the conditions of runs-table.ts without DynamoDB. */
export function memoryRuns(initial: RunItem[] = []) {
  const items = new Map(initial.map((i) => [i.pk, i]));
  const locks: LockRequest[] = [];
  const runs: RunsTable = {
    async acquireLock(request) {
      locks.push(request);
      const held = items.get(request.runKey);
      const expired = held?.status === 'STARTING' && (held.leaseExpiresAt ?? Infinity) < request.now;
      const replaceable = (held?.status === 'SUCCEEDED' || held?.status === 'FAILED') && held.attempt === request.replacesFinishedAttempt;
      if (held && !expired && !replaceable) return { acquired: false, holder: held };
      items.set(request.runKey, {
        pk: request.runKey,
        pipeline: request.pipeline,
        batchKey: request.batchKey,
        trigger: request.trigger,
        status: 'STARTING',
        attempt: request.attempt,
        executionName: request.executionName,
        requestedAt: request.requestedAt,
        leaseExpiresAt: request.leaseExpiresAt,
      });
      return { acquired: true };
    },
    async releaseLease() {},
    async get(runKey) {
      return items.get(runKey);
    },
  };
  return { runs, items, locks };
}
