/**
 * The notifier's use cases wired to AWS, one factory per use case; each handler reads the
 * variables its factory names and passes them in (this module reads no environment).
 */
import { dynamoDocumentClient } from '../shared/clients/dynamodb';
import { ec2Client } from '../shared/clients/ec2';
import { ecsClient } from '../shared/clients/ecs';
import { secretsManagerClient } from '../shared/clients/secrets-manager';
import { sqsClient } from '../shared/clients/sqs';
import { createAuditStore } from './adapters/audit-table';
import { createInstanceAddresses } from './adapters/ec2';
import { createEcsReader } from './adapters/ecs';
import { createQueueSender } from './adapters/queues';
import { createSigningKeySource } from './adapters/signing-secret';
import type { DiscoverServicesDeps } from './discover-services';
import type { DiscoverTasksDeps } from './discover-tasks';
import type { NotifyTaskDeps } from './notify-task';
import type { AuditStore } from './ports';

interface AuditConfig {
  NOTIFY_AUDIT_TABLE: string;
  NOTIFY_AUDIT_TTL_DAYS: number;
}
const auditStore = (config: AuditConfig): AuditStore =>
  createAuditStore(dynamoDocumentClient(), { tableName: config.NOTIFY_AUDIT_TABLE, ttlDays: config.NOTIFY_AUDIT_TTL_DAYS });

/** Discovery failures are written to the audit table before the record fails. */
export interface Audited {
  audit: AuditStore;
}

export const DISCOVER_SERVICES_ENV = ['CLUSTER_NAME', 'NOTIFY_SERVICE_QUEUE_URL', 'NOTIFY_AUDIT_TABLE', 'NOTIFY_AUDIT_TTL_DAYS'] as const;

export function discoverServicesDeps(
  config: AuditConfig & { CLUSTER_NAME: string; NOTIFY_SERVICE_QUEUE_URL: string },
): DiscoverServicesDeps & Audited {
  return {
    ecs: createEcsReader(ecsClient()),
    serviceQueue: createQueueSender(sqsClient(), config.NOTIFY_SERVICE_QUEUE_URL),
    cluster: config.CLUSTER_NAME,
    audit: auditStore(config),
  };
}

export const DISCOVER_TASKS_ENV = ['NOTIFY_TASK_QUEUE_URL', 'NOTIFY_AUDIT_TABLE', 'NOTIFY_AUDIT_TTL_DAYS'] as const;

export function discoverTasksDeps(config: AuditConfig & { NOTIFY_TASK_QUEUE_URL: string }): DiscoverTasksDeps & Audited {
  return {
    ecs: createEcsReader(ecsClient()),
    ec2: createInstanceAddresses(ec2Client()),
    taskQueue: createQueueSender(sqsClient(), config.NOTIFY_TASK_QUEUE_URL),
    audit: auditStore(config),
  };
}

export const NOTIFY_TASK_ENV = [
  'NOTIFY_AUDIT_TABLE',
  'NOTIFY_AUDIT_TTL_DAYS',
  'NOTIFY_SECRET_ID',
  'NOTIFY_KEY_CACHE_SECONDS',
  'NOTIFY_TIMEOUT_MS',
  'NOTIFY_MAX_ATTEMPTS',
] as const;

export function notifyTaskDeps(
  config: AuditConfig & {
    NOTIFY_SECRET_ID: string;
    NOTIFY_KEY_CACHE_SECONDS: number;
    NOTIFY_TIMEOUT_MS: number;
    NOTIFY_MAX_ATTEMPTS: number;
  },
): NotifyTaskDeps {
  const clock = { now: () => new Date() };
  return {
    audit: auditStore(config),
    keys: createSigningKeySource(secretsManagerClient(), {
      secretId: config.NOTIFY_SECRET_ID,
      ttlMs: config.NOTIFY_KEY_CACHE_SECONDS * 1000,
      clock,
    }),
    clock,
    policy: { maxAttempts: config.NOTIFY_MAX_ATTEMPTS, timeoutMs: config.NOTIFY_TIMEOUT_MS, baseDelayMs: 200, maxDelayMs: 2_000 },
  };
}
