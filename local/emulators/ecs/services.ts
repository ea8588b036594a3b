/**
 * ECS services on the local ECS: each keeps `desiredCount` tasks of its task definition
 * running, as the ECS service scheduler does. It starts tasks when there are too few
 * (group `service:<name>`, startedBy `ecs-svc/<id>`), stops the newest when there are too
 * many, and replaces a task that stops by itself, waiting longer after each task that
 * stopped soon after it started (ECS throttles restarts of failing tasks the same way).
 * Its recent events read like the ECS console's ("has started 1 tasks").
 */
import { EventEmitter } from 'node:events';
import { randomUUID } from 'node:crypto';
import type { LocalEcs, LocalTask, TaskStateChangeEvent } from './local-ecs';

export interface CreateServiceInput {
  cluster?: string;
  serviceName: string;
  taskDefinition: string;
  desiredCount?: number;
  launchType?: 'FARGATE' | 'EC2' | 'EXTERNAL';
}

export interface UpdateServiceInput {
  cluster?: string;
  service: string;
  desiredCount?: number;
  taskDefinition?: string;
}

export interface ServiceEvent {
  id: string;
  createdAt: Date;
  message: string;
}

export interface LocalService {
  serviceArn: string;
  serviceName: string;
  clusterArn: string;
  taskDefinition: string;
  desiredCount: number;
  launchType: 'FARGATE' | 'EC2' | 'EXTERNAL';
  status: 'ACTIVE';
  createdAt: Date;
  deploymentId: string;
  events: ServiceEvent[];
}

export class ServiceError extends Error {
  override readonly name = 'ServiceError';
  constructor(
    readonly code: 'ServiceNotFoundException' | 'InvalidParameterException' | 'ClientException',
    message: string,
  ) {
    super(message);
  }
}

export interface ServiceSchedulerOptions {
  /** Wait before replacing a task that stopped; doubles per quick failure, up to 30 s. */
  restartDelayMs?: number;
  /** A task that ran at least this long resets the doubling. */
  healthyAfterMs?: number;
}

const MAX_RESTART_DELAY_MS = 30_000;
const MAX_EVENTS = 50;

interface ServiceState {
  service: LocalService;
  quickFailures: number;
  timer?: NodeJS.Timeout;
}

export class LocalEcsServices extends EventEmitter<{ serviceEvent: [{ service: string; message: string }] }> {
  private readonly services = new Map<string, ServiceState>();
  private readonly restartDelayMs: number;
  private readonly healthyAfterMs: number;
  private closed = false;
  private readonly onTaskState = (event: TaskStateChangeEvent) => this.taskChanged(event);

  constructor(
    private readonly ecs: LocalEcs,
    options: ServiceSchedulerOptions = {},
  ) {
    super();
    this.restartDelayMs = options.restartDelayMs ?? 1_000;
    this.healthyAfterMs = options.healthyAfterMs ?? 10_000;
    ecs.on('taskStateChange', this.onTaskState);
  }

  create(input: CreateServiceInput): LocalService {
    const clusterArn = this.ecs.checkCluster(input.cluster);
    const clusterName = clusterArn.split('/').at(-1)!;
    if (!/^[A-Za-z0-9_-]{1,255}$/.test(input.serviceName))
      throw new ServiceError('InvalidParameterException', `serviceName "${input.serviceName}" must be 1-255 letters, digits, - or _`);
    const serviceArn = `arn:aws:ecs:${this.ecs.region}:${this.ecs.accountId}:service/${clusterName}/${input.serviceName}`;
    if (this.services.has(serviceArn))
      throw new ServiceError(
        'InvalidParameterException',
        `Creation of service was not idempotent: ${input.serviceName} already exists in cluster ${clusterName}`,
      );
    const definition = this.ecs.findTaskDefinition(input.taskDefinition);
    if (!definition) throw new ServiceError('ClientException', `TaskDefinition not found: ${input.taskDefinition}`);
    const service: LocalService = {
      serviceArn,
      serviceName: input.serviceName,
      clusterArn,
      taskDefinition: definition.taskDefinitionArn,
      desiredCount: this.count(input.desiredCount ?? 0),
      launchType: input.launchType ?? 'FARGATE',
      status: 'ACTIVE',
      createdAt: new Date(),
      deploymentId: `ecs-svc/${randomUUID().replaceAll('-', '').slice(0, 19)}`,
      events: [],
    };
    this.services.set(serviceArn, { service, quickFailures: 0 });
    this.reconcile(serviceArn);
    return service;
  }

  update(input: UpdateServiceInput): LocalService {
    const state = this.state(input.cluster, input.service);
    if (input.taskDefinition !== undefined) {
      const definition = this.ecs.findTaskDefinition(input.taskDefinition);
      if (!definition) throw new ServiceError('ClientException', `TaskDefinition not found: ${input.taskDefinition}`);
      // New tasks use it; running ones keep theirs (no rolling deployment locally).
      state.service.taskDefinition = definition.taskDefinitionArn;
    }
    if (input.desiredCount !== undefined) state.service.desiredCount = this.count(input.desiredCount);
    this.reconcile(state.service.serviceArn);
    return state.service;
  }

  /** Service ARNs of a cluster, in creation order. */
  list(cluster?: string): string[] {
    const clusterArn = this.ecs.checkCluster(cluster);
    return [...this.services.values()].filter((s) => s.service.clusterArn === clusterArn).map((s) => s.service.serviceArn);
  }

