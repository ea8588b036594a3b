/**
 * Local ECS: runs a task definition's containers as child processes. RunTask applies the
 * container overrides (command, environment) on top of the task definition, adds the local
 * cloud's AWS endpoint variables, and tracks each task PROVISIONING → RUNNING → STOPPED with
 * exit codes and stop reasons the way ECS reports them, emitting `ECS Task State Change`
 * events shaped like EventBridge delivers them.
 *
 * An awsvpc task gets its own loopback address (127.0.0.10, .11, ...) standing in for its
 * network interface's private IP: DescribeTasks reports it as AWS does, and `{taskIp}` in a
 * container's environment becomes it, so a server in the container can listen there.
 * An EXTERNAL task (ECS Anywhere's launch type) runs no process: whoever asked for it serves
 * at its address (benchmarks and tests with thousands of in-process endpoints).
 * Services (services.ts) keep a desired number of tasks running through this class.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import { createInterface } from 'node:readline';

/** How one container of a task definition runs on this machine, declared once per task definition. */
export interface LocalContainerSpec {
  /** Shown as the container image; defaults to `local/<family>-<container>`. */
  image?: string;
  /** Prefix kept when RunTask overrides the command (like a Docker ENTRYPOINT). */
  entryPoint?: string[];
  /** Default command (like CMD); RunTask's `command` override replaces it. */
  command?: string[];
  /** Working directory; relative paths resolve against the LocalEcs `baseDir`. */
  cwd?: string;
  /** The task definition's container environment; `{taskIp}` and `{taskArn}` are filled in per task. */
  environment?: Record<string, string>;
  /** The container definition's `Secrets`: each becomes a variable, its value from LocalEcsOptions.secrets. */
  secrets?: Array<{ name: string; valueFrom: string }>;
  /** ECS stops the task when an essential container exits. Default true. */
  essential?: boolean;
  cpu?: number;
  memory?: number;
  dockerLabels?: Record<string, string>;
  portMappings?: Array<{ containerPort: number; hostPort?: number; protocol?: 'tcp' | 'udp' }>;
}

export type NetworkMode = 'awsvpc' | 'bridge' | 'host';

export interface LocalTaskDefinitionInput {
  family: string;
  containers: Record<string, LocalContainerSpec>;
  /** Default awsvpc, as Fargate requires. */
  networkMode?: NetworkMode;
  cpu?: string;
  memory?: string;
  tags?: { key: string; value: string }[];
}

export interface LocalTaskDefinition extends LocalTaskDefinitionInput {
  revision: number;
  taskDefinitionArn: string;
}

export interface KeyValue {
  name: string;
  value: string;
}

export interface ContainerOverride {
  name: string;
  command?: string[];
  environment?: KeyValue[];
  cpu?: number;
  memory?: number;
}

export interface RunTaskInput {
  cluster?: string;
  taskDefinition: string;
  count?: number;
  group?: string;
  startedBy?: string;
  launchType?: string;
  overrides?: { containerOverrides?: ContainerOverride[]; cpu?: string; memory?: string };
  tags?: { key: string; value: string }[];
  propagateTags?: string;
  /** The first provider is the one the task runs on (FARGATE, FARGATE_SPOT or an EC2 provider). */
  capacityProviderStrategy?: Array<{ capacityProvider: string; weight?: number; base?: number }>;
}

/**
 * A failure the local ECS plays on the next tasks that match (fault drills and tests):
 * - `image-pull`: the task fails to start as ECS reports a missing image (TaskFailedToStart,
 *   CannotPullContainerError);
 * - `spot-interruption`: a task on FARGATE_SPOT is interrupted `afterMs` after it started, as
 *   Fargate Spot does: stop code SpotInterruption, SIGTERM, SIGKILL after the stop timeout.
 *   Tasks on other capacity providers are never interrupted and do not use the fault up.
 */
export interface TaskFault {
  kind: 'image-pull' | 'spot-interruption';
  /** How many tasks it applies to (default 1). */
  count?: number;
  /** Only tasks of this task definition family (default: any). */
  family?: string;
  /** spot-interruption: how long after the start (default 100 ms). */
  afterMs?: number;
}

