/**
 * The notifier's messages and audit item, each with its schema. One broadcast
 * request fans out to one ServiceMessage per labelled service (service queue) and one
 * TaskMessage per running task (task queue); every task delivery is one audit item.
 */
import * as v from '../shared/validation';

/** Docker labels a task definition's container carries to ask for broadcasts. */
export const NOTIFY_LABELS = {
  port: 'NOTIFY_ME_CONTAINER_PORT',
  uri: 'NOTIFY_ME_API_URI',
} as const;

/** Event ids become part of audit keys and HTTP headers: keep them printable and short. */
const EventIdSchema = v
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'eventId must be printable ASCII without spaces');

/** The event payload: any JSON object; receivers validate their own shape. */
export const PayloadSchema = v.record(v.string(), v.unknown());

/** What starts a broadcast: observer queue message, EventBridge (through the queue) or direct invoke. */
export const BroadcastRequestSchema = v.strictObject({
  eventId: EventIdSchema,
  /** Name or ARN; defaults to the configured cluster, and no other is allowed (IAM is scoped to it). */
  cluster: v.string().min(1).optional(),
  /** Service names or ARNs to limit the broadcast to; all services of the cluster when absent. */
  services: v.array(v.string().min(1)).min(1).optional(),
  payload: PayloadSchema,
});
export type BroadcastRequest = v.Infer<typeof BroadcastRequestSchema>;

export const NetworkModeSchema = v.enum(['awsvpc', 'bridge', 'host', 'none']);

/** One labelled service to find the tasks of (service queue). */
export const ServiceMessageSchema = v.strictObject({
  eventId: EventIdSchema,
  cluster: v.string().min(1),
  serviceName: v.string().min(1),
  serviceArn: v.string().min(1),
  taskDefinitionArn: v.string().min(1),
  networkMode: NetworkModeSchema,
  /** The container whose labels asked for the broadcast. */
  container: v.string().min(1),
  /** NOTIFY_ME_CONTAINER_PORT: the container port (the host port is looked up per task). */
  containerPort: v.number().int().min(1).max(65535),
  /** NOTIFY_ME_API_URI: absolute path, query allowed. */
  uri: v.string().startsWith('/'),
  payload: PayloadSchema,
});
export type ServiceMessage = v.Infer<typeof ServiceMessageSchema>;

/** One running task to notify (task queue). */
export const TaskMessageSchema = v.strictObject({
  eventId: EventIdSchema,
  cluster: v.string().min(1),
  serviceName: v.string().min(1),
  taskArn: v.string().min(1),
  container: v.string().min(1),
  ip: v.string().min(1),
  port: v.number().int().min(1).max(65535),
  uri: v.string().startsWith('/'),
  /** How the address was found: for logs and the audit. */
  addressing: v.enum(['awsvpc', 'bridge', 'host']),
  payload: PayloadSchema,
});
export type TaskMessage = v.Infer<typeof TaskMessageSchema>;

/** Event id + task ARN: the receiver's dedupe key and the audit item's key. */
export function idempotencyKey(eventId: string, taskArn: string): string {
  return `${eventId}#${taskArn}`;
}

/*
 * Audit table (partition key `pk`, TTL attribute `ttl` in epoch seconds).
 *
 * Task deliveries, pk = `${eventId}#${taskArn}` (the idempotency key), kind = 'task':
 *   eventId, cluster, service, taskArn, endpoint (ip:port/uri), status (DeliveryStatus),
 *   claimId (uuid of the delivery attempt holding the lease), leaseExpiresAt (epoch s),
 *   claims (ADD 1 per claim: how many times a message was taken up), attempts (ADD: HTTP
 *   attempts over all claims), httpStatus, latencyMs (first send to answer of the final
 *   claim), lastError, claimedAt, updatedAt, deliveredAt (ISO), ttl.
 * Discovery failures, pk = `${eventId}#service#${serviceArn}` (kind 'service') or
 *   `${eventId}#cluster#${cluster}` (kind 'broadcast'): status FAILED, lastError, failures
 *   (ADD), updatedAt, ttl. A message in a DLQ finds its reason here by the same key.
 */
export const DeliveryStatusSchema = v.enum(['IN_PROGRESS', 'DELIVERED', 'FAILED', 'REJECTED']);
export type DeliveryStatus = v.Infer<typeof DeliveryStatusSchema>;

export const AuditItemSchema = v.object({
  pk: v.string(),
  kind: v.enum(['task', 'service', 'broadcast']),
  eventId: v.string(),
  status: DeliveryStatusSchema,
  cluster: v.string().optional(),
  service: v.string().optional(),
  taskArn: v.string().optional(),
  endpoint: v.string().optional(),
  claimId: v.string().optional(),
  leaseExpiresAt: v.number().optional(),
  claims: v.number().optional(),
  attempts: v.number().optional(),
  failures: v.number().optional(),
  httpStatus: v.number().optional(),
  latencyMs: v.number().optional(),
  lastError: v.string().optional(),
  claimedAt: v.string().optional(),
  updatedAt: v.string().optional(),
  deliveredAt: v.string().optional(),
  ttl: v.number(),
});
export type AuditItem = v.Infer<typeof AuditItemSchema>;

export function serviceAuditKey(eventId: string, serviceArn: string): string {
  return `${eventId}#service#${serviceArn}`;
}
export function broadcastAuditKey(eventId: string, cluster: string): string {
  return `${eventId}#cluster#${cluster}`;
}
