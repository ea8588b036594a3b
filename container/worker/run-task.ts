/**
 * runTask: the frame around a pipeline container's work. It reads the run context from
 * the environment, keeps a callback task alive with heartbeats, and reports the outcome
 * exactly once:
 *   - callback launch: SendTaskSuccess with the result, or SendTaskFailure with an error
 *     name and a bounded cause; SIGTERM (ECS stopping the task) is a failure, sent at once;
 *   - sync launch: no token calls at all; Step Functions reads the exit code through ECS.
 * Either way it ends with one structured log line and one EMF metrics document.
 *
 * Exit codes: 0 succeeded, 1 failed, 143 stopped by SIGTERM/SIGINT (128 + 15, the shell's
 * convention, so the stop reason and the exit code tell the same story).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { BatchObject, TriggerKind } from '../../lib/contracts/messages';
import { CONTAINER_METRIC as M } from '../../lib/contracts/metric-names';
import { workerDynamoClient, workerSfnClient } from './clients';
import { writeMetrics, type Metric } from './emf';
import { readTaskEnv, taskTokenOf, type TaskEnv } from './env';
import { TaskStoppedError, type TaskTokenRejectedError } from './errors';
import { toTaskFailure } from './failure';
import { heartbeatIntervalMs, startHeartbeats, type Heartbeats } from './heartbeat';
import { createLog, errorFields, stdoutSink, type LineSink, type Log } from './log';
import { resolveEvent, resolveObjects } from './objects';
import { taskTokenPort, type TaskTokenPort } from './task-token';
import { StepTimings, type StepTimingsMs } from './timings';

export const EXIT_CODES = { succeeded: 0, failed: 1, stopped: 143 } as const;

/** What the work returns. */
export interface TaskOutcome {
  /** Rows written to (replaced in) the target. */
  recordsAffected: number;
  rowsRejected: number;
  /** Extra facts for the final log line (not sent to Step Functions). */
  details?: Record<string, unknown>;
}

/** The callback output (SendTaskSuccess) and the `result` of the final log line. */
export interface TaskResult {
  recordsAffected: number;
  rowsRejected: number;
  /** Milliseconds per step. */
  timings: StepTimingsMs;
  shard: { index: number; count: number };
}

export interface TaskContext {
  task: TaskEnv;
  /**
   * What started the run: `s3` (a complete batch: `objects` holds its files), `schedule` or
   * `manual` (files when the run is for a batch; none for a run of a period or by hand).
   */
  trigger: TriggerKind;
  /** Schedule runs: the schedule's fire time, which names the period to work on; undefined otherwise. */
  scheduledTime: Date | undefined;
  /**
   * `events` runs: the EventBridge event that started the run, as EventBridge delivered it;
   * `queue` runs: the message body (parsed JSON). Undefined for other runs.
   */
  event: unknown;
  /** The batch's files; empty only for `schedule` and `manual` runs without files. */
  objects: BatchObject[];
  /** The process environment, for the task's own settings. */
  env: NodeJS.ProcessEnv;
  /** Aborted on SIGTERM or when Step Functions stops waiting: long work should check it. */
  signal: AbortSignal;
  log: Log;
  timings: StepTimings;
}

export type TaskWork = (ctx: TaskContext) => Promise<TaskOutcome>;

type StopSignal = 'SIGTERM' | 'SIGINT';
export interface SignalSource {
  on(event: StopSignal, listener: () => void): unknown;
  off(event: StopSignal, listener: () => void): unknown;
}

export interface WorkerDeps {
  env?: NodeJS.ProcessEnv;
  sfn?: () => SFNClient;
  dynamo?: () => DynamoDBDocumentClient;
  signals?: SignalSource;
  sink?: LineSink;
  exit?: (code: number) => void;
  now?: () => number;
  /** CloudWatch namespace of the EMF metrics. */
  namespace?: string;
  /** Time between heartbeats; default a third of HEARTBEAT_SECONDS. */
  heartbeatIntervalMs?: number;
  /** The failure a stop signal reports (default TaskStopped); an activity worker's drain names its own. */
  stopError?: () => Error;
}

