/**
 * Scheduled (hourly by default, one schedule per queue service): re-tunes the service's
 * backlog-per-task target from the last hour's processing times.
 */
import middy from '@middy/core';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import * as z from 'zod';
import { applicationAutoScalingClient } from '../lib/shared/clients/application-auto-scaling';
import { cloudWatchClient } from '../lib/shared/clients/cloudwatch';
import { readEnv } from '../lib/shared/config';
import { logger, metrics } from '../lib/shared/observability';
import { pipelines } from '../lib/registry';
import { applicationAutoScalingPolicies } from '../lib/queue-services/adapters/application-auto-scaling-policies';
import { getMetricDataStats } from '../lib/queue-services/adapters/cloudwatch-processing-stats';
import { parseDeployedQueueServices, resolveQueueService } from '../lib/queue-services/deployed-services';
import { updateScalingTarget } from '../lib/queue-services/update-scaling-target';

const EventSchema = z.object({ queueService: z.string().min(1) });

const env = readEnv(['CLUSTER_NAME', 'QUEUE_SERVICES']);
const deployed = parseDeployedQueueServices(env.QUEUE_SERVICES);

export const handler = middy(async (event: unknown) => {
  const { queueService } = EventSchema.parse(event);
  const { settings, deployed: where } = resolveQueueService(queueService, pipelines().registry.queueServices, deployed);
  const result = await updateScalingTarget(
    {
      queueService,
      cluster: env.CLUSTER_NAME,
      serviceName: where.serviceName,
      policyName: where.policyName,
      metricDimension: where.metricDimension,
      settings: { acceptableLatencySeconds: settings.acceptableLatencySeconds, concurrency: settings.task.concurrency, ...settings.targetUpdate },
    },
    {
      policies: applicationAutoScalingPolicies(applicationAutoScalingClient()),
      stats: getMetricDataStats(cloudWatchClient()),
      clock: () => new Date(),
    },
  );
  logger.info('scaling target decision', { ...result });
  metrics.addDimension('QueueService', queueService);
  metrics.addMetric('ScalingTargetUpdated', MetricUnit.Count, result.action === 'update' ? 1 : 0);
  metrics.addMetric('ScalingTarget', MetricUnit.Count, result.action === 'update' ? result.proposed : result.current);
  if (result.action === 'update' || result.reason === 'within-tolerance') {
    metrics.addMetric('AverageProcessingSeconds', MetricUnit.Seconds, result.averageSeconds);
  }
  return result;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