export type TaskStatus = 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'STOPPED';

export interface LocalContainer {
  containerArn: string;
  taskArn: string;
  name: string;
  image: string;
  lastStatus: TaskStatus;
  exitCode?: number;
  reason?: string;
  essential: boolean;
  runtimeId?: string;
  networkBindings: Array<{ containerPort: number; hostPort: number; protocol: string }>;
  networkInterfaces: Array<{ attachmentId: string; privateIpv4Address: string }>;
}

export interface TaskAttachment {
  id: string;
  type: 'ElasticNetworkInterface';
  status: 'ATTACHED' | 'DELETED';
  details: KeyValue[];
}

export interface LogLine {
  taskArn: string;
  container: string;
  stream: 'stdout' | 'stderr';
  line: string;
  timestamp: Date;
}

/** A task as DescribeTasks reports it; dates are Date objects, serialised per protocol. */
export interface LocalTask {
  taskArn: string;
  clusterArn: string;
  taskDefinitionArn: string;
  group: string;
  startedBy?: string;
  launchType: string;
  platformVersion: string;
  availabilityZone: string;
  cpu: string;
  memory: string;
  lastStatus: TaskStatus;
  desiredStatus: 'RUNNING' | 'STOPPED';
  createdAt: Date;
  pullStartedAt?: Date;
  pullStoppedAt?: Date;
  startedAt?: Date;
  stoppingAt?: Date;
  executionStoppedAt?: Date;
  stoppedAt?: Date;
  updatedAt: Date;
  stopCode?: 'TaskFailedToStart' | 'EssentialContainerExited' | 'UserInitiated' | 'SpotInterruption';
  /** Set when RunTask named a capacity provider strategy. */
  capacityProviderName?: string;
  stoppedReason?: string;
  containers: LocalContainer[];
  overrides: { containerOverrides: ContainerOverride[] };
  attachments: TaskAttachment[];
  tags: { key: string; value: string }[];
  version: number;
  /** Not in AWS: every stdout/stderr line of the task's containers. */
  logs: LogLine[];
}

export interface RunTaskFailure {
  arn?: string;
  reason: string;
  detail?: string;
}

export interface LocalEcsOptions {
  region?: string;
  accountId?: string;
  /** Base folder for relative container `cwd`s. Default: process.cwd(). */
  baseDir?: string;
  /** The local cloud's AWS variables (AWS_ENDPOINT_URL_S3, AWS_REGION, credentials...) given to every task. */
  awsEnvironment?: Record<string, string>;
  /** Host variables passed through to containers (a container needs PATH to find `node`). */
  inheritEnvironment?: string[];
  /** StopTask: SIGTERM, then SIGKILL after this long (ECS default is 30 s). */
  stopTimeoutMs?: number;
  /** Hands out awsvpc task addresses; default 127.0.0.10 upwards. */
  taskAddresses?: () => string;
  /** When given, the only clusters there are: any other is a ClusterNotFoundException. */
  clusters?: string[];
  /**
   * Where containers' secrets come from, read as each task starts: `valueOf` by the variable's
   * name (and its ValueFrom), `where` said when a value is missing. Without it, a container
   * with secrets fails to start as ECS does when it cannot read them.
   */
  secrets?: { valueOf: (name: string, valueFrom: string) => string | undefined; where: string };
}

/** Hands out 127.0.0.N addresses from `first` (Linux routes all of 127.0.0.0/8 to loopback). */
export function loopbackAllocator(first = 10): () => string {
  let next = first;
  return () => {
    const n = next;
    next += 1;
    return `127.${Math.floor(n / 65536) % 256}.${Math.floor(n / 256) % 256}.${n % 256}`;
  };
}

export interface TaskStateChangeEvent {
  version: '0';
  id: string;
  'detail-type': 'ECS Task State Change';
  source: 'aws.ecs';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: Record<string, unknown>;
}

export class TaskDefinitionError extends Error {
  override readonly name = 'TaskDefinitionError';
}

export class ClusterNotFoundError extends Error {
  override readonly name = 'ClusterNotFoundError';
}