const STOP_SIGNALS: readonly StopSignal[] = ['SIGTERM', 'SIGINT'];
export const DEFAULT_NAMESPACE = 'EcsPipelines';

type Settlement = { kind: 'succeeded'; outcome: TaskOutcome } | { kind: 'failed'; error: unknown; code: number };

/** Runs `work` as a pipeline task; resolves with the exit code after calling `exit` with it. */
export async function runTask(work: TaskWork, deps: WorkerDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  const sink = deps.sink ?? stdoutSink;
  const exit = deps.exit ?? ((code: number) => process.exit(code));
  const now = deps.now ?? Date.now;
  const sfn = deps.sfn ?? workerSfnClient;
  const signals = deps.signals ?? process;
  const startedAt = now();

  let task: TaskEnv;
  try {
    task = readTaskEnv(env);
  } catch (error) {
    return failBeforeStart(error, { env, sink, exit, now, sfn });
  }

  const log = createLog(
    sink,
    {
      pipeline: task.pipeline,
      runKey: task.runKey,
      batchKey: task.batchKey,
      trigger: task.trigger,
      ...(task.scheduledTime ? { scheduledTime: task.scheduledTime.toISOString() } : {}),
      shardIndex: task.shard.index,
      shardCount: task.shard.count,
      executionArn: task.executionArn,
    },
    now,
  );
  const timings = new StepTimings();
  const controller = new AbortController();
  const port: TaskTokenPort | undefined = task.launch.mode !== 'sync' ? taskTokenPort(sfn(), task.launch.taskToken) : undefined;
  let tokenRejected = false;
  let settled = false;
  let heartbeats: Heartbeats | undefined;
  let resolveCode!: (code: number) => void;
  const exitCode = new Promise<number>((resolve) => (resolveCode = resolve));

  const onStop = () =>
    void settle({
      kind: 'failed',
      error: deps.stopError?.() ?? new TaskStoppedError('received a stop signal: ECS is stopping the task'),
      code: EXIT_CODES.stopped,
    });

  async function settle(settlement: Settlement): Promise<void> {
    if (settled) return;
    settled = true;
    heartbeats?.stop();
    for (const signal of STOP_SIGNALS) signals.off(signal, onStop);
    if (settlement.kind === 'failed') controller.abort(settlement.error);

    const result: TaskResult | undefined =
      settlement.kind === 'succeeded'
        ? {
            recordsAffected: settlement.outcome.recordsAffected,
            rowsRejected: settlement.outcome.rowsRejected,
            timings: timings.snapshot(),
            shard: task.shard,
          }
        : undefined;
    let code: number = settlement.kind === 'succeeded' ? EXIT_CODES.succeeded : settlement.code;
    let reportError: unknown;

    if (port && !tokenRejected) {
      try {
        if (result) await port.succeed(result);
        else await port.fail(toTaskFailure(settlement.kind === 'failed' ? settlement.error : undefined, failureContext(task)));
      } catch (error) {
        reportError = error;
        code = code === EXIT_CODES.succeeded ? EXIT_CODES.failed : code;
      }
    } else if (port && result) {
      // Finished after Step Functions stopped waiting: nobody will read this result.
      code = EXIT_CODES.failed;
    }

    const durationMs = now() - startedAt;
    const stepMs = timings.snapshot();
    const metrics: Metric[] = [
      // Names shared with the alarms and dashboard (lib/contracts/metric-names.ts).
      { name: M.TaskDuration, unit: 'Milliseconds', value: durationMs },
      { name: M.ExtractDuration, unit: 'Milliseconds', value: stepMs.extract },
      { name: M.TransformDuration, unit: 'Milliseconds', value: stepMs.transform },
      { name: M.LoadDuration, unit: 'Milliseconds', value: stepMs.load },
      { name: M.RecordsAffected, unit: 'Count', value: result?.recordsAffected ?? 0 },
      { name: M.RowsRejected, unit: 'Count', value: result?.rowsRejected ?? 0 },
      { name: M.Errors, unit: 'Count', value: code === EXIT_CODES.succeeded ? 0 : 1 },
    ];
    writeMetrics(
      sink,
      metrics,
      {
        namespace: deps.namespace ?? env.METRICS_NAMESPACE ?? DEFAULT_NAMESPACE,
        dimensions: { pipeline: task.pipeline, stage: task.stage },
        properties: { runKey: task.runKey, batchKey: task.batchKey, shardIndex: task.shard.index, executionArn: task.executionArn },
      },
      now(),
    );

    const final = {
      outcome: code === EXIT_CODES.succeeded ? 'succeeded' : code === EXIT_CODES.stopped ? 'stopped' : 'failed',
      exitCode: code,
      launch: task.launch.mode,
      durationMs,
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      ...(result ? { result } : { timings: stepMs }),
      ...(settlement.kind === 'succeeded' && settlement.outcome.details ? { details: settlement.outcome.details } : {}),
      ...(settlement.kind === 'failed' ? errorFields(settlement.error) : {}),
      ...(reportError ? { reportError: errorFields(reportError).error } : {}),
      ...(tokenRejected ? { tokenRejected: true } : {}),
    };
    if (code === EXIT_CODES.succeeded) log.info('task finished', final);
    else log.error('task finished', final);
    resolveCode(code);
    exit(code);
  }

  for (const signal of STOP_SIGNALS) signals.on(signal, onStop);
  if (task.launch.mode !== 'sync' && task.launch.heartbeatSeconds !== undefined && port) {
    heartbeats = startHeartbeats({
      intervalMs: deps.heartbeatIntervalMs ?? heartbeatIntervalMs(task.launch.heartbeatSeconds),
      beat: () => port.heartbeat(),
      onTokenRejected: (error: TaskTokenRejectedError) => {
        tokenRejected = true;
        controller.abort(error);
      },
      log,
    });
  }

  log.info('task started', { launch: task.launch.mode });
  void (async () => {
    try {
      const objects = await resolveObjects(task.objects, deps.dynamo ?? workerDynamoClient);
      const event = await resolveEvent(task.event, deps.dynamo ?? workerDynamoClient);
      const outcome = await work({
        task,
        trigger: task.trigger,
        scheduledTime: task.scheduledTime,
        event,
        objects,
        env,
        signal: controller.signal,
        log,
        timings,
      });
      // Work that ignored an abort still must not report success for a dead token.
      if (controller.signal.aborted) throw controller.signal.reason;
      await settle({ kind: 'succeeded', outcome });
    } catch (error) {
      await settle({ kind: 'failed', error, code: EXIT_CODES.failed });
    }
  })();
  return exitCode;
}

function failureContext(task: TaskEnv): Record<string, unknown> {
  return { pipeline: task.pipeline, batchKey: task.batchKey, shard: task.shard, executionArn: task.executionArn };
}

/** The environment is broken: log it, and if a token is readable tell Step Functions now. */
async function failBeforeStart(
  error: unknown,
  deps: { env: NodeJS.ProcessEnv; sink: LineSink; exit: (code: number) => void; now: () => number; sfn: () => SFNClient },
): Promise<number> {
  const log = createLog(deps.sink, {}, deps.now);
  const token = taskTokenOf(deps.env);
  let reportError: unknown;
  if (token) {
    try {
      await taskTokenPort(deps.sfn(), token).fail(toTaskFailure(error, {}));
    } catch (sendError) {
      reportError = sendError;
    }
  }
  log.error('task finished', {
    outcome: 'failed',
    exitCode: EXIT_CODES.failed,
    ...errorFields(error),
    ...(reportError ? { reportError: errorFields(reportError).error } : {}),
  });
  deps.exit(EXIT_CODES.failed);
  return EXIT_CODES.failed;
}
