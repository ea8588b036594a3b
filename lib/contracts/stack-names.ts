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

/** A queue pipeline's own queue (stack/event-triggers.ts) ends so; startFromQueue reads the pipeline back from it. */
export const TRIGGER_QUEUE_SUFFIX = '-runs';

/**
 * A queue pipeline's own queue: `<service>-<stage>-<pipeline>-runs`, `.fifo` for a FIFO queue.
 * startFromQueue is told the prefix (`<service>-<stage>-`) and reads the pipeline from the rest.
 */
export const triggerQueueName = (prefix: string, pipeline: string, fifo: boolean): string =>
  `${prefix}${pipeline}${TRIGGER_QUEUE_SUFFIX}${fifo ? '.fifo' : ''}`;
