/**
 * What CloudFormation tells a function about each deployed queue service (the
 * QUEUE_SERVICES variable: names the stack generated), joined to its registry settings.
 */
import * as v from '../shared/validation';
import type { QueueService } from '../registry/schema';

export const DeployedQueueServiceSchema = v.strictObject({
  serviceName: v.string().min(1),
  policyName: v.string().min(1),
  metricDimension: v.string().min(1),
  queueUrl: v.string().min(1),
  /** The burst path (registry `burst:`): its alarm and step policy, and how they follow the target. */
  burst: v
    .strictObject({
      alarmName: v.string().min(1),
      policyName: v.string().min(1),
      thresholdFactor: v.number().positive(),
      maxStepPercent: v.number().positive(),
    })
    .optional(),
});
export type DeployedQueueService = v.Infer<typeof DeployedQueueServiceSchema>;

export const DeployedQueueServicesSchema = v.record(v.string(), DeployedQueueServiceSchema);

export class UnknownQueueServiceError extends Error {
  override readonly name = 'UnknownQueueServiceError';
}

export class DeployedQueueServicesError extends Error {
  override readonly name = 'DeployedQueueServicesError';
}

/** Parses the QUEUE_SERVICES JSON; a bad value fails naming the variable. */
export function parseDeployedQueueServices(json: string): Record<string, DeployedQueueService> {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (error) {
    throw new DeployedQueueServicesError('QUEUE_SERVICES is not JSON', { cause: error });
  }
  const parsed = DeployedQueueServicesSchema.safeParse(raw);
  if (!parsed.success) {
    throw new DeployedQueueServicesError(
      `QUEUE_SERVICES is invalid: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  }
  return parsed.data;
}

/** The registry entry and deployment of one queue service, or a clear error. */
export function resolveQueueService(
  name: string,
  registry: Record<string, QueueService> | undefined,
  deployed: Record<string, DeployedQueueService>,
): { settings: QueueService; deployed: DeployedQueueService } {
  const settings = registry?.[name];
  const where = deployed[name];
  if (!settings) throw new UnknownQueueServiceError(`queue service "${name}" is not in the registry`);
  if (!where) throw new UnknownQueueServiceError(`queue service "${name}" is not deployed in this stack (QUEUE_SERVICES)`);
  return { settings, deployed: where };
}
