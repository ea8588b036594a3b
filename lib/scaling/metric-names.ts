/**
 * Names shared by the worker (which emits processing durations), the CloudFormation
 * metric filter that turns those log lines into a metric, and the target updater
 * (which reads it back). One place, so the three cannot drift apart.
 */
export const QUEUE_METRICS_NAMESPACE = 'EcsPipelines/QueueServices';
export const PROCESSING_DURATION_METRIC = 'ProcessingDuration';
/** Dimension: `<stack>-<queue service>`, unique per deployed service. */
export const QUEUE_SERVICE_DIMENSION = 'QueueService';

/** Application Auto Scaling's resource id of an ECS service. */
export function ecsServiceResourceId(cluster: string, service: string): string {
  if (!cluster || !service || cluster.includes('/') || service.includes('/')) {
    throw new Error(`cannot build an ECS resource id from cluster "${cluster}" and service "${service}"`);
  }
  return `service/${cluster}/${service}`;
}
