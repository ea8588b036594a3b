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
