/**
 * Activity mode: the container is one of a pipeline's workers (pipelines.yml `task.launch:
 * activity`), a long-running ECS service task that asks Step Functions for shards instead of
 * being launched for one. It loops:
 *   - GetActivityTask on ACTIVITY_ARN: a long poll the service holds up to 60 s (an empty
 *     token means "nothing now", ask again). The AWS API reference asks workers to set their
 *     client socket timeout to at least 65 s, so the poll uses its own client with 70 s;
 *   - a shard arrives with its token and its run context as input (`{ environment }`, the
 *     names a launched container gets); runTask runs the work exactly as for a callback task:
 *     heartbeats (SendTaskHeartbeat, a third of HEARTBEAT_SECONDS), SendTaskSuccess with the
 *     result or SendTaskFailure with the error;
 *   - SIGTERM (ECS stopping the worker: scale-in, deployment, Spot) drains: no new poll, an
 *     open poll is abandoned, and a shard in flight is handed back at once by failing it with
 *     `Worker.Draining`, which the activity state's Retry re-runs on another worker. Then the
 *     worker exits 143 (0 when it was idle).
 * A worker killed without a word (SIGKILL) stops beating; the state's HeartbeatSeconds
 * notices and its Retry re-runs the shard elsewhere.
 */
import { EventEmitter } from 'node:events';
import { GetActivityTaskCommand, SendTaskFailureCommand, SFNClient } from '@aws-sdk/client-sfn';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import * as v from '../../lib/shared/validation';
import { TASK_ENV } from '../../lib/contracts/task-contract';
import { workerSfnClient } from './clients';
import { ActivityInputError, TaskEnvError, WorkerDrainingError } from './errors';
import { toTaskFailure } from './failure';
import { createLog, errorFields, stdoutSink } from './log';
import { EXIT_CODES, runTask, type SignalSource, type TaskWork, type WorkerDeps } from './run-task';

/** GetActivityTask holds a poll up to 60 s; the socket must outlast it (AWS: at least 65 s). */
export const POLL_SOCKET_TIMEOUT_MS = 70_000;

type StopSignal = 'SIGTERM' | 'SIGINT';
const STOP_SIGNALS: readonly StopSignal[] = ['SIGTERM', 'SIGINT'];

export interface ActivityWorkerDeps extends WorkerDeps {
  /** The client GetActivityTask long-polls with (default: one with a 70 s socket timeout). */
  pollClient?: () => SFNClient;
  /** Names the worker in the execution history (ActivityStarted); default the host name. */
  workerName?: string;
  /** Wait after a failed poll (throttling, network), doubled up to 30 s. */
  retryDelayMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

const ActivityInputSchema = v.object({ environment: v.record(v.string(), v.string()) });

let pollClient: SFNClient | undefined;
const defaultPollClient = (): SFNClient =>
  (pollClient ??= new SFNClient({ requestHandler: new NodeHttpHandler({ requestTimeout: POLL_SOCKET_TIMEOUT_MS }) }));

/** Polls the activity until SIGTERM; resolves with the exit code after calling `exit` with it. */
export async function runActivityWorker(work: TaskWork, deps: ActivityWorkerDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  const sink = deps.sink ?? stdoutSink;
  const exit = deps.exit ?? ((code: number) => process.exit(code));
  const signals = deps.signals ?? process;
  const sfn = deps.sfn ?? workerSfnClient;
  const poller = (deps.pollClient ?? defaultPollClient)();
  const sleep = deps.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const workerName = (deps.workerName ?? env.HOSTNAME ?? `worker-${process.pid}`).slice(0, 80);
  const log = createLog(sink, { worker: workerName }, deps.now);

  const activityArn = env[TASK_ENV.ACTIVITY_ARN];
  if (!activityArn) {
    log.error(
      'worker stopped',
      errorFields(new TaskEnvError(`${TASK_ENV.ACTIVITY_ARN} is not set: an activity worker needs its activity`)),
    );
    exit(EXIT_CODES.failed);
    return EXIT_CODES.failed;
  }

  let draining = false;
  let busy = false;
  const poll = new AbortController();
  // runTask listens here for the stop of the shard in flight.
  const taskSignals = new EventEmitter();
  const onStop = () => {
    if (draining) return;
    draining = true;
    log.info('draining', { activityArn, handingBack: busy });
    poll.abort(new WorkerDrainingError('the worker is stopping'));
    taskSignals.emit('SIGTERM');
  };
  for (const signal of STOP_SIGNALS) signals.on(signal, onStop);

  log.info('worker started', { activityArn });
  let delay = deps.retryDelayMs ?? 1_000;
  let shards = 0;
  while (!draining) {
    let taskToken: string | undefined;
    let input: string | undefined;
    try {
      const answer = await poller.send(new GetActivityTaskCommand({ activityArn, workerName }), { abortSignal: poll.signal });
      taskToken = answer.taskToken || undefined;
      input = answer.input;
      delay = deps.retryDelayMs ?? 1_000;
    } catch (error) {
      if (draining) break;
      log.warn('GetActivityTask failed; polling again', { ...errorFields(error), retryInMs: delay });
      await sleep(delay);
      delay = Math.min(delay * 2, 30_000);
      continue;
    }
    if (!taskToken) continue;
    const parsed = ActivityInputSchema.safeParse(parseJson(input));
    if (!parsed.success) {
      // Not a shard of this stack's state machine: fail it with the reason, nothing retries it.
      const failure = toTaskFailure(new ActivityInputError(`activity input is not {environment}: ${v.prettifyError(parsed.error)}`), {
        activityArn,
      });
      await sfn()
        .send(new SendTaskFailureCommand({ taskToken, ...failure }))
        .catch((error: unknown) => log.error('could not fail a malformed activity task', errorFields(error)));
      continue;
    }
    busy = true;
    shards += 1;
    await runTask(work, {
      ...deps,
      env: { ...env, ...parsed.data.environment, [TASK_ENV.LAUNCH]: 'activity', [TASK_ENV.TASK_TOKEN]: taskToken },
      signals: taskSignals as SignalSource,
      sink,
      // The worker lives on after a shard.
      exit: () => {},
      stopError: () =>
        new WorkerDrainingError('the worker is stopping (ECS sent SIGTERM): the shard is handed back to run on another worker'),
    });
    busy = false;
  }
  for (const signal of STOP_SIGNALS) signals.off(signal, onStop);
  const code = EXIT_CODES.stopped;
  log.info('worker stopped', { activityArn, shards, exitCode: code });
  exit(code);
  return code;
}

function parseJson(text: string | undefined): unknown {
  try {
    return JSON.parse(text ?? '');
  } catch {
    return undefined;
  }
}

/**
 * The entry point for a container that runs as a sync/callback task or as an activity worker:
 * a task the state machine launched has LAUNCH in its overrides; a worker of the service has
 * only its task definition's ACTIVITY_ARN (a task definition may serve both).
 */
export function runPipelineWorker(work: TaskWork, deps: ActivityWorkerDeps = {}): Promise<number> {
  const env = deps.env ?? process.env;
  return env[TASK_ENV.ACTIVITY_ARN] && !env[TASK_ENV.LAUNCH] ? runActivityWorker(work, deps) : runTask(work, deps);
}
