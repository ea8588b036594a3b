/**
 * Local ECS services: what the notifier reads about a cluster's long-running services.
 * A plain in-memory model (services, task definition revisions, tasks with local
 * addresses) that api.ts answers ECS calls from; processes.ts fills it with real child
 * processes, the benchmark with in-process endpoints.
 */
export interface LocalContainerDefinition {
  name: string;
  image?: string;
  dockerLabels?: Record<string, string>;
  portMappings?: Array<{ containerPort: number; hostPort?: number; protocol?: 'tcp' }>;
}

export interface LocalTaskDefinition {
  family: string;
  revision: number;
  arn: string;
  networkMode: 'awsvpc' | 'bridge' | 'host';
  containers: LocalContainerDefinition[];
}

export interface LocalService {
  name: string;
  arn: string;
  taskDefinition: LocalTaskDefinition;
  desiredCount: number;
  createdAt: number;
}

export interface LocalTask {
  arn: string;
  service: string;
  taskDefinitionArn: string;
  /** awsvpc: the task's own loopback address, as an ENI's private IPv4. */
  ip: string;
  lastStatus: 'PROVISIONING' | 'PENDING' | 'RUNNING' | 'DEACTIVATING' | 'STOPPING' | 'STOPPED';
  desiredStatus: 'RUNNING' | 'STOPPED';
  startedAt?: number;
  stoppedAt?: number;
  stoppedReason?: string;
  exitCode?: number;
}

export class LocalEcsRegistry {
  readonly services = new Map<string, LocalService>();
  readonly tasks = new Map<string, LocalTask>();
  private readonly revisions = new Map<string, LocalTaskDefinition>();
  private taskCounter = 0;

  constructor(
    readonly cluster = 'local',
    readonly region = 'us-east-1',
    readonly accountId = '123456789012',
  ) {}

  get clusterArn(): string {
    return `arn:aws:ecs:${this.region}:${this.accountId}:cluster/${this.cluster}`;
  }

  registerTaskDefinition(family: string, networkMode: LocalTaskDefinition['networkMode'], containers: LocalContainerDefinition[]): LocalTaskDefinition {
    const revision = [...this.revisions.values()].filter((d) => d.family === family).length + 1;
    const arn = `arn:aws:ecs:${this.region}:${this.accountId}:task-definition/${family}:${revision}`;
    const definition = { family, revision, arn, networkMode, containers };
    this.revisions.set(arn, definition);
    return definition;
  }

  /** By ARN, `family:revision` or `family` (latest revision), as DescribeTaskDefinition accepts. */
  findTaskDefinition(reference: string): LocalTaskDefinition | undefined {
    const direct = this.revisions.get(reference);
    if (direct) return direct;
    const short = reference.replace(/^arn:[^:]+:ecs:[^:]*:[^:]*:task-definition\//, '');
    const [family, revision] = short.split(':');
    const matches = [...this.revisions.values()].filter((d) => d.family === family && (revision === undefined || d.revision === Number(revision)));
    return matches.sort((a, b) => b.revision - a.revision)[0];
  }

  addService(name: string, taskDefinition: LocalTaskDefinition, desiredCount: number): LocalService {
    const service = { name, arn: `arn:aws:ecs:${this.region}:${this.accountId}:service/${this.cluster}/${name}`, taskDefinition, desiredCount, createdAt: Date.now() / 1000 };
    this.services.set(name, service);
    return service;
  }

  /** By name or ARN. */
  findService(reference: string): LocalService | undefined {
    return this.services.get(reference.split('/').pop() ?? reference);
  }

  addTask(serviceName: string, ip: string): LocalTask {
    const service = this.services.get(serviceName);
    if (!service) throw new Error(`no local service named ${serviceName}`);
    this.taskCounter += 1;
    const id = `${serviceName.replace(/[^a-z0-9]/gi, '')}${String(this.taskCounter).padStart(6, '0')}`.toLowerCase();
    const task: LocalTask = {
      arn: `arn:aws:ecs:${this.region}:${this.accountId}:task/${this.cluster}/${id}`,
      service: serviceName,
      taskDefinitionArn: service.taskDefinition.arn,
      ip,
      lastStatus: 'PROVISIONING',
      desiredStatus: 'RUNNING',
    };
    this.tasks.set(task.arn, task);
    return task;
  }

  findTask(reference: string): LocalTask | undefined {
    if (this.tasks.has(reference)) return this.tasks.get(reference);
    const id = reference.split('/').pop();
    return [...this.tasks.values()].find((t) => t.arn.endsWith(`/${id}`));
  }

  tasksOf(serviceName: string): LocalTask[] {
    return [...this.tasks.values()].filter((t) => t.service === serviceName);
  }
}
