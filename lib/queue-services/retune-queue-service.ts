/**
 * The scheduled re-tune of one queue service of this stack: find its registry settings and
 * its deployed service and policy, update the target, and report the decision (one log line;
 * metrics per queue service: whether the target moved, the target, the measured average).
 */
import { MetricUnit } from '../shared/metrics';
import { logger, metrics } from '../shared/observability';
import type { QueueServicesInStack } from './deps';
import { resolveQueueService } from './deployed-services';
import { updateScalingTarget, type UpdateScalingTargetDeps, type UpdateScalingTargetResult } from './update-scaling-target';

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
    },
    deps,
  );
  logger.info('scaling target decision', { ...result });
  metrics.addDimension('QueueService', queueService);
  metrics.addMetric('ScalingTargetUpdated', MetricUnit.Count, result.action === 'update' ? 1 : 0);
  metrics.addMetric('ScalingTarget', MetricUnit.Count, result.action === 'update' ? result.proposed : result.current);
  if (result.action === 'update' || result.reason === 'within-tolerance') {
    metrics.addMetric('AverageProcessingSeconds', MetricUnit.Seconds, result.averageSeconds);
  }
  return result;
}
