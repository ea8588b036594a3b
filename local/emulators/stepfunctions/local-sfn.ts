/**
 * Local Step Functions: runs Standard executions of ASL definitions with aws-local-stepfunctions
 * and keeps what the Step Functions API reports about them: status, output, error, the task
 * tokens of callback states, and an execution history with AWS event types.
 *
 * The library knows nothing of task tokens, heartbeats or service integrations: every Task state
 * is overridden with a local handler that issues a real token (put where the definition says
 * `$$.Task.Token`), calls the integration, waits for SendTaskSuccess/Failure for
 * `.waitForTaskToken` resources, and enforces TimeoutSeconds and HeartbeatSeconds itself.
 */
import './polyfill';
import { EventEmitter } from 'node:events';
import { StateMachine, type StateMachineDefinition } from 'aws-local-stepfunctions';
import { HEARTBEAT_KEY, PARAMS_KEY, prepareDefinition, TIMEOUT_KEY, type PreparedDefinition, type TaskStateInfo } from './definition';
import { resolveIntegration, splitResource, TaskError, type Integrations, type JsonValue } from './integrations';
import { SfnError } from './errors';

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** One history event as GetExecutionHistory returns it, plus `stateName` (local only) for views. */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: Date;
  type: string;
  /** Not in AWS: the state this event belongs to, when there is one. */
  stateName?: string;
  /** Not in AWS: the Map iteration index of a nested state's Entered/Exited event. */
  iterationIndex?: number;
  [details: string]: unknown;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  startDate: Date;
  stopDate?: Date;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  history: HistoryEvent[];
  /** How many times RedriveExecution restarted it. */
  redriveCount: number;
  redriveDate?: Date;
}

export interface StateMachineRecord {
  stateMachineArn: string;
  name: string;
  definition: string;
  roleArn: string;
  type: 'STANDARD';
  creationDate: Date;
  prepared: PreparedDefinition;
}

export interface LocalStepFunctionsOptions {
  region?: string;
  accountId?: string;
  /** Multiplies every duration of a definition (Wait Seconds, Retry intervals, timeouts, heartbeats). Default 1. */
  timeScale?: number;
  /** How long GetActivityTask holds a poll with no task (AWS: 60 s). */
  activityPollSeconds?: number;
  integrations?: Integrations;
  clock?: () => Date;
}

export interface LocalSfnEvents {
  /** Every history event as it is recorded. */
  event: [{ executionArn: string; event: HistoryEvent }];
  /** An execution reached a final status. */
  executionClosed: [ExecutionRecord];
}

interface OpenTask {
  token: string;
  executionArn: string;
  stateName: string;
  closed: boolean;
  settle?: { resolve(value: JsonValue): void; reject(error: Error): void };
  heartbeat?: () => void;
}

export interface ActivityRecord {
  activityArn: string;
  name: string;
  creationDate: Date;
}

/** A scheduled activity task waiting for a worker (or started by one). */
interface ActivityTaskEntry {
  token: OpenTask;
  input: string;
  /** Called when a worker's GetActivityTask takes it. */
  start(workerName: string | undefined): void;
}

type ActivityPoller = (entry: ActivityTaskEntry | undefined) => void;

/** Resources of this form are activities (`arn:aws:states:<region>:<account>:activity:<name>`). */
export const isActivityArn = (resource: string): boolean => /^arn:aws[a-z-]*:states:[^:]*:\d*:activity:[^:]+$/.test(resource);

interface RunningExecution {
  record: ExecutionRecord;
  abort: () => void;
  /** Cleanups of Task states in flight (stop ECS tasks, close tokens). */
  inFlight: Set<(reason: string) => void>;
}

type LibraryEvent = ReturnType<StateMachine['run']>['eventLogs'] extends AsyncGenerator<infer E> ? E : never;