  /** By name or ARN, within the cluster. */
  find(cluster: string | undefined, ref: string): LocalService | undefined {
    const clusterArn = this.ecs.checkCluster(cluster);
    const name = ref.split('/').at(-1)!;
    return [...this.services.values()].find(
      (s) => s.service.clusterArn === clusterArn && (s.service.serviceArn === ref || s.service.serviceName === name),
    )?.service;
  }

  /** The service's tasks that are meant to run (desired RUNNING), oldest first. */
  tasksOf(service: LocalService): LocalTask[] {
    return this.ecs
      .listTasks({ cluster: service.clusterArn, group: `service:${service.serviceName}` })
      .map((arn) => this.ecs.getTask(arn)!)
      .sort((a, b) => a.createdAt.getTime() - b.createdAt.getTime());
  }

  /** DescribeServices' view: counts from the tasks, events newest first. */
  describe(service: LocalService): Record<string, unknown> {
    const tasks = this.tasksOf(service);
    const running = tasks.filter((t) => t.lastStatus === 'RUNNING').length;
    const pending = tasks.length - running;
    return {
      serviceArn: service.serviceArn,
      serviceName: service.serviceName,
      clusterArn: service.clusterArn,
      status: service.status,
      desiredCount: service.desiredCount,
      runningCount: running,
      pendingCount: pending,
      launchType: service.launchType,
      taskDefinition: service.taskDefinition,
      createdAt: service.createdAt,
      deployments: [
        {
          id: service.deploymentId,
          status: 'PRIMARY',
          taskDefinition: service.taskDefinition,
          desiredCount: service.desiredCount,
          runningCount: running,
          pendingCount: pending,
          launchType: service.launchType,
        },
      ],
      events: [...service.events].reverse(),
    };
  }

  /** Stops scheduling (shutdown): tasks that stop from now on are not replaced. */
  close(): void {
    this.closed = true;
    this.ecs.off('taskStateChange', this.onTaskState);
    for (const state of this.services.values()) clearTimeout(state.timer);
  }

  private count(value: number): number {
    if (!Number.isInteger(value) || value < 0)
      throw new ServiceError('InvalidParameterException', `desiredCount must be a whole number of at least 0 (got ${value})`);
    return value;
  }

  private state(cluster: string | undefined, ref: string): ServiceState {
    const service = this.find(cluster, ref);
    if (!service) throw new ServiceError('ServiceNotFoundException', `Service not found: ${ref}`);
    return this.services.get(service.serviceArn)!;
  }

  private note(service: LocalService, message: string): void {
    service.events.push({ id: randomUUID(), createdAt: new Date(), message: `(service ${service.serviceName}) ${message}.` });
    if (service.events.length > MAX_EVENTS) service.events.shift();
    this.emit('serviceEvent', { service: service.serviceName, message });
  }

  private reconcile(serviceArn: string): void {
    const state = this.services.get(serviceArn);
    if (!state || this.closed) return;
    const { service } = state;
    clearTimeout(state.timer);
    state.timer = undefined;
    const tasks = this.tasksOf(service);
    if (tasks.length > service.desiredCount) {
      // Newest first: the oldest tasks are warm.
      const surplus = tasks.slice(service.desiredCount).reverse();
      for (const task of surplus) this.ecs.stopTask(task.taskArn, `Scaling activity initiated by (deployment ${service.deploymentId})`);
      this.note(service, `has stopped ${surplus.length} running tasks`);
      return;
    }
    const missing = service.desiredCount - tasks.length;
    if (missing <= 0) return;
    const { tasks: started, failures } = this.ecs.runTask({
      cluster: service.clusterArn,
      taskDefinition: service.taskDefinition,
      count: missing,
      group: `service:${service.serviceName}`,
      startedBy: service.deploymentId,
      launchType: service.launchType,
    });
    if (started.length)
      this.note(service, `has started ${started.length} tasks: ${started.map((t) => `(task ${t.taskArn.split('/').at(-1)})`).join(' ')}`);
    if (failures.length) {
      this.note(service, `was unable to place a task: ${failures[0]!.reason}`);
      this.retryLater(state);
    }
  }

  private retryLater(state: ServiceState): void {
    if (state.timer || this.closed) return;
    const delay = Math.min(MAX_RESTART_DELAY_MS, this.restartDelayMs * 2 ** Math.min(state.quickFailures, 5));
    state.timer = setTimeout(() => {
      state.timer = undefined;
      this.reconcile(state.service.serviceArn);
    }, delay);
    state.timer.unref();
  }

  private taskChanged(event: TaskStateChangeEvent): void {
    const detail = event.detail as {
      group?: string;
      lastStatus?: string;
      clusterArn?: string;
      startedAt?: string;
      stoppedAt?: string;
      stopCode?: string;
      stoppedReason?: string;
    };
    if (detail.lastStatus !== 'STOPPED' || !detail.group?.startsWith('service:')) return;
    const state = [...this.services.values()].find(
      (s) => s.service.clusterArn === detail.clusterArn && `service:${s.service.serviceName}` === detail.group,
    );
    if (!state) return;
    if (detail.stopCode !== 'UserInitiated') {
      // Stopped by itself: a task that did not last counts towards a longer wait before the next.
      const ranMs = detail.startedAt && detail.stoppedAt ? Date.parse(detail.stoppedAt) - Date.parse(detail.startedAt) : 0;
      state.quickFailures = ranMs >= this.healthyAfterMs ? 0 : state.quickFailures + 1;
      this.note(state.service, `task ${event.resources[0]?.split('/').at(-1)} stopped: ${detail.stoppedReason ?? 'unknown reason'}`);
    }
    if (this.tasksOf(state.service).length < state.service.desiredCount) this.retryLater(state);
  }
}