interface Deferred<T> {
  promise: Promise<T>;
  resolve(value: T): void;
}
const deferred = <T>(): Deferred<T> => {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
};

const DEFAULT_INHERIT = ['PATH', 'HOME', 'TMPDIR', 'TEMP', 'TMP', 'LANG', 'SystemRoot', 'USER'];
const CAPACITY_REASON = 'Capacity is unavailable at this time. Please try again later or in a different availability zone';

interface Running {
  task: LocalTask;
  children: Map<string, ChildProcess>;
  killTimer?: NodeJS.Timeout;
  stopped: Deferred<LocalTask>;
}

export interface LocalEcsEvents {
  taskStateChange: [TaskStateChangeEvent];
  log: [LogLine];
}

export class LocalEcs extends EventEmitter<LocalEcsEvents> {
  readonly region: string;
  readonly accountId: string;
  private readonly baseDir: string;
  private readonly awsEnvironment: Record<string, string>;
  private readonly inherit: string[];
  private readonly stopTimeoutMs: number;
  private readonly definitions = new Map<string, LocalTaskDefinition[]>();
  private readonly tasks = new Map<string, Running>();
  private readonly nextAddress: () => string;
  private readonly clusters: Set<string> | undefined;
  private readonly secrets: LocalEcsOptions['secrets'];
  private capacityFailures = 0;
  private readonly faults: Array<Required<Pick<TaskFault, 'kind' | 'afterMs'>> & { left: number; family?: string }> = [];

  constructor(options: LocalEcsOptions = {}) {
    super();
    this.region = options.region ?? 'us-east-1';
    this.accountId = options.accountId ?? '000000000000';
    this.baseDir = options.baseDir ?? process.cwd();
    this.awsEnvironment = { ...(options.awsEnvironment ?? {}) };
    this.inherit = options.inheritEnvironment ?? DEFAULT_INHERIT;
    this.stopTimeoutMs = options.stopTimeoutMs ?? 30_000;
    this.nextAddress = options.taskAddresses ?? loopbackAllocator();
    this.clusters = options.clusters ? new Set(options.clusters.map((c) => this.clusterArn(c))) : undefined;
    this.secrets = options.secrets;
  }

