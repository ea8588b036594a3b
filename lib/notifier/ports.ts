/**
 * What the notifier's use cases need from the outside world, as small interfaces.
 * Adapters (ecs-adapter, ec2-adapter, queue-adapter, audit-adapter, secret-adapter,
 * http-sender) implement them; tests pass fakes or the same adapters on emulators.
 */
import type { ContainerDefinition, Service, Task } from '@aws-sdk/client-ecs';
import type { AuditItem } from './model';

export interface TaskDefinitionSummary {
  taskDefinitionArn: string;
  networkMode: 'awsvpc' | 'bridge' | 'host' | 'none';
  containers: ContainerDefinition[];
}

export interface EcsReader {
  /** Every service ARN of the cluster, all launch types and capacity providers, all pages. */
  listServiceArns(cluster: string): Promise<string[]>;
  /** DescribeServices in batches of 10; `missing` names what ECS reported as failures. */
  describeServices(cluster: string, services: readonly string[]): Promise<{ services: Service[]; missing: string[] }>;
  describeTaskDefinition(taskDefinition: string): Promise<TaskDefinitionSummary>;
  /** RUNNING (desired) task ARNs of one service, all pages. */
  listRunningTaskArns(cluster: string, serviceName: string): Promise<string[]>;
  /** DescribeTasks in batches of 100; tasks gone since the listing are left out. */
  describeTasks(cluster: string, taskArns: readonly string[]): Promise<Task[]>;
  /** Container instance ARN → EC2 instance id, DescribeContainerInstances in batches of 100. */
  ec2InstanceIds(cluster: string, containerInstanceArns: readonly string[]): Promise<Map<string, string>>;
}

export interface InstanceAddresses {
  /** EC2 instance id → private IPv4, one DescribeInstances for all ids. */
  privateIps(instanceIds: readonly string[]): Promise<Map<string, string>>;
}

export interface OutboundMessage {
  /** Unique within one send; becomes the SQS batch entry id. */
  id: string;
  body: string;
}

export interface MessageSender {
  sendAll(messages: readonly OutboundMessage[]): Promise<void>;
}

export type ClaimResult = { kind: 'claimed'; claimId: string } | { kind: 'held'; item: AuditItem };

export interface TaskClaim {
  key: string;
  eventId: string;
  cluster: string;
  service: string;
  taskArn: string;
  endpoint: string;
}

export interface AuditStore {
  /**
   * Conditional write: succeeds when no item exists, the last claim ended FAILED or
   * REJECTED, or an IN_PROGRESS claim's lease has expired (its holder crashed).
   */
  claimTask(claim: TaskClaim, now: Date, leaseSeconds: number): Promise<ClaimResult>;
  markDelivered(key: string, outcome: { attempts: number; httpStatus: number; latencyMs: number }, now: Date): Promise<void>;
  /** Records the failure only if this claim still holds the item (a late loser never overwrites DELIVERED). */
  markFailed(
    key: string,
    claimId: string,
    outcome: { status: 'FAILED' | 'REJECTED'; attempts: number; httpStatus?: number; latencyMs: number; lastError: string },
    now: Date,
  ): Promise<void>;
  /** Discovery failure of a service or a whole broadcast: the DLQ'd message's reason. */
  recordDiscoveryFailure(
    key: string,
    fields: { kind: 'service' | 'broadcast'; eventId: string; cluster: string; service?: string; lastError: string },
    now: Date,
  ): Promise<void>;
  get(key: string): Promise<AuditItem | undefined>;
}

export interface SigningKeySource {
  /** The current key (AWSCURRENT), cached for a short time so rotation takes effect quickly. */
  currentKey(): Promise<string>;
}

export interface Clock {
  now(): Date;
}
