/**
 * The notifier's messages and audit item, each with its zod schema. One broadcast
 * request fans out to one ServiceMessage per labelled service (service queue) and one
 * TaskMessage per running task (task queue); every task delivery is one audit item.
 */
import * as z from 'zod';

/** Docker labels a task definition's container carries to ask for broadcasts. */
export const NOTIFY_LABELS = {
  port: 'NOTIFY_ME_CONTAINER_PORT',
  uri: 'NOTIFY_ME_API_URI',
} as const;

/** Event ids become part of audit keys and HTTP headers: keep them printable and short. */
const EventIdSchema = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'eventId must be printable ASCII without spaces');

/** The event payload: any JSON object; receivers validate their own shape. */
export const PayloadSchema = z.record(z.string(), z.unknown());

/** What starts a broadcast: observer queue message, EventBridge (through the queue) or direct invoke. */
export const BroadcastRequestSchema = z.strictObject({
  eventId: EventIdSchema,
  /** Name or ARN; defaults to the configured cluster, and no other is allowed (IAM is scoped to it). */
  cluster: z.string().min(1).optional(),
  /** Service names or ARNs to limit the broadcast to; all services of the cluster when absent. */
  services: z.array(z.string().min(1)).min(1).optional(),
  payload: PayloadSchema,
});
export type BroadcastRequest = z.infer<typeof BroadcastRequestSchema>;

export const NetworkModeSchema = z.enum(['awsvpc', 'bridge', 'host', 'none']);

/** One labelled service to find the tasks of (service queue). */
export const ServiceMessageSchema = z.strictObject({
  eventId: EventIdSchema,
  cluster: z.string().min(1),
  serviceName: z.string().min(1),
  serviceArn: z.string().min(1),
  taskDefinitionArn: z.string().min(1),
  networkMode: NetworkModeSchema,
  /** The container whose labels asked for the broadcast. */
  container: z.string().min(1),
  /** NOTIFY_ME_CONTAINER_PORT: the container port (the host port is looked up per task). */
  containerPort: z.number().int().min(1).max(65535),
  /** NOTIFY_ME_API_URI: absolute path, query allowed. */
  uri: z.string().startsWith('/'),
  payload: PayloadSchema,
});
export type ServiceMessage = z.infer<typeof ServiceMessageSchema>;

/** One running task to notify (task queue). */
export const TaskMessageSchema = z.strictObject({
  eventId: EventIdSchema,
  cluster: z.string().min(1),
  serviceName: z.string().min(1),
  taskArn: z.string().min(1),
  container: z.string().min(1),
  ip: z.string().min(1),
  port: z.number().int().min(1).max(65535),
  uri: z.string().startsWith('/'),
  /** How the address was found: for logs and the audit. */
  addressing: z.enum(['awsvpc', 'bridge', 'host']),
  payload: PayloadSchema,
});
export type TaskMessage = z.infer<typeof TaskMessageSchema>;

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
export const DeliveryStatusSchema = z.enum(['IN_PROGRESS', 'DELIVERED', 'FAILED', 'REJECTED']);
export type DeliveryStatus = z.infer<typeof DeliveryStatusSchema>;

export const AuditItemSchema = z.object({
  pk: z.string(),
  kind: z.enum(['task', 'service', 'broadcast']),
  eventId: z.string(),
  status: DeliveryStatusSchema,
  cluster: z.string().optional(),
  service: z.string().optional(),
  taskArn: z.string().optional(),
  endpoint: z.string().optional(),
  claimId: z.string().optional(),
  leaseExpiresAt: z.number().optional(),
  claims: z.number().optional(),
  attempts: z.number().optional(),
  failures: z.number().optional(),
  httpStatus: z.number().optional(),
  latencyMs: z.number().optional(),
  lastError: z.string().optional(),
  claimedAt: z.string().optional(),
  updatedAt: z.string().optional(),
  deliveredAt: z.string().optional(),
  ttl: z.number(),
});
export type AuditItem = z.infer<typeof AuditItemSchema>;

export function serviceAuditKey(eventId: string, serviceArn: string): string {
  return `${eventId}#service#${serviceArn}`;
}
export function broadcastAuditKey(eventId: string, cluster: string): string {
  return `${eventId}#cluster#${cluster}`;
}