  /** Adds a revision of the family (like RegisterTaskDefinition) and returns it. */
  registerTaskDefinition(input: LocalTaskDefinitionInput): LocalTaskDefinition {
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(input.family))
      throw new TaskDefinitionError(`task definition family "${input.family}" must be 1-255 letters, digits, - or _`);
    const names = Object.keys(input.containers);
    if (names.length === 0) throw new TaskDefinitionError(`task definition "${input.family}" declares no containers`);
    const revisions = this.definitions.get(input.family) ?? [];
    const revision = revisions.length + 1;
    const def: LocalTaskDefinition = {
      ...input,
      revision,
      taskDefinitionArn: `arn:aws:ecs:${this.region}:${this.accountId}:task-definition/${input.family}:${revision}`,
    };
    revisions.push(def);
    this.definitions.set(input.family, revisions);
    return def;
  }

  /** Adds or replaces AWS variables given to tasks started from now on (e.g. once emulator ports are known). */
  setAwsEnvironment(env: Record<string, string>): void {
    Object.assign(this.awsEnvironment, env);
  }

  /** The next `count` RunTask calls answer with a capacity failure instead of starting a task. */
  injectCapacityFailures(count: number): void {
    this.capacityFailures += count;
  }

  /** Plays `fault` on the next matching tasks (see TaskFault). */
  injectFault(fault: TaskFault): void {
    this.faults.push({
      kind: fault.kind,
      left: fault.count ?? 1,
      afterMs: fault.afterMs ?? 100,
      ...(fault.family !== undefined ? { family: fault.family } : {}),
    });
  }

  /** The first injected fault that applies to this task, used up by one. */
  private takeFault(def: LocalTaskDefinition, task: LocalTask): TaskFault['kind'] | undefined {
    const at = this.faults.findIndex(
      (f) =>
        f.left > 0 &&
        (f.family === undefined || f.family === def.family) &&
        (f.kind !== 'spot-interruption' || task.capacityProviderName === 'FARGATE_SPOT'),
    );
    if (at < 0) return undefined;
    const fault = this.faults[at]!;
    fault.left -= 1;
    if (fault.left === 0) this.faults.splice(at, 1);
    if (fault.kind === 'spot-interruption') {
      const running = this.tasks.get(task.taskArn)!;
      const timer = setTimeout(() => this.interrupt(running), fault.afterMs);
      void running.stopped.promise.then(() => clearTimeout(timer));
    }
    return fault.kind;
  }

  /** Fargate Spot takes the capacity back: stop code SpotInterruption, SIGTERM, SIGKILL after the stop timeout. */
  private interrupt(running: Running): void {
    this.stopRunning(running, 'SpotInterruption', 'Your Spot Task was interrupted.');
  }

  /** Stops a task as ECS does: STOPPED desired with its stop code, SIGTERM, SIGKILL after the stop timeout. */
  private stopRunning(running: Running, stopCode: 'UserInitiated' | 'SpotInterruption', reason: string): void {
    const { task } = running;
    if (task.desiredStatus === 'STOPPED') return;
    task.desiredStatus = 'STOPPED';
    task.stopCode = stopCode;
    task.stoppedReason = reason;
    task.stoppingAt = new Date();
    this.touch(task);
    this.emitState(task);
    for (const child of running.children.values()) child.kill('SIGTERM');
    if (running.children.size === 0) this.finish(running);
    else {
      running.killTimer = setTimeout(() => {
        for (const child of running.children.values()) child.kill('SIGKILL');
      }, this.stopTimeoutMs);
    }
  }

  /** Accepts `family`, `family:revision` or a task definition ARN, like RunTask. */
  findTaskDefinition(ref: string): LocalTaskDefinition | undefined {
    const name = ref.startsWith('arn:') ? (ref.split('task-definition/')[1] ?? '') : ref;
    const [family, rev] = name.split(':');
    const revisions = this.definitions.get(family ?? '');
    if (!revisions) return undefined;
    if (rev === undefined) return revisions.at(-1);
    return revisions.find((d) => d.revision === Number(rev));
  }

  /** The task definition as DescribeTaskDefinition reports it (undefined: no such revision). */
  describeTaskDefinition(ref: string): Record<string, unknown> | undefined {
    const def = this.findTaskDefinition(ref);
    if (!def) return undefined;
    return {
      taskDefinitionArn: def.taskDefinitionArn,
      family: def.family,
      revision: def.revision,
      status: 'ACTIVE',
      networkMode: def.networkMode ?? 'awsvpc',
      requiresCompatibilities: ['FARGATE'],
      ...(def.cpu ? { cpu: def.cpu } : {}),
      ...(def.memory ? { memory: def.memory } : {}),
      containerDefinitions: Object.entries(def.containers).map(([name, c]) => ({
        name,
        image: c.image ?? `local/${def.family}-${name}`,
        essential: c.essential ?? true,
        ...(c.command ? { command: c.command } : {}),
        ...(c.entryPoint ? { entryPoint: c.entryPoint } : {}),
        environment: Object.entries(c.environment ?? {}).map(([key, value]) => ({ name: key, value })),
        dockerLabels: c.dockerLabels ?? {},
        portMappings: (c.portMappings ?? []).map((m) => ({ protocol: 'tcp', ...m })),
      })),
    };
  }

  clusterArn(cluster?: string): string {
    if (cluster?.startsWith('arn:')) return cluster;
    return `arn:aws:ecs:${this.region}:${this.accountId}:cluster/${cluster || 'default'}`;
  }

  /** The cluster's ARN; a ClusterNotFoundError when the local ECS was given its clusters and this is not one. */
  checkCluster(cluster?: string): string {
    const arn = this.clusterArn(cluster);
    if (this.clusters && !this.clusters.has(arn))
      throw new ClusterNotFoundError(
        `Cluster not found: ${cluster ?? 'default'} (local clusters: ${[...this.clusters].map((c) => c.split('/').at(-1)).join(', ')})`,
      );
    return arn;
  }

  runTask(input: RunTaskInput): { tasks: LocalTask[]; failures: RunTaskFailure[] } {
    this.checkCluster(input.cluster);
    const def = this.findTaskDefinition(input.taskDefinition);
    if (!def) {
      const known = [...this.definitions.keys()].join(', ') || 'none registered';
      return {
        tasks: [],
        failures: [
          {
            arn: input.taskDefinition,
            reason: 'MISSING',
            detail: `task definition "${input.taskDefinition}" is not registered with the local ECS (known families: ${known})`,
          },
        ],
      };
    }
    const count = input.count ?? 1;
    const tasks: LocalTask[] = [];
    const failures: RunTaskFailure[] = [];
    for (let i = 0; i < count; i++) {
      if (this.capacityFailures > 0) {
        this.capacityFailures--;
        failures.push({ arn: def.taskDefinitionArn, reason: CAPACITY_REASON });
        continue;
      }
      tasks.push(this.launch(def, input));
    }
    return { tasks, failures };
  }

  describeTasks(taskArns: string[]): { tasks: LocalTask[]; failures: RunTaskFailure[] } {
    const tasks: LocalTask[] = [];
    const failures: RunTaskFailure[] = [];
    for (const ref of taskArns) {
      const found = this.getTask(ref);
      if (found) tasks.push(found);
      else failures.push({ arn: ref, reason: 'MISSING' });
    }
    return { tasks, failures };
  }

  getTask(ref: string): LocalTask | undefined {
    return (this.tasks.get(ref) ?? [...this.tasks.values()].find((r) => r.task.taskArn.endsWith(`/${ref}`)))?.task;
  }

  listTasks(filter: { cluster?: string; family?: string; desiredStatus?: string; startedBy?: string; group?: string } = {}): string[] {
    const clusterArn = filter.cluster ? this.checkCluster(filter.cluster) : undefined;
    return [...this.tasks.values()]
      .map((r) => r.task)
      .filter((t) => (clusterArn ? t.clusterArn === clusterArn : true))
      .filter((t) => (filter.group ? t.group === filter.group : true))
      .filter((t) => (filter.family ? t.taskDefinitionArn.includes(`task-definition/${filter.family}:`) : true))
      .filter((t) => (filter.startedBy ? t.startedBy === filter.startedBy : true))
      .filter((t) => t.desiredStatus === (filter.desiredStatus ?? 'RUNNING'))
      .map((t) => t.taskArn);
  }

  /** StopTask: SIGTERM to every container, SIGKILL after the grace period; stop code UserInitiated. */
  stopTask(ref: string, reason = 'Task stopped by user'): LocalTask {
    const running = this.tasks.get(ref) ?? [...this.tasks.values()].find((r) => r.task.taskArn.endsWith(`/${ref}`));
    if (!running) throw new UnknownTaskError(`The referenced task was not found: ${ref}`);
    this.stopRunning(running, 'UserInitiated', reason);
    return running.task;
  }

  /** Resolves with the task once it is STOPPED (what a `.sync` waiter polls for). */
  waitForStopped(taskArn: string): Promise<LocalTask> {
    const running = this.tasks.get(taskArn);
    if (!running) return Promise.reject(new UnknownTaskError(`The referenced task was not found: ${taskArn}`));
    return running.stopped.promise;
  }

  /** Stops every running task (SIGKILL after the grace period) and waits for them: for shutdown. */
  async stopAll(): Promise<void> {
    const open = [...this.tasks.values()].filter((r) => r.task.lastStatus !== 'STOPPED');
    for (const r of open) this.stopTask(r.task.taskArn, 'Local ECS shut down');
    await Promise.all(open.map((r) => r.stopped.promise));
  }

  private launch(def: LocalTaskDefinition, input: RunTaskInput): LocalTask {
    const id = crypto.randomUUID().replaceAll('-', '');
    const clusterArn = this.clusterArn(input.cluster);
    const clusterName = clusterArn.split('/').at(-1)!;
    const taskArn = `arn:aws:ecs:${this.region}:${this.accountId}:task/${clusterName}/${id}`;
    const now = new Date();
    const overrides = input.overrides?.containerOverrides ?? [];
    const address = (def.networkMode ?? 'awsvpc') === 'awsvpc' ? this.nextAddress() : undefined;
    const attachmentId = `eni-attach-${id.slice(0, 17)}`;
    const task: LocalTask = {
      taskArn,
      clusterArn,
      taskDefinitionArn: def.taskDefinitionArn,
      group: input.group ?? `family:${def.family}`,
      ...(input.startedBy !== undefined ? { startedBy: input.startedBy } : {}),
      launchType: input.launchType ?? 'FARGATE',
      ...(input.capacityProviderStrategy?.[0] ? { capacityProviderName: input.capacityProviderStrategy[0].capacityProvider } : {}),
      platformVersion: '1.4.0',
      availabilityZone: `${this.region}a`,
      cpu: input.overrides?.cpu ?? def.cpu ?? '256',
      memory: input.overrides?.memory ?? def.memory ?? '512',
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
      createdAt: now,
      updatedAt: now,
      containers: Object.entries(def.containers).map(([name, spec]) => ({
        containerArn: `arn:aws:ecs:${this.region}:${this.accountId}:container/${clusterName}/${id}/${crypto.randomUUID()}`,
        taskArn,
        name,
        image: spec.image ?? `local/${def.family}-${name}`,
        lastStatus: 'PENDING',
        essential: spec.essential ?? true,
        networkBindings: [],
        networkInterfaces: address ? [{ attachmentId, privateIpv4Address: address }] : [],
      })),
      overrides: { containerOverrides: overrides },
      attachments: address
        ? [
            {
              id: attachmentId,
              type: 'ElasticNetworkInterface',
              status: 'ATTACHED',
              details: [
                { name: 'subnetId', value: 'subnet-local' },
                { name: 'networkInterfaceId', value: `eni-${id.slice(0, 17)}` },
                { name: 'privateIPv4Address', value: address },
              ],
            },
          ]
        : [],
      tags: [...(input.propagateTags === 'TASK_DEFINITION' ? (def.tags ?? []) : []), ...(input.tags ?? [])],
      version: 1,
      logs: [],
    };
    const running: Running = { task, children: new Map(), stopped: deferred<LocalTask>() };
    this.tasks.set(taskArn, running);
    this.emitState(task);
    const fault = this.takeFault(def, task);
    // Start after RunTask has answered, like ECS: callers see PROVISIONING first.
    setImmediate(() => {
      if (fault !== 'image-pull') return this.start(running, def);
      const container = task.containers[0]!;
      // What ECS reports when the image (or its tag) does not exist in the registry.
      this.failToStart(
        running,
        container,
        `CannotPullContainerError: pull image manifest has been retried 5 time(s): failed to resolve ref ${container.image}: not found (local ECS: injected image-pull fault)`,
      );
    });
    return task;
  }

  /** The awsvpc address of a task (undefined for bridge or host networking). */
  addressOf(task: LocalTask): string | undefined {
    return task.attachments[0]?.details.find((d) => d.name === 'privateIPv4Address')?.value;
  }

  private start(running: Running, def: LocalTaskDefinition): void {
    const { task } = running;
    if (task.desiredStatus === 'STOPPED') return;
    if (task.launchType === 'EXTERNAL') return this.startExternal(running);
    const placeholders: Record<string, string> = { taskIp: this.addressOf(task) ?? '127.0.0.1', taskArn: task.taskArn };
    const fill = (value: string) => value.replace(/\{(taskIp|taskArn)\}/g, (_, name: string) => placeholders[name]!);
    const plans: { container: LocalContainer; argv: string[]; cwd: string; env: Record<string, string> }[] = [];
    for (const container of task.containers) {
      const spec = def.containers[container.name]!;
      const override = task.overrides.containerOverrides.find((o) => o.name === container.name);
      const argv = [...(spec.entryPoint ?? []), ...(override?.command ?? spec.command ?? [])];
      if (argv.length === 0) {
        return this.failToStart(
          running,
          container,
          `CannotStartContainerError: container "${container.name}" of ${def.family}:${def.revision} has no command to run locally (give it one in the task definition, pipelines.yml task.command or its Dockerfile's CMD, local/cloud/containers.yml, or the RunTask override)`,
        );
      }
      const cwd = spec.cwd ? (isAbsolute(spec.cwd) ? spec.cwd : resolve(this.baseDir, spec.cwd)) : this.baseDir;
      if (!existsSync(cwd) || !statSync(cwd).isDirectory()) {
        return this.failToStart(
          running,
          container,
          `CannotStartContainerError: working directory "${cwd}" of container "${container.name}" (task definition ${def.family}:${def.revision}) does not exist; build or create it first`,
        );
      }
      const env: Record<string, string> = {};
      for (const name of this.inherit) if (process.env[name] !== undefined) env[name] = process.env[name]!;
      Object.assign(env, this.awsEnvironment);
      for (const [key, value] of Object.entries(spec.environment ?? {})) env[key] = fill(value);
      for (const secret of spec.secrets ?? []) {
        let value: string | undefined;
        try {
          value = this.secrets?.valueOf(secret.name, secret.valueFrom);
        } catch (error) {
          return this.failToStart(
            running,
            container,
            `ResourceInitializationError: unable to pull secrets or registry auth: ${(error as Error).message}`,
          );
        }
        if (value === undefined) {
          // ECS's own words when the execution role cannot read a secret, then what to do locally.
          return this.failToStart(
            running,
            container,
            `ResourceInitializationError: unable to pull secrets or registry auth: secret ${secret.name} (${secret.valueFrom}) has no local value: set ${secret.name} in ${this.secrets?.where ?? 'the local secrets'}`,
          );
        }
        env[secret.name] = value;
      }
      for (const kv of override?.environment ?? []) env[kv.name] = kv.value;
      env.ECS_CONTAINER_METADATA_URI_V4 ??= `http://127.0.0.1/local-ecs/${task.taskArn.split('/').at(-1)}`;
      plans.push({ container, argv, cwd, env });
    }
    for (const plan of plans) this.spawnContainer(running, plan.container, plan.argv, plan.cwd, plan.env);
  }

  /** An EXTERNAL task: running at once, with no process of its own. */
  private startExternal(running: Running): void {
    const { task } = running;
    const now = new Date();
    for (const container of task.containers) container.lastStatus = 'RUNNING';
    task.pullStartedAt = task.pullStoppedAt = task.startedAt = now;
    task.lastStatus = 'RUNNING';
    this.touch(task);
    this.emitState(task);
  }

  private spawnContainer(running: Running, container: LocalContainer, argv: string[], cwd: string, env: Record<string, string>): void {
    const { task } = running;
    const [file, ...args] = argv;
    const child = spawn(file!, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    running.children.set(container.name, child);
    child.once('spawn', () => {
      container.lastStatus = 'RUNNING';
      container.runtimeId = String(child.pid);
      if (task.lastStatus !== 'RUNNING' && task.desiredStatus === 'RUNNING') {
        const now = new Date();
        task.pullStartedAt = task.pullStoppedAt = task.startedAt = now;
        task.lastStatus = 'RUNNING';
        this.touch(task);
        this.emitState(task);
      }
    });
    for (const stream of ['stdout', 'stderr'] as const) {
      createInterface({ input: child[stream] }).on('line', (line) => {
        const entry: LogLine = { taskArn: task.taskArn, container: container.name, stream, line, timestamp: new Date() };
        task.logs.push(entry);
        this.emit('log', entry);
      });
    }
    child.once('error', (error: NodeJS.ErrnoException) => {
      if (container.lastStatus === 'RUNNING') return; // a kill() error after start; 'exit' reports it
      running.children.delete(container.name);
      const what =
        error.code === 'ENOENT' ? `exec: "${file}": executable file not found in $PATH` : `${error.code ?? error.name}: ${error.message}`;
      this.failToStart(
        running,
        container,
        `CannotStartContainerError: ${what} (local ECS: container "${container.name}" of ${task.taskDefinitionArn.split('/').at(-1)}, command ${JSON.stringify(argv)}, cwd ${cwd})`,
      );
    });
    child.once('close', (code, signal) => {
      if (container.lastStatus !== 'RUNNING') return; // never started: 'error' handled it
      running.children.delete(container.name);
      container.lastStatus = 'STOPPED';
      // Docker reports a signal death as 128 + signal number, and ECS passes that on.
      container.exitCode = code ?? 128 + (signal === 'SIGKILL' ? 9 : signal === 'SIGTERM' ? 15 : 1);
      if (container.essential && task.desiredStatus === 'RUNNING') {
        task.desiredStatus = 'STOPPED';
        task.stopCode = 'EssentialContainerExited';
        task.stoppedReason = 'Essential container in task exited';
        task.stoppingAt = new Date();
        for (const other of running.children.values()) other.kill('SIGTERM');
      }
      if (running.children.size === 0) this.finish(running);
    });
  }

  private failToStart(running: Running, container: LocalContainer, reason: string): void {
    const { task } = running;
    container.lastStatus = 'STOPPED';
    container.reason = reason;
    task.desiredStatus = 'STOPPED';
    task.stopCode = 'TaskFailedToStart';
    task.stoppedReason = reason;
    task.stoppingAt = new Date();
    for (const other of running.children.values()) other.kill('SIGKILL');
    if (running.children.size === 0) this.finish(running);
  }

  private finish(running: Running): void {
    const { task } = running;
    if (task.lastStatus === 'STOPPED') return;
    if (running.killTimer) clearTimeout(running.killTimer);
    const now = new Date();
    for (const c of task.containers) if (c.lastStatus !== 'STOPPED') c.lastStatus = 'STOPPED';
    task.lastStatus = 'STOPPED';
    task.desiredStatus = 'STOPPED';
    task.executionStoppedAt = task.stoppedAt = now;
    for (const attachment of task.attachments) attachment.status = 'DELETED';
    this.touch(task);
    this.emitState(task);
    running.stopped.resolve(task);
  }

  private touch(task: LocalTask): void {
    task.updatedAt = new Date();
    task.version++;
  }

  private emitState(task: LocalTask): void {
    this.emit('taskStateChange', {
      version: '0',
      id: crypto.randomUUID(),
      'detail-type': 'ECS Task State Change',
      source: 'aws.ecs',
      account: this.accountId,
      time: new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [task.taskArn],
      detail: taskToEventDetail(task),
    });
  }
}