const TOKEN_SENTINEL = '__local_sfn_task_token__';
/** Names of the states a redrive adds to reuse a Map's succeeded iterations (hidden from history). */
const REDRIVE_STATE = '__redrive';
const NAME_PATTERN = /^[^\s<>{}[\]?*"#%\\^|~`$&,;:/\u0000-\u001f\u007f-\u009f]{1,80}$/;

type TimeoutErrorFactory = (cause: string) => Error;
let timeoutErrorFactory: Promise<TimeoutErrorFactory> | undefined;

/**
 * The library's Catch treats `States.TaskFailed` as matching every Task error except its own
 * timeout class, which it does not export. Take that class from one 1 ms timeout so local
 * timeouts are real `States.Timeout` errors that a States.TaskFailed catcher does not catch.
 */
function libraryTimeoutError(): Promise<TimeoutErrorFactory> {
  timeoutErrorFactory ??= (async () => {
    const probe = new StateMachine(
      {
        StartAt: 'T',
        States: { T: { Type: 'Task', Resource: 'arn:aws:lambda:us-east-1:000000000000:function:probe', TimeoutSeconds: 0.001, End: true } },
      } as unknown as StateMachineDefinition,
      { validationOptions: { noValidate: true } },
    );
    const never = new Promise<JsonValue>(() => {});
    const run = probe.run({}, { overrides: { taskResourceLocalHandlers: { T: () => never } } });
    const error = await run.result.then(
      () => undefined,
      (e: Error) => e.cause as Error | undefined,
    );
    if (error?.name !== 'States.Timeout')
      throw new Error('aws-local-stepfunctions changed: could not obtain its States.Timeout error class');
    const Cls = error.constructor as new () => Error;
    return (cause: string) => {
      const e = new Cls();
      e.message = cause;
      return e;
    };
  })();
  return timeoutErrorFactory;
}

/** Not retryable or catchable: a Task handler called after its execution closed does nothing. */
class ExecutionClosedError extends Error {
  override readonly name = 'States.Runtime';
  readonly isRetryable = false;
  readonly isCatchable = false;
}

const jsonText = (value: unknown): string => JSON.stringify(value ?? null);

export class LocalStepFunctions extends EventEmitter<LocalSfnEvents> {
  readonly region: string;
  readonly accountId: string;
  readonly timeScale: number;
  private readonly integrations: Integrations;
  private readonly clock: () => Date;
  private readonly machines = new Map<string, StateMachineRecord>();
  private readonly executions = new Map<string, RunningExecution>();
  private readonly tokens = new Map<string, OpenTask>();
  private readonly activities = new Map<string, ActivityRecord>();
  /** Scheduled activity tasks no worker has taken yet, and the polls waiting for one, per activity. */
  private readonly activityQueues = new Map<string, ActivityTaskEntry[]>();
  private readonly activityPollers = new Map<string, ActivityPoller[]>();
  private readonly activityPollMs: number;
  /**
   * Map iterations that entered a Task state and whose handler has not run yet, by execution and
   * state name: the library calls a state's handler right after its StateEntered event, in the
   * same order, so the oldest unclaimed entry is the caller's iteration. `last` covers retries.
   */
  private readonly iterationEntries = new Map<string, { pending: number[]; last?: number }>();

  constructor(options: LocalStepFunctionsOptions = {}) {
    super();
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.timeScale = options.timeScale ?? 1;
    this.integrations = options.integrations ?? {};
    this.clock = options.clock ?? (() => new Date());
    this.activityPollMs = (options.activityPollSeconds ?? 60) * 1000;
  }

  /** CreateActivity: idempotent by name, as in AWS. */
  createActivity(input: { name: string }): ActivityRecord {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(input.name)) throw new SfnError('InvalidName', `Invalid Name: '${input.name}'`);
    const activityArn = `arn:aws:states:${this.region}:${this.accountId}:activity:${input.name}`;
    const existing = this.activities.get(activityArn);
    if (existing) return existing;
    const record: ActivityRecord = { activityArn, name: input.name, creationDate: this.clock() };
    this.activities.set(activityArn, record);
    return record;
  }

  describeActivity(activityArn: string): ActivityRecord {
    const activity = this.activities.get(activityArn);
    if (!activity) throw new SfnError('ActivityDoesNotExist', `Activity Does Not Exist: '${activityArn}'`);
    return activity;
  }

  listActivities(): ActivityRecord[] {
    return [...this.activities.values()];
  }

  /**
   * GetActivityTask: the oldest scheduled task of the activity, or a long poll that answers
   * as soon as one is scheduled, or with no task after the poll time. A caller that goes away
   * (`signal`) is no longer handed tasks.
   */
  getActivityTask(
    activityArn: string,
    workerName?: string,
    signal?: AbortSignal,
  ): Promise<{ taskToken: string; input: string } | undefined> {
    this.describeActivity(activityArn);
    const take = (entry: ActivityTaskEntry) => {
      entry.start(workerName);
      return { taskToken: entry.token.token, input: entry.input };
    };
    const queue = this.activityQueues.get(activityArn) ?? [];
    const next = queue.shift();
    if (next) return Promise.resolve(take(next));
    return new Promise((resolve) => {
      const pollers = this.activityPollers.get(activityArn) ?? [];
      this.activityPollers.set(activityArn, pollers);
      const done = (entry: ActivityTaskEntry | undefined) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = pollers.indexOf(done);
        if (at >= 0) pollers.splice(at, 1);
        resolve(entry ? take(entry) : undefined);
      };
      const onAbort = () => done(undefined);
      const timer = setTimeout(() => done(undefined), this.activityPollMs);
      timer.unref?.();
      signal?.addEventListener('abort', onAbort);
      pollers.push(done);
    });
  }

  /** Hands a scheduled task to a waiting poll, or queues it. */
  private offerActivityTask(activityArn: string, entry: ActivityTaskEntry): void {
    const poller = this.activityPollers.get(activityArn)?.shift();
    if (poller) return poller(entry);
    const queue = this.activityQueues.get(activityArn) ?? [];
    queue.push(entry);
    this.activityQueues.set(activityArn, queue);
  }

  private withdrawActivityTask(activityArn: string, entry: ActivityTaskEntry): void {
    const queue = this.activityQueues.get(activityArn);
    const at = queue?.indexOf(entry) ?? -1;
    if (queue && at >= 0) queue.splice(at, 1);
  }

  /** Adds integrations after start (e.g. once the emulators' clients exist). */
  setIntegrations(integrations: Integrations): void {
    Object.assign(this.integrations, integrations);
  }

  stateMachineArn(name: string): string {
    return `arn:aws:states:${this.region}:${this.accountId}:stateMachine:${name}`;
  }

  /**
   * CreateStateMachine: `definition` is an object, JSON or YAML. Creating the same name again
   * with the same definition returns the existing machine; a different one is an error, as in AWS.
   */
  createStateMachine(input: { name: string; definition: unknown; roleArn?: string }): StateMachineRecord {
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(input.name)) throw new SfnError('InvalidName', `Invalid Name: '${input.name}'`);
    const arn = this.stateMachineArn(input.name);
    const prepared = (() => {
      try {
        return prepareDefinition(input.definition, { timeScale: this.timeScale, where: `state machine ${input.name}` });
      } catch (error) {
        throw new SfnError('InvalidDefinition', (error as Error).message);
      }
    })();
    const definition = JSON.stringify(prepared.original);
    const existing = this.machines.get(arn);
    if (existing) {
      if (existing.definition === definition) return existing;
      throw new SfnError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    const record: StateMachineRecord = {
      stateMachineArn: arn,
      name: input.name,
      definition,
      roleArn: input.roleArn ?? `arn:aws:iam::${this.accountId}:role/local-step-functions`,
      type: 'STANDARD',
      creationDate: this.clock(),
      prepared,
    };
    this.machines.set(arn, record);
    return record;
  }

  describeStateMachine(arn: string): StateMachineRecord {
    const machine = this.machines.get(arn);
    if (!machine) throw new SfnError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  listStateMachines(): StateMachineRecord[] {
    return [...this.machines.values()];
  }

  /**
   * StartExecution with AWS's name rules: a name in use by an open execution with the same input
   * returns that execution; a different input, or a closed execution of that name, is
   * ExecutionAlreadyExists.
   */
  async startExecution(input: {
    stateMachineArn: string;
    name?: string;
    input?: string;
  }): Promise<{ executionArn: string; startDate: Date }> {
    const machine = this.describeStateMachine(input.stateMachineArn);
    const name = input.name ?? crypto.randomUUID();
    if (!NAME_PATTERN.test(name)) throw new SfnError('InvalidName', `Invalid Name: '${name}'`);
    const inputText = input.input ?? '{}';
    let parsed: JsonValue;
    try {
      parsed = JSON.parse(inputText) as JsonValue;
    } catch {
      throw new SfnError('InvalidExecutionInput', `Invalid State Machine Execution Input: 'Unexpected input: ${inputText.slice(0, 40)}'`);
    }
    const executionArn = `arn:aws:states:${this.region}:${this.accountId}:execution:${machine.name}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      const { record } = existing;
      if (record.status === 'RUNNING' && record.input === inputText) return { executionArn, startDate: record.startDate };
      throw new SfnError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.stateMachineArn,
      name,
      status: 'RUNNING',
      startDate: this.clock(),
      input: inputText,
      history: [],
      redriveCount: 0,
    };
    const running: RunningExecution = { record, abort: () => {}, inFlight: new Set() };
    this.executions.set(executionArn, running);
    await this.launch(running, machine, machine.prepared.runnable, parsed, {});
    return { executionArn, startDate: record.startDate };
  }

  /** Runs a definition for an execution (from its start, or from where a redrive resumes it). */
  private async launch(
    running: RunningExecution,
    machine: StateMachineRecord,
    runnable: StateMachineDefinition,
    input: JsonValue,
    redrive: { reusedIterations?: Map<string, Set<number>> },
  ): Promise<void> {
    const { record } = running;
    const makeTimeoutError = await libraryTimeoutError();
    const handlers: Record<string, (taskInput: JsonValue) => Promise<JsonValue>> = {};
    for (const info of machine.prepared.tasks.values()) {
      handlers[info.name] = (taskInput) => this.runTaskState(running, info, taskInput, makeTimeoutError);
    }
    const sm = new StateMachine(runnable, { validationOptions: { noValidate: true } });
    const execution = sm.run(input, {
      overrides: { taskResourceLocalHandlers: handlers },
      noThrowOnAbort: true,
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          RoleArn: machine.roleArn,
          StartTime: record.startDate.toISOString(),
          RedriveCount: record.redriveCount,
        },
        StateMachine: { Id: machine.stateMachineArn, Name: machine.name },
        Task: { Token: TOKEN_SENTINEL },
      },
    });
    running.abort = execution.abort;
    void this.follow(running, machine.prepared, execution.eventLogs, execution.result, {
      redriven: record.redriveCount > 0,
      reusedIterations: redrive.reusedIterations ?? new Map(),
    });
  }

  /**
   * RedriveExecution: a FAILED, TIMED_OUT or ABORTED execution continues from the state that did
   * not finish, with that state's input, under the same ARN; earlier states are not run again.
   * For an inline Map only the iterations that did not succeed run again; the others keep their
   * results. History gets an ExecutionRedriven event and the execution's redriveCount goes up.
   */
  async redriveExecution(executionArn: string): Promise<{ redriveDate: Date }> {
    const running = this.executions.get(executionArn);
    if (!running) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    const { record } = running;
    if (record.status === 'RUNNING' || record.status === 'SUCCEEDED')
      throw new SfnError('ExecutionNotRedrivable', `Execution is ${record.status} and cannot be redriven.`);
    const machine = this.describeStateMachine(record.stateMachineArn);
    const runnable = JSON.parse(JSON.stringify(machine.prepared.runnable)) as StateMachineDefinition & {
      StartAt: string;
      States: Record<string, Record<string, unknown>>;
    };
    // The top-level state that was entered last and never exited is where the execution stopped.
    const open = new Map<string, HistoryEvent>();
    for (const event of record.history) {
      if (event.iterationIndex !== undefined || !event.stateName || !(event.stateName in runnable.States)) continue;
      if (event.type.endsWith('StateEntered')) open.set(event.stateName, event);
      else if (event.type.endsWith('StateExited')) open.delete(event.stateName);
    }
    const resumeAt = [...open.values()].sort((a, b) => a.id - b.id).at(-1);
    let input: JsonValue = JSON.parse(record.input) as JsonValue;
    const reusedIterations = new Map<string, Set<number>>();
    if (resumeAt) {
      runnable.StartAt = resumeAt.stateName!;
      input = JSON.parse((resumeAt.stateEnteredEventDetails as { input: string }).input) as JsonValue;
      const state = runnable.States[resumeAt.stateName!]!;
      if (state.Type === 'Map') {
        const reused = this.reuseSucceededIterations(record, resumeAt, state);
        if (reused.size) reusedIterations.set(resumeAt.stateName!, reused);
      }
    }
    record.status = 'RUNNING';
    for (const key of ['stopDate', 'output', 'error', 'cause'] as const) delete record[key];
    record.redriveCount += 1;
    record.redriveDate = this.clock();
    this.record(record, 'ExecutionRedriven', { executionRedrivenEventDetails: { redriveCount: record.redriveCount } });
    await this.launch(running, machine, runnable, input, { reusedIterations });
    return { redriveDate: record.redriveDate };
  }

  /**
   * Rewrites an inline Map (in place) so iterations that succeeded since `entered` return their
   * recorded output instead of running again; returns their indexes. A Map that shapes its items
   * (ItemSelector or Parameters) is left whole: every iteration runs again.
   */
  private reuseSucceededIterations(record: ExecutionRecord, entered: HistoryEvent, state: Record<string, unknown>): Set<number> {
    const name = entered.stateName!;
    const processor = (state.ItemProcessor ?? state.Iterator) as { StartAt: string; States: Record<string, unknown> } | undefined;
    if (!processor || state.ItemSelector || state.Parameters) return new Set();
    const outputs = new Map<number, string>();
    const succeeded = new Set<number>();
    for (const event of record.history.filter((e) => e.id > entered.id)) {
      if (event.iterationIndex === undefined) continue;
      if (event.type.endsWith('StateExited') && event.stateName !== name)
        outputs.set(event.iterationIndex, (event.stateExitedEventDetails as { output: string }).output);
      if (event.type === 'MapIterationSucceeded' && event.stateName === name) succeeded.add(event.iterationIndex);
    }
    const reused = [...succeeded].filter((i) => outputs.has(i));
    if (reused.length === 0) return new Set();
    const states: Record<string, unknown> = { ...processor.States };
    for (const i of reused)
      states[`${REDRIVE_STATE} Reuse Iteration ${i}`] = { Type: 'Pass', Result: JSON.parse(outputs.get(i)!) as unknown, End: true };
    states[`${REDRIVE_STATE} Rerun Iteration`] = { Type: 'Pass', InputPath: '$.item', Next: processor.StartAt };
    states[`${REDRIVE_STATE} Route Iteration`] = {
      Type: 'Choice',
      Choices: reused.map((i) => ({ Variable: '$.index', NumericEquals: i, Next: `${REDRIVE_STATE} Reuse Iteration ${i}` })),
      Default: `${REDRIVE_STATE} Rerun Iteration`,
    };
    state.ItemSelector = { 'index.$': '$$.Map.Item.Index', 'item.$': '$$.Map.Item.Value' };
    const key = state.ItemProcessor ? 'ItemProcessor' : 'Iterator';
    state[key] = { ...processor, StartAt: `${REDRIVE_STATE} Route Iteration`, States: states };
    return new Set(reused);
  }

  describeExecution(executionArn: string): ExecutionRecord {
    const found = this.executions.get(executionArn);
    if (!found) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return found.record;
  }

  listExecutions(filter: { stateMachineArn?: string; statusFilter?: ExecutionStatus } = {}): ExecutionRecord[] {
    if (filter.stateMachineArn) this.describeStateMachine(filter.stateMachineArn);
    return [...this.executions.values()]
      .map((e) => e.record)
      .filter((r) => (filter.stateMachineArn ? r.stateMachineArn === filter.stateMachineArn : true))
      .filter((r) => (filter.statusFilter ? r.status === filter.statusFilter : true))
      .sort((a, b) => b.startDate.getTime() - a.startDate.getTime());
  }

  getExecutionHistory(executionArn: string): HistoryEvent[] {
    return this.describeExecution(executionArn).history;
  }

  /** Resolves when the execution has a final status (for tests and the demo). */
  waitForExecution(executionArn: string): Promise<ExecutionRecord> {
    const record = this.describeExecution(executionArn);
    if (record.status !== 'RUNNING') return Promise.resolve(record);
    return new Promise((resolve) => {
      const onClosed = (closed: ExecutionRecord) => {
        if (closed.executionArn !== executionArn) return;
        this.off('executionClosed', onClosed);
        resolve(closed);
      };
      this.on('executionClosed', onClosed);
    });
  }

  /** StopExecution: ABORTED with the given error and cause; in-flight `.sync` ECS tasks are stopped. */
  stopExecution(executionArn: string, error?: string, cause?: string): { stopDate: Date } {
    const running = this.executions.get(executionArn);
    if (!running) throw new SfnError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    const { record } = running;
    if (record.status !== 'RUNNING') return { stopDate: record.stopDate ?? this.clock() };
    this.close(running, 'ABORTED', { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) });
    this.record(record, 'ExecutionAborted', {
      executionAbortedEventDetails: { ...(error !== undefined ? { error } : {}), ...(cause !== undefined ? { cause } : {}) },
    });
    running.abort();
    return { stopDate: record.stopDate! };
  }

  sendTaskSuccess(taskToken: string, output: string): void {
    const task = this.openTask(taskToken);
    let value: JsonValue;
    try {
      value = JSON.parse(output) as JsonValue;
    } catch {
      throw new SfnError('InvalidOutput', 'Invalid Output: output is not valid JSON');
    }
    task.settle?.resolve(value);
  }

  sendTaskFailure(taskToken: string, error?: string, cause?: string): void {
    const task = this.openTask(taskToken);
    // AWS uses an empty error name when the caller gives none.
    task.settle?.reject(new TaskError(error ?? '', cause ?? ''));
  }

  sendTaskHeartbeat(taskToken: string): void {
    this.openTask(taskToken).heartbeat?.();
  }

  /** Stops every open execution and answers every open poll: for shutdown. */
  stopAll(): void {
    for (const pollers of this.activityPollers.values()) for (const poller of [...pollers]) poller(undefined);
    for (const running of this.executions.values()) {
      if (running.record.status === 'RUNNING')
        this.stopExecution(running.record.executionArn, 'LocalCloudStopped', 'The local Step Functions was stopped');
    }
  }

  private openTask(taskToken: string): OpenTask {
    if (!decodeToken(taskToken)) throw new SfnError('InvalidToken', 'Invalid token');
    const task = this.tokens.get(taskToken);
    if (!task) throw new SfnError('TaskDoesNotExist', 'Task Does Not Exist');
    if (task.closed)
      throw new SfnError(
        'TaskTimedOut',
        'Task Timed Out: the task token has either expired or the task associated with the token has already been closed',
      );
    return task;
  }

  private issueToken(executionArn: string, stateName: string): OpenTask {
    const payload = Buffer.from(JSON.stringify({ e: executionArn, s: stateName, n: crypto.randomUUID() })).toString('base64url');
    const token = `AQ${payload}`;
    const task: OpenTask = { token, executionArn, stateName, closed: false };
    this.tokens.set(token, task);
    return task;
  }

  private claimIteration(executionArn: string, stateName: string): number | undefined {
    const entries = this.iterationEntries.get(`${executionArn}|${stateName}`);
    if (!entries) return undefined;
    const index = entries.pending.shift();
    if (index !== undefined) entries.last = index;
    return index ?? entries.last;
  }

  /** One Task state run: integration call, callback wait, timeouts, history events. */
  private async runTaskState(
    running: RunningExecution,
    info: TaskStateInfo,
    taskInput: JsonValue,
    makeTimeoutError: TimeoutErrorFactory,
  ): Promise<JsonValue> {
    const { record } = running;
    if (record.status !== 'RUNNING') throw new ExecutionClosedError(`execution ${record.executionArn} is closed`);
    // The library hands us the state before its StateEntered event reaches our history (it is
    // delivered through promise callbacks); one macrotask lets it land first.
    await new Promise((r) => setImmediate(r));
    if (record.status !== 'RUNNING') throw new ExecutionClosedError(`execution ${record.executionArn} is closed`);

    if (isActivityArn(info.resource)) return this.runActivityState(running, info, taskInput, makeTimeoutError);
    const { pattern, resourceType, resourceName } = splitResource(info.resource);
    const details = { resourceType, resource: resourceName };
    const carried = taskInput as Record<string, JsonValue>;
    const durationSeconds = (key: string, fixed: number | undefined, what: string): number | undefined => {
      if (fixed !== undefined) return fixed;
      if (!(key in carried)) return undefined;
      const value = carried[key];
      if (typeof value !== 'number' || !Number.isInteger(value) || value < 1) {
        throw new TaskError(
          'States.Runtime',
          `State "${info.name}": ${what} resolved to ${JSON.stringify(value)}; it must be a positive integer`,
        );
      }
      return value;
    };
    const timeoutSeconds = durationSeconds(TIMEOUT_KEY, info.timeoutSeconds, 'TimeoutSecondsPath');
    const heartbeatSeconds = durationSeconds(HEARTBEAT_KEY, info.heartbeatSeconds, 'HeartbeatSecondsPath');
    const timeoutMs = timeoutSeconds !== undefined ? timeoutSeconds * 1000 * this.timeScale : undefined;
    const heartbeatMs = heartbeatSeconds !== undefined ? heartbeatSeconds * 1000 * this.timeScale : undefined;
    const effective = (carried[PARAMS_KEY] ?? null) as JsonValue;
    let parameters = effective;
    let token: OpenTask | undefined;
    let callback: Promise<JsonValue> | undefined;
    if (pattern === 'callback' || jsonText(effective).includes(TOKEN_SENTINEL)) {
      const issued = this.issueToken(record.executionArn, info.name);
      token = issued;
      parameters = JSON.parse(jsonText(effective).replaceAll(TOKEN_SENTINEL, issued.token)) as JsonValue;
      // Listen before calling the integration: a worker may call back before it returns.
      callback = new Promise<JsonValue>((resolve, reject) => (issued.settle = { resolve, reject }));
      callback.catch(() => {});
    }
    const stateName = info.name;
    const index = this.claimIteration(record.executionArn, info.name);
    const iteration = index !== undefined ? { iterationIndex: index } : {};
    this.record(
      record,
      'TaskScheduled',
      {
        taskScheduledEventDetails: {
          ...details,
          region: this.region,
          parameters: jsonText(parameters),
          ...(timeoutSeconds !== undefined ? { timeoutInSeconds: timeoutSeconds } : {}),
          ...(heartbeatSeconds !== undefined && pattern === 'callback' ? { heartbeatInSeconds: heartbeatSeconds } : {}),
        },
      },
      { stateName, ...iteration },
    );
    this.record(record, 'TaskStarted', { taskStartedEventDetails: details }, { stateName, ...iteration });

    const controller = new AbortController();
    let timeoutTimer: NodeJS.Timeout | undefined;
    let heartbeatTimer: NodeJS.Timeout | undefined;
    let fail!: (error: Error) => void;
    const failed = new Promise<never>((_, reject) => (fail = reject));
    failed.catch(() => {});
    const cleanup = (reason: string): void => {
      clearTimeout(timeoutTimer);
      clearTimeout(heartbeatTimer);
      if (token) token.closed = true;
      if (!controller.signal.aborted) controller.abort(new Error(reason));
      running.inFlight.delete(cleanup);
    };
    running.inFlight.add(cleanup);
    // The execution closing (stop, timeout) ends the wait without another history event.
    const onClose = (reason: string) => fail(new ExecutionClosedError(reason));
    running.inFlight.add(onClose);

    const timeout = (error: 'States.Timeout' | 'States.HeartbeatTimeout', cause: string) => {
      if (controller.signal.aborted) return;
      this.record(record, 'TaskTimedOut', { taskTimedOutEventDetails: { ...details, error, cause } }, { stateName, ...iteration });
      cleanup(cause);
      fail(error === 'States.Timeout' ? makeTimeoutError(cause) : new TaskError(error, cause));
    };
    if (timeoutMs !== undefined) {
      timeoutTimer = setTimeout(
        () => timeout('States.Timeout', `Task "${stateName}" did not finish within TimeoutSeconds (${timeoutSeconds} s)`),
        timeoutMs,
      );
    }

    try {
      const work = (async (): Promise<JsonValue> => {
        const resolver = resolveIntegration(info.resource, this.integrations);
        const base = { executionArn: record.executionArn, stateName, resource: info.resource, parameters, signal: controller.signal };
        const result = await resolver(token ? { ...base, taskToken: token.token } : base);
        if (pattern !== 'callback') return result;
        this.record(
          record,
          'TaskSubmitted',
          { taskSubmittedEventDetails: { ...details, output: jsonText(result) } },
          { stateName, ...iteration },
        );
        const beat = (): void => {
          if (heartbeatMs === undefined || controller.signal.aborted) return;
          clearTimeout(heartbeatTimer);
          heartbeatTimer = setTimeout(
            () =>
              timeout('States.HeartbeatTimeout', `Task "${stateName}" sent no heartbeat within HeartbeatSeconds (${heartbeatSeconds} s)`),
            heartbeatMs,
          );
        };
        beat();
        token!.heartbeat = beat;
        return callback!;
      })();
      const output = await Promise.race([work, failed]);
      if (controller.signal.aborted) throw new ExecutionClosedError('task closed');
      this.record(
        record,
        'TaskSucceeded',
        { taskSucceededEventDetails: { ...details, output: jsonText(output) } },
        { stateName, ...iteration },
      );
      return output;
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      if (!(e instanceof ExecutionClosedError) && !(e.name === 'States.Timeout' || e.name === 'States.HeartbeatTimeout')) {
        this.record(
          record,
          'TaskFailed',
          { taskFailedEventDetails: { ...details, error: e.name, cause: e.message } },
          { stateName, ...iteration },
        );
      }
      throw e;
    } finally {
      cleanup('task finished');
      running.inFlight.delete(onClose);
    }
  }

  /**
   * One activity Task state: ActivityScheduled, a worker's GetActivityTask (ActivityStarted),
   * then its SendTaskSuccess/Failure (ActivitySucceeded/Failed) or a timeout (ActivityTimedOut):
   * TimeoutSeconds counts from scheduling, HeartbeatSeconds from the start and each heartbeat.
   */
  private async runActivityState(
    running: RunningExecution,
    info: TaskStateInfo,
    taskInput: JsonValue,
    makeTimeoutError: TimeoutErrorFactory,
  ): Promise<JsonValue> {
    const { record } = running;
    const stateName = info.name;
    const carried = taskInput as Record<string, JsonValue>;
    const seconds = (key: string, fixed: number | undefined): number | undefined =>
      fixed ?? (typeof carried[key] === 'number' ? (carried[key] as number) : undefined);
    const timeoutSeconds = seconds(TIMEOUT_KEY, info.timeoutSeconds);
    const heartbeatSeconds = seconds(HEARTBEAT_KEY, info.heartbeatSeconds);
    const input = jsonText(carried[PARAMS_KEY] ?? null);
    const index = this.claimIteration(record.executionArn, stateName);
    const meta = { stateName, ...(index !== undefined ? { iterationIndex: index } : {}) };
    const resource = info.resource;
    if (!this.activities.has(resource)) {
      const cause = `Activity Does Not Exist: '${resource}'`;
      this.record(record, 'ActivityScheduleFailed', { activityScheduleFailedEventDetails: { error: 'ActivityDoesNotExist', cause } }, meta);
      throw new TaskError('States.Runtime', cause);
    }
    const token = this.issueToken(record.executionArn, stateName);
    this.record(
      record,
      'ActivityScheduled',
      {
        activityScheduledEventDetails: {
          resource,
          input,
          inputDetails: { truncated: false },
          ...(timeoutSeconds !== undefined ? { timeoutInSeconds: timeoutSeconds } : {}),
          ...(heartbeatSeconds !== undefined ? { heartbeatInSeconds: heartbeatSeconds } : {}),
        },
      },
      meta,
    );
    let timeoutTimer: NodeJS.Timeout | undefined;
    let heartbeatTimer: NodeJS.Timeout | undefined;
    let settle!: { resolve(value: JsonValue): void; reject(error: Error): void };
    const outcome = new Promise<JsonValue>((resolve, reject) => (settle = { resolve, reject }));
    outcome.catch(() => {});
    token.settle = settle;
    const entry: ActivityTaskEntry = {
      token,
      input,
      start: (workerName) => {
        this.record(record, 'ActivityStarted', { activityStartedEventDetails: workerName ? { workerName } : {} }, meta);
        beat();
        token.heartbeat = beat;
      },
    };
    const cleanup = (): void => {
      clearTimeout(timeoutTimer);
      clearTimeout(heartbeatTimer);
      token.closed = true;
      this.withdrawActivityTask(resource, entry);
      running.inFlight.delete(onClose);
    };
    const onClose = (reason: string) => {
      cleanup();
      settle.reject(new ExecutionClosedError(reason));
    };
    running.inFlight.add(onClose);
    const timeout = (error: 'States.Timeout' | 'States.HeartbeatTimeout', cause: string) => {
      if (token.closed) return;
      this.record(record, 'ActivityTimedOut', { activityTimedOutEventDetails: { error, cause } }, meta);
      cleanup();
      settle.reject(error === 'States.Timeout' ? makeTimeoutError(cause) : new TaskError(error, cause));
    };
    const beat = (): void => {
      if (heartbeatSeconds === undefined || token.closed) return;
      clearTimeout(heartbeatTimer);
      heartbeatTimer = setTimeout(
        () =>
          timeout(
            'States.HeartbeatTimeout',
            `Activity of "${stateName}" sent no heartbeat within HeartbeatSeconds (${heartbeatSeconds} s)`,
          ),
        heartbeatSeconds * 1000 * this.timeScale,
      );
    };
    if (timeoutSeconds !== undefined) {
      timeoutTimer = setTimeout(
        () => timeout('States.Timeout', `Activity of "${stateName}" did not finish within TimeoutSeconds (${timeoutSeconds} s)`),
        timeoutSeconds * 1000 * this.timeScale,
      );
    }
    this.offerActivityTask(resource, entry);
    try {
      const output = await outcome;
      this.record(record, 'ActivitySucceeded', { activitySucceededEventDetails: { output: jsonText(output) } }, meta);
      return output;
    } catch (error) {
      const e = error instanceof Error ? error : new Error(String(error));
      if (!(e instanceof ExecutionClosedError) && !(e.name === 'States.Timeout' || e.name === 'States.HeartbeatTimeout'))
        this.record(record, 'ActivityFailed', { activityFailedEventDetails: { error: e.name, cause: e.message } }, meta);
      throw e;
    } finally {
      cleanup();
    }
  }

  /** Turns the library's event log into AWS history events and settles the execution. */
  private async follow(
    running: RunningExecution,
    _prepared: PreparedDefinition,
    events: AsyncGenerator<LibraryEvent>,
    result: Promise<unknown>,
    redrive: { redriven: boolean; reusedIterations: Map<string, Set<number>> },
  ): Promise<void> {
    const { record } = running;
    const mapStarted = new Set<string>();
    for await (const ev of events) {
      const at = new Date(ev.timestamp);
      // A redrive's bookkeeping states, and the iterations it reuses, are not part of the history.
      if ('state' in ev && (ev.state as { name?: string }).name?.startsWith(REDRIVE_STATE)) continue;
      if (
        ev.type.startsWith('MapIteration') &&
        redrive.reusedIterations.get((ev as { parentState: { name: string } }).parentState.name)?.has((ev as { index: number }).index)
      )
        continue;
      switch (ev.type) {
        case 'ExecutionStarted':
          if (redrive.redriven) break;
          this.record(
            record,
            'ExecutionStarted',
            {
              executionStartedEventDetails: {
                input: record.input,
                inputDetails: { truncated: false },
                roleArn: this.describeStateMachine(record.stateMachineArn).roleArn,
              },
            },
            {},
            at,
          );
          break;
        case 'StateEntered': {
          const type = ev.state.type;
          this.record(
            record,
            `${type}StateEntered`,
            { stateEnteredEventDetails: { name: ev.state.name, input: jsonText(ev.state.input), inputDetails: { truncated: false } } },
            { stateName: ev.state.name, ...(ev.index !== undefined ? { iterationIndex: ev.index } : {}) },
            at,
          );
          break;
        }
        case 'StateExited': {
          const type = ev.state.type;
          if (type === 'Map') this.record(record, 'MapStateSucceeded', {}, { stateName: ev.state.name }, at);
          if (type === 'Parallel') this.record(record, 'ParallelStateSucceeded', {}, { stateName: ev.state.name }, at);
          this.record(
            record,
            `${type}StateExited`,
            { stateExitedEventDetails: { name: ev.state.name, output: jsonText(ev.state.output), outputDetails: { truncated: false } } },
            { stateName: ev.state.name, ...(ev.index !== undefined ? { iterationIndex: ev.index } : {}) },
            at,
          );
          break;
        }
        case 'StateFailed': {
          const type = ev.state.type;
          if (type === 'Map') this.record(record, 'MapStateFailed', {}, { stateName: ev.state.name }, at);
          if (type === 'Parallel') this.record(record, 'ParallelStateFailed', {}, { stateName: ev.state.name }, at);
          break;
        }
        case 'MapIterationStarted':
        case 'MapIterationSucceeded':
        case 'MapIterationFailed': {
          const parent = ev.parentState.name;
          if (ev.type === 'MapIterationStarted' && !mapStarted.has(parent)) {
            mapStarted.add(parent);
            this.record(record, 'MapStateStarted', { mapStateStartedEventDetails: {} }, { stateName: parent }, at);
          }
          const key =
            ev.type === 'MapIterationStarted'
              ? 'mapIterationStartedEventDetails'
              : ev.type === 'MapIterationSucceeded'
                ? 'mapIterationSucceededEventDetails'
                : 'mapIterationFailedEventDetails';
          this.record(record, ev.type, { [key]: { name: parent, index: ev.index } }, { stateName: parent, iterationIndex: ev.index }, at);
          break;
        }
        case 'ParallelBranchStarted':
          if (!mapStarted.has(ev.parentState.name)) {
            mapStarted.add(ev.parentState.name);
            this.record(record, 'ParallelStateStarted', {}, { stateName: ev.parentState.name }, at);
          }
          break;
        case 'ExecutionSucceeded':
          if (record.status !== 'RUNNING') break;
          this.record(
            record,
            'ExecutionSucceeded',
            { executionSucceededEventDetails: { output: jsonText(ev.output), outputDetails: { truncated: false } } },
            {},
            at,
          );
          this.close(running, 'SUCCEEDED', { output: jsonText(ev.output) });
          break;
        case 'ExecutionFailed':
          if (record.status !== 'RUNNING') break;
          this.record(record, 'ExecutionFailed', { executionFailedEventDetails: { error: ev.Error, cause: String(ev.Cause) } }, {}, at);
          this.close(running, 'FAILED', { error: ev.Error, cause: String(ev.Cause) });
          break;
        case 'ExecutionTimeout':
          if (record.status !== 'RUNNING') break;
          this.record(
            record,
            'ExecutionTimedOut',
            {
              executionTimedOutEventDetails: {
                error: 'States.Timeout',
                cause: 'The execution did not finish within the state machine TimeoutSeconds',
              },
            },
            {},
            at,
          );
          this.close(running, 'TIMED_OUT', {
            error: 'States.Timeout',
            cause: 'The execution did not finish within the state machine TimeoutSeconds',
          });
          break;
        default:
          break; // StateRetried, StateCaught, branch ends: AWS has no history event for them
      }
    }
    await result.catch(() => undefined);
    // Safety net: the library's log ended without a terminal event.
    if (record.status === 'RUNNING') {
      const failure = await result.then(
        () => undefined,
        (e: Error) => e,
      );
      this.close(running, 'FAILED', { error: 'States.Runtime', cause: failure ? failure.message : 'the execution ended without a result' });
    }
  }

  private close(
    running: RunningExecution,
    status: Exclude<ExecutionStatus, 'RUNNING'>,
    outcome: { output?: string; error?: string; cause?: string },
  ): void {
    const { record } = running;
    record.status = status;
    record.stopDate = this.clock();
    Object.assign(record, outcome);
    for (const cleanup of [...running.inFlight]) cleanup(`execution ${status.toLowerCase()}`);
    this.emit('executionClosed', record);
  }

  private record(
    record: ExecutionRecord,
    type: string,
    details: Record<string, unknown>,
    meta: { stateName?: string; iterationIndex?: number } = {},
    at: Date = this.clock(),
  ): void {
    const id = record.history.length + 1;
    const event: HistoryEvent = { id, previousEventId: id - 1, timestamp: at, type, ...meta, ...details };
    if (type === 'TaskStateEntered' && meta.iterationIndex !== undefined && meta.stateName) {
      const key = `${record.executionArn}|${meta.stateName}`;
      const entries = this.iterationEntries.get(key) ?? { pending: [] };
      entries.pending.push(meta.iterationIndex);
      this.iterationEntries.set(key, entries);
    }
    record.history.push(event);
    this.emit('event', { executionArn: record.executionArn, event });
  }
}

/** A token this server could have issued (InvalidToken otherwise). */
function decodeToken(token: string): { e: string; s: string; n: string } | undefined {
  if (!token.startsWith('AQ')) return undefined;
  try {
    const value = JSON.parse(Buffer.from(token.slice(2), 'base64url').toString('utf8')) as unknown;
    if (value && typeof value === 'object' && 'e' in value && 's' in value && 'n' in value)
      return value as { e: string; s: string; n: string };
  } catch {
    return undefined;
  }
  return undefined;
}
