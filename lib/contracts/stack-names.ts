/**
 * Names the stack gives resources that the functions compute from the stack's service and
 * stage instead of being told them: one function here, used by the generator that creates
 * the resource (stack/) and by the code that names it at run time (lib/).
 */

/**
 * The stack's EC2 capacity provider (stack/capacity.ts); each EC2 run names it in RunTask's
 * capacity provider strategy. ECS refuses names that start with aws, ecs or fargate, and
 * service names such as ecs-pipelines do.
 */
export const ec2CapacityProviderName = (service: string, stage: string): string => `ec2-${service}-${stage}`;

/** `<service>-<stage>-`: the prefix of the events and queue triggers' rules and queues (stack/event-triggers.ts). */
export const triggerNamePrefix = (service: string, stage: string): string => `${service}-${stage}-`;

/**
 * An events pipeline's EventBridge rule: `<service>-<stage>-<pipeline>`. The DLQ redrive reads
 * the pipeline back from the rule ARN an undelivered event carries (RULE_ARN).
 */
export const eventRuleName = (prefix: string, pipeline: string): string => `${prefix}${pipeline}`;

/** A queue pipeline's own queue (stack/event-triggers.ts) ends so; startFromQueue reads the pipeline back from it. */
export const TRIGGER_QUEUE_SUFFIX = '-runs';

/**
 * A queue pipeline's own queue: `<service>-<stage>-<pipeline>-runs`, `.fifo` for a FIFO queue.
 * startFromQueue is told the prefix (`<service>-<stage>-`) and reads the pipeline from the rest.
 */
export const triggerQueueName = (prefix: string, pipeline: string, fifo: boolean): string =>
  `${prefix}${pipeline}${TRIGGER_QUEUE_SUFFIX}${fifo ? '.fifo' : ''}`;
