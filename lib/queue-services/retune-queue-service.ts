/**
 * The scheduled re-tune of one queue service of this stack: find its registry settings and
 * its deployed service and policy (and burst path), update the target and keep the burst path in
 * proportion to it, and report the decision (one log line; metrics per queue service: whether
 * the target moved, the target, the measured average, the burst threshold).
 */
import { MetricUnit } from '../shared/metrics';
import { logger, metrics } from '../shared/observability';
import type { QueueServicesInStack } from './deps';
import { resolveQueueService } from './deployed-services';
import {
  PartialScalingUpdateError,
  updateScalingTarget,
  type UpdateScalingTargetDeps,
  type UpdateScalingTargetResult,
} from './update-scaling-target';

export async function retuneQueueService(
  queueService: string,
  deps: UpdateScalingTargetDeps & QueueServicesInStack,
): Promise<UpdateScalingTargetResult> {
  const { settings, deployed: where } = resolveQueueService(queueService, deps.settings, deps.deployed);
  const result = await updateScalingTarget(
    {
      queueService,
      cluster: deps.cluster,
      serviceName: where.serviceName,
      policyName: where.policyName,
      metricDimension: where.metricDimension,
      settings: {
        acceptableLatencySeconds: settings.acceptableLatencySeconds,
        concurrency: settings.task.concurrency,
        ...settings.targetUpdate,
      },
      ...(where.burst ? { burst: where.burst } : {}),
    },
    deps,
  ).catch((error: unknown) => {
    // Which parts are in force is in the error; the invocation fails with it (its retries and
    // dead-letter destination are the function's), and the next run puts what still differs.
    if (error instanceof PartialScalingUpdateError) {
      logger.error('scaling update partly applied', {
        queueService,
        applied: error.applied,
        failed: error.failed,
        notAttempted: error.notAttempted,
        error,
      });
      metrics.addDimension('QueueService', queueService);
      metrics.addMetric('ScalingUpdatePartial', MetricUnit.Count, 1);
    }
    throw error;
  });
  logger.info('scaling target decision', { ...result });
  metrics.addDimension('QueueService', queueService);
  metrics.addMetric('ScalingTargetUpdated', MetricUnit.Count, result.action === 'update' ? 1 : 0);
  metrics.addMetric('ScalingTarget', MetricUnit.Count, result.action === 'update' ? result.proposed : result.current);
  if (result.burst) metrics.addMetric('BurstThreshold', MetricUnit.Count, result.burst.threshold);
  if (result.action === 'update' || result.reason === 'within-tolerance') {
    metrics.addMetric('AverageProcessingSeconds', MetricUnit.Seconds, result.averageSeconds);
  }
  return result;
}