export class UnknownTaskError extends Error {
  override readonly name = 'UnknownTaskError';
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Drops the local-only fields and undefined values; dates through `date`. */
function serialise(task: LocalTask, date: (d: Date) => Json): { [k: string]: Json } {
  const out: { [k: string]: Json } = {};
  const put = (value: unknown): Json | undefined => {
    if (value === undefined) return undefined;
    if (value instanceof Date) return date(value);
    if (Array.isArray(value)) return value.map((v) => put(v) ?? null);
    if (value !== null && typeof value === 'object') {
      const o: { [k: string]: Json } = {};
      for (const [k, v] of Object.entries(value)) {
        const j = put(v);
        if (j !== undefined) o[k] = j;
      }
      return o;
    }
    return value as Json;
  };
  for (const [k, v] of Object.entries(task)) {
    if (k === 'logs') continue;
    const j = put(v);
    if (j !== undefined) out[k] = j;
  }
  return out;
}

/** DescribeTasks / RunTask shape for the AWS JSON protocol: timestamps as epoch seconds. */
export const taskToApi = (task: LocalTask): { [k: string]: Json } => serialise(task, (d) => d.getTime() / 1000);

/** `detail` of an `ECS Task State Change` event: ISO timestamps, as EventBridge delivers them. */
export const taskToEventDetail = (task: LocalTask): { [k: string]: Json } => serialise(task, (d) => d.toISOString());

const pascal = (value: Json): Json => {
  if (Array.isArray(value)) return value.map(pascal);
  if (value !== null && typeof value === 'object') {
    const o: { [k: string]: Json } = {};
    for (const [k, v] of Object.entries(value)) o[k.charAt(0).toUpperCase() + k.slice(1)] = pascal(v);
    return o;
  }
  return value;
};

/** What Step Functions' ECS integration returns and puts in a failure's Cause: PascalCase keys, epoch-millisecond dates. */
export const taskToStepFunctions = (task: LocalTask): Json => pascal(serialise(task, (d) => d.getTime()));
