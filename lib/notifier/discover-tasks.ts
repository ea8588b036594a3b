/**
 * Task discovery: the address of every running task of one labelled service.
 *
 * Primary course: ListTasks (desired RUNNING, all pages) → DescribeTasks in batches of 100
 * → skip stopping and not-yet-running tasks (tasks without a health check are kept) →
 * awsvpc: the ENI's private IPv4 and the container port; bridge/host: the container
 * instance's EC2 private IP (DescribeContainerInstances ≤ 100 per call, then ONE
 * DescribeInstances for all instance ids) and the host port bound to the labelled port →
 * one message per task.
 */
import type { Container, Task } from '@aws-sdk/client-ecs';
import type { ServiceMessage, TaskMessage } from './model';
import type { EcsReader, InstanceAddresses, MessageSender } from './ports';

export interface DiscoverTasksDeps {
  ecs: EcsReader;
  ec2: InstanceAddresses;
  taskQueue: MessageSender;
}

export interface SkippedTask {
  taskArn: string;
  reason: string;
}

export interface DiscoverTasksResult {
  service: string;
  tasksListed: number;
  queued: number;
  /** Stopping or starting tasks: expected, not a fault. */
  skipped: SkippedTask[];
  /** Running tasks with no usable address: worth an operator's look. */
  unaddressable: SkippedTask[];
}

const STOPPING = new Set(['DEACTIVATING', 'STOPPING', 'DEPROVISIONING', 'STOPPED', 'DELETED']);

/** Why a task is not notified, or undefined when it should be. */
export function skipReason(task: Task): string | undefined {
  if (task.desiredStatus === 'STOPPED') return 'stopping (desiredStatus STOPPED)';
  if (task.lastStatus && STOPPING.has(task.lastStatus)) return `stopping (lastStatus ${task.lastStatus})`;
  // A task still starting reads current state when it comes up; its app may not listen yet.
  if (task.lastStatus !== 'RUNNING') return `not running yet (lastStatus ${task.lastStatus ?? 'unknown'})`;
  return undefined;
}

/** The private IPv4 of an awsvpc task's ENI (DescribeTasks says ElasticNetworkInterface, events say eni). */
export function eniAddress(task: Task): string | undefined {
  for (const attachment of task.attachments ?? []) {
    if (attachment.type !== 'ElasticNetworkInterface' && attachment.type !== 'eni') continue;
    const ip = attachment.details?.find((d) => d.name === 'privateIPv4Address')?.value;
    if (ip) return ip;
  }
  return undefined;
}

/** The host port bound to the labelled container port (bridge mode; host mode binds it 1:1). */
export function hostPort(container: Container, containerPort: number, networkMode: string): number | undefined {
  const binding = (container.networkBindings ?? []).find(
    (b) => b.containerPort === containerPort && (b.protocol === undefined || b.protocol === 'tcp') && b.hostPort,
  );
  if (binding?.hostPort) return binding.hostPort;
  return networkMode === 'host' ? containerPort : undefined;
}

export async function discoverTasks(message: ServiceMessage, deps: DiscoverTasksDeps): Promise<DiscoverTasksResult> {
  const { cluster } = message;
  const arns = await deps.ecs.listRunningTaskArns(cluster, message.serviceName);
  const tasks = await deps.ecs.describeTasks(cluster, arns);

  const skipped: SkippedTask[] = [];
  const unaddressable: SkippedTask[] = [];
  const live: Task[] = [];
  for (const task of tasks) {
    const reason = skipReason(task);
    if (reason) skipped.push({ taskArn: task.taskArn ?? '?', reason });
    else live.push(task);
  }

  // Bridge/host tasks: resolve every container instance of the service at once.
  const instanceArns = [
    ...new Set(live.filter((t) => !eniAddress(t) && t.containerInstanceArn).map((t) => t.containerInstanceArn as string)),
  ];
  const instanceIds = instanceArns.length ? await deps.ecs.ec2InstanceIds(cluster, instanceArns) : new Map<string, string>();
  const ips = await deps.ec2.privateIps([...new Set(instanceIds.values())]);

  const messages: TaskMessage[] = [];
  for (const task of live) {
    const taskArn = task.taskArn ?? '?';
    const container = task.containers?.find((c) => c.name === message.container);
    if (!container) {
      unaddressable.push({ taskArn, reason: `no container named ${message.container} (task definition ${task.taskDefinitionArn ?? '?'})` });
      continue;
    }
    const base = {
      eventId: message.eventId,
      cluster,
      serviceName: message.serviceName,
      taskArn,
      container: message.container,
      uri: message.uri,
      payload: message.payload,
    };
    const eni = eniAddress(task);
    if (eni) {
      messages.push({ ...base, ip: eni, port: message.containerPort, addressing: 'awsvpc' });
      continue;
    }
    const instanceId = task.containerInstanceArn ? instanceIds.get(task.containerInstanceArn) : undefined;
    const ip = instanceId ? ips.get(instanceId) : undefined;
    if (!ip) {
      unaddressable.push({
        taskArn,
        reason: `no ENI address and no private IP for container instance ${task.containerInstanceArn ?? '(none)'}`,
      });
      continue;
    }
    const port = hostPort(container, message.containerPort, message.networkMode);
    if (port === undefined) {
      unaddressable.push({ taskArn, reason: `container ${message.container} has no host port bound to ${message.containerPort}/tcp` });
      continue;
    }
    messages.push({ ...base, ip, port, addressing: message.networkMode === 'host' ? 'host' : 'bridge' });
  }

  await deps.taskQueue.sendAll(messages.map((m) => ({ id: m.taskArn, body: JSON.stringify(m) })));
  return { service: message.serviceName, tasksListed: arns.length, queued: messages.length, skipped, unaddressable };
}
