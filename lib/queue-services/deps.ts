/**
 * The queue services' use cases wired to AWS, one factory per use case; handlers read the
 * variables named here and pass them in.
 */
import { applicationAutoScalingClient } from '../shared/clients/application-auto-scaling';
import { cloudWatchClient } from '../shared/clients/cloudwatch';
import { sqsClient } from '../shared/clients/sqs';
import { pipelines } from '../registry';
import type { QueueService } from '../registry/schema';
import { applicationAutoScalingPolicies } from './adapters/application-auto-scaling-policies';
import { cloudWatchAlarms } from './adapters/cloudwatch-alarms';
import { getMetricDataStats } from './adapters/cloudwatch-processing-stats';
import { sqsMessageSender } from './adapters/sqs-message-sender';
import { parseDeployedQueueServices, type DeployedQueueService } from './deployed-services';
import type { ProduceMessagesDeps } from './produce-messages';
import type { UpdateScalingTargetDeps } from './update-scaling-target';

/** This stack's queue services: registry settings and what CloudFormation deployed for each. */
export interface QueueServicesInStack {
  cluster: string;
  settings: Record<string, QueueService> | undefined;
  deployed: Record<string, DeployedQueueService>;
}

export const UPDATE_SCALING_TARGET_ENV = ['CLUSTER_NAME', 'QUEUE_SERVICES'] as const;

export function updateScalingTargetDeps(config: {
  CLUSTER_NAME: string;
  QUEUE_SERVICES: string;
}): UpdateScalingTargetDeps & QueueServicesInStack {
  return {
    policies: applicationAutoScalingPolicies(applicationAutoScalingClient()),
    alarms: cloudWatchAlarms(cloudWatchClient()),
    stats: getMetricDataStats(cloudWatchClient()),
    clock: () => new Date(),
    cluster: config.CLUSTER_NAME,
    settings: pipelines().registry.queueServices,
    deployed: parseDeployedQueueServices(config.QUEUE_SERVICES),
  };
}

export const PRODUCE_MESSAGES_ENV = ['QUEUE_SERVICES'] as const;

export function produceMessagesDeps(config: { QUEUE_SERVICES: string }): ProduceMessagesDeps & Omit<QueueServicesInStack, 'cluster'> {
  return {
    sender: sqsMessageSender(sqsClient()),
    clock: () => new Date(),
    settings: pipelines().registry.queueServices,
    deployed: parseDeployedQueueServices(config.QUEUE_SERVICES),
  };
}
