/**
 * CloudFormation for every queue service of the registry (pipelines.yml `queueServices:`),
 * generated at package time: the resources by the stack plugin (stack/generate.ts), and what
 * the updater and producer functions of functions/queue-services.yml need before serverless
 * compiles them (their QUEUE_SERVICES, schedules and queue ARNs) by the variable resolver
 * (stack/variables.ts). Adding a queue service is a registry edit.
 *
 * Per service: an encrypted queue and dead-letter queue with a redrive policy, a TLS-only
 * queue policy, a log group, a task role limited to its own queue, an execution role, an
 * ARM64 Fargate task definition and service in the stack's cluster, an Application Auto
 * Scaling target with the scheduled actions, a target tracking policy on backlog per task
 * (metric math), and alarms. With `burst:`, a step scaling policy driven by a high-resolution
 * alarm on the workers' backlog metric, and (unless `burst.scaleIn: false`) a step scale-in policy
 * on busy slots that replaces target tracking's own scale-in; with `predictive:`, a predictive
 * scaling policy. Nothing is named by hand: CloudFormation derives the names
 * from the stack, and everything else refers to them.
 */
import {
  burstStepAdjustments,
  burstThreshold,
  predictiveTarget,
  scaleInStepAdjustments,
  toAwsSteps,
} from '../lib/queue-services/burst-math';
import { busySlotsExpression } from '../lib/queue-services/busy-slots';
import { backlogTarget } from '../lib/queue-services/target-math';
import {
  QUEUE_IN_FLIGHT_MESSAGES_METRIC,
  QUEUE_METRICS_NAMESPACE,
  QUEUE_SERVICE_DIMENSION,
  QUEUE_VISIBLE_MESSAGES_METRIC,
  QUEUE_WORKER_ALIVE_METRIC,
} from '../lib/contracts/metric-names';
import type { QueueService } from '../lib/registry/schema';
import type { Cfn } from './template';

/** Where the stack's shared ECS pieces live (resources/ecs.yml, resources/network.yml). */
export interface SharedRefs {
  cluster: Cfn;
  subnets: unknown;
  securityGroups: unknown;
  assignPublicIp: unknown;
  image: unknown;
  logRetentionDays: unknown;
  alarmActions?: unknown[];
}

const ref = (name: string): Cfn => ({ Ref: name });
const getAtt = (name: string, attribute: string): Cfn => ({ 'Fn::GetAtt': [name, attribute] });
const join = (parts: unknown[], separator = ''): Cfn => ({ 'Fn::Join': [separator, parts] });
const arn = (service: string, resource: string): Cfn =>
  join(['arn', ref('AWS::Partition'), service, ref('AWS::Region'), ref('AWS::AccountId'), resource], ':');

const pascal = (name: string) =>
  name
    .split('-')
    .map((part) => part.charAt(0).toUpperCase() + part.slice(1))
    .join('');

/** Logical id prefix of one queue service's resources. */
export const logicalPrefix = (name: string) => `Queue${pascal(name)}`;

export const policyNameOf = (name: string): Cfn => join([ref('AWS::StackName'), `${name}-backlog-per-task`], '-');
export const burstPolicyNameOf = (name: string): Cfn => join([ref('AWS::StackName'), `${name}-burst`], '-');
/** Logical ids of the burst path's step policy and alarm (burstResources). */
export const burstPolicyId = (name: string) => `${logicalPrefix(name)}BurstScalingPolicy`;
export const burstAlarmId = (name: string) => `${logicalPrefix(name)}BurstAlarm`;
export const metricDimensionOf = (name: string): Cfn => join([ref('AWS::StackName'), name], '-');

/** The expression the policy tracks: backlog per task, guarded against zero tasks. */
export const BACKLOG_PER_TASK_EXPRESSION = 'IF(m2 > 0, m1 / m2, m1)';

/** The deployed starting target: the updater's own formula on the expected processing time. */
export const initialTarget = (service: QueueService): number =>
  backlogTarget(service.acceptableLatencySeconds, service.expectedProcessingSeconds, service.targetUpdate.maxTarget, {
    concurrency: service.task.concurrency,
    ...(service.targetUpdate.headroom !== undefined ? { headroom: service.targetUpdate.headroom } : {}),
  });

function serviceResources(name: string, service: QueueService, shared: SharedRefs): Record<string, Cfn> {
  const id = logicalPrefix(name);
  const fifo = service.queue.type === 'fifo';
  const queue = `${id}Queue`;
  const dlq = `${id}DeadLetterQueue`;
  const logGroup = `${id}LogGroup`;
  const taskRole = `${id}TaskRole`;
  const executionRole = `${id}ExecutionRole`;
  const taskDefinition = `${id}TaskDefinition`;
  const ecsService = `${id}Service`;
  const scalableTarget = `${id}ScalableTarget`;
  const trustEcsTasks = {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { Service: 'ecs-tasks.amazonaws.com' },
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } },
      },
    ],
  };
  const environment = {
    ...service.task.environment,
    QUEUE_URL: ref(queue),
    QUEUE_SERVICE: name,
    METRIC_DIMENSION: metricDimensionOf(name),
    VISIBILITY_TIMEOUT_SECONDS: String(service.queue.visibilityTimeoutSeconds),
    CONCURRENCY: String(service.task.concurrency),
    // The worker's high-resolution backlog metric, at the burst alarm's period.
    ...(service.burst ? { BACKLOG_METRIC_SECONDS: String(service.burst.periodSeconds) } : {}),
    // Drain inside ECS' stop timeout, leaving a few seconds to release and exit.
    DRAIN_DEADLINE_SECONDS: String(Math.max(1, service.task.stopTimeoutSeconds - 5)),
  };
  return {
    [dlq]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        SqsManagedSseEnabled: true,
        MessageRetentionPeriod: 1_209_600,
        ...(fifo ? { FifoQueue: true } : {}),
      },
    },
    [queue]: {
      Type: 'AWS::SQS::Queue',
      Properties: {
        SqsManagedSseEnabled: true,
        VisibilityTimeout: service.queue.visibilityTimeoutSeconds,
        MessageRetentionPeriod: service.queue.retentionSeconds,
        // Receives may wait for messages: fewer empty responses for any consumer.
        ReceiveMessageWaitTimeSeconds: 20,
        RedrivePolicy: { deadLetterTargetArn: getAtt(dlq, 'Arn'), maxReceiveCount: service.queue.maxReceiveCount },
        ...(fifo
          ? {
              FifoQueue: true,
              ...(service.queue.contentBasedDeduplication !== undefined
                ? { ContentBasedDeduplication: service.queue.contentBasedDeduplication }
                : {}),
            }
          : {}),
      },
    },
    [`${id}QueuesTlsOnly`]: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [ref(queue), ref(dlq)],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyInsecureTransport',
              Effect: 'Deny',
              Principal: '*',
              Action: 'sqs:*',
              Resource: [getAtt(queue, 'Arn'), getAtt(dlq, 'Arn')],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        },
      },
    },
    [logGroup]: {
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: shared.logRetentionDays },
    },
    [taskRole]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: trustEcsTasks,
        Policies: [
          {
            PolicyName: 'consume-own-queue',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                {
                  Effect: 'Allow',
                  Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility', 'sqs:GetQueueAttributes'],
                  Resource: getAtt(queue, 'Arn'),
                },
              ],
            },
          },
        ],
      },
    },
    [executionRole]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: trustEcsTasks,
        Policies: [
          {
            PolicyName: 'pull-image-and-log',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                // GetAuthorizationToken has no resource-level permissions; the pulls are
                // limited to this account's repositories.
                { Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
                {
                  Effect: 'Allow',
                  Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'],
                  Resource: arn('ecr', 'repository/*'),
                },
                { Effect: 'Allow', Action: ['logs:CreateLogStream', 'logs:PutLogEvents'], Resource: getAtt(logGroup, 'Arn') },
              ],
            },
          },
        ],
      },
    },
    [taskDefinition]: {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: {
        RequiresCompatibilities: ['FARGATE'],
        NetworkMode: 'awsvpc',
        Cpu: String(service.task.cpu),
        Memory: String(service.task.memory),
        RuntimePlatform: { CpuArchitecture: 'ARM64', OperatingSystemFamily: 'LINUX' },
        TaskRoleArn: getAtt(taskRole, 'Arn'),
        ExecutionRoleArn: getAtt(executionRole, 'Arn'),
        ContainerDefinitions: [
          {
            Name: service.task.container,
            Image: shared.image,
            Essential: true,
            ...(service.task.command ? { Command: service.task.command } : {}),
            StopTimeout: service.task.stopTimeoutSeconds,
            ReadonlyRootFilesystem: true,
            Environment: Object.entries(environment).map(([Name, Value]) => ({ Name, Value })),
            LogConfiguration: {
              LogDriver: 'awslogs',
              Options: {
                'awslogs-group': ref(logGroup),
                'awslogs-region': ref('AWS::Region'),
                'awslogs-stream-prefix': name,
              },
            },
          },
        ],
      },
    },
    [ecsService]: {
      Type: 'AWS::ECS::Service',
      Properties: {
        Cluster: shared.cluster,
        TaskDefinition: ref(taskDefinition),
        LaunchType: 'FARGATE',
        // No DesiredCount: the scalable target owns it, and a deploy must not reset it.
        NetworkConfiguration: {
          AwsvpcConfiguration: { Subnets: shared.subnets, SecurityGroups: shared.securityGroups, AssignPublicIp: shared.assignPublicIp },
        },
        DeploymentConfiguration: {
          MinimumHealthyPercent: 100,
          MaximumPercent: 200,
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        },
        EnableECSManagedTags: true,
        PropagateTags: 'SERVICE',
      },
    },
    [scalableTarget]: {
      Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
      Properties: {
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: join(['service', shared.cluster, getAtt(ecsService, 'Name')], '/'),
        MinCapacity: service.minTasks,
        MaxCapacity: service.maxTasks,
        // No RoleARN: Application Auto Scaling uses its ECS service-linked role.
        ...(service.scheduledActions.length
          ? {
              ScheduledActions: service.scheduledActions.map((action) => ({
                ScheduledActionName: action.name,
                Schedule: action.schedule,
                ...(action.timezone ? { Timezone: action.timezone } : {}),
                ScalableTargetAction: {
                  ...(action.minTasks !== undefined ? { MinCapacity: action.minTasks } : {}),
                  ...(action.maxTasks !== undefined ? { MaxCapacity: action.maxTasks } : {}),
                },
              })),
            }
          : {}),
      },
    },
    [`${id}ScalingPolicy`]: {
      Type: 'AWS::ApplicationAutoScaling::ScalingPolicy',
      Properties: {
        PolicyName: policyNameOf(name),
        PolicyType: 'TargetTrackingScaling',
        ScalingTargetId: ref(scalableTarget),
        TargetTrackingScalingPolicyConfiguration: {
          // The seed; the target updater re-tunes it from measured processing times.
          TargetValue: initialTarget(service),
          ScaleInCooldown: service.scaleInCooldownSeconds,
          ScaleOutCooldown: service.scaleOutCooldownSeconds,
          // With the burst path's scale-in, the busy-slots step policy alone removes tasks
          // (DisableScaleIn: "if you want to use a separate scaling policy for scale in").
          ...(scaleInOf(service) ? { DisableScaleIn: true } : {}),
          CustomizedMetricSpecification: {
            Metrics: [
              {
                Id: 'm1',
                Label: 'Visible messages',
                ReturnData: false,
                MetricStat: {
                  Metric: {
                    Namespace: 'AWS/SQS',
                    MetricName: 'ApproximateNumberOfMessagesVisible',
                    Dimensions: [{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }],
                  },
                  Stat: 'Sum',
                },
              },
              {
                Id: 'm2',
                Label: 'Running tasks',
                ReturnData: false,
                MetricStat: runningTasksStat(shared.cluster, ecsService),
              },
              { Id: 'e1', Label: 'Backlog per task', Expression: BACKLOG_PER_TASK_EXPRESSION, ReturnData: true },
            ],
          },
        },
      },
    },
    ...burstResources(name, service, scalableTarget),
    ...predictiveResources(name, service, scalableTarget, queue, ecsService, shared),
    // Its dead-letter queue is alarmed with every other DLQ of the stack (stack/alarms.ts).
    // The promise the scaling keeps: no message waits longer than the acceptable latency.
    [`${id}LatencyAlarm`]: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: `Queue service ${name}: oldest message older than the acceptable latency (${service.acceptableLatencySeconds} s)`,
        Namespace: 'AWS/SQS',
        MetricName: 'ApproximateAgeOfOldestMessage',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }],
        Statistic: 'Maximum',
        Period: 60,
        EvaluationPeriods: 5,
        DatapointsToAlarm: 3,
        Threshold: service.acceptableLatencySeconds,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        ...(shared.alarmActions ? { AlarmActions: shared.alarmActions } : {}),
      },
    },
  };
}

/** One of the workers' EMF metrics of a queue service, as a metric-math input of an alarm (not returned). */
function workerMetric(name: string, metricName: string, stat: string, metricId: string, periodSeconds: number) {
  return {
    Id: metricId,
    ReturnData: false,
    MetricStat: {
      Metric: {
        Namespace: QUEUE_METRICS_NAMESPACE,
        MetricName: metricName,
        Dimensions: [{ Name: QUEUE_SERVICE_DIMENSION, Value: metricDimensionOf(name) }],
      },
      Period: periodSeconds,
      Stat: stat,
    },
  };
}

/**
 * The burst path: a step scaling policy (PercentChangeInCapacity steps in proportion to the
 * excess backlog, lib/queue-services/burst-math.ts) invoked by a high-resolution alarm (Period
 * 10/20/30 on the EMF metrics the worker writes with StorageResolution 1) on backlog per task
 * = Maximum(VisibleMessages) / SampleCount(WorkerAlive). The threshold is thresholdFactor × the
 * deployed target; the target updater keeps it (and the steps built on it) in proportion to the
 * target it puts (lib/queue-services/update-scaling-target.ts).
 *
 * Cooldowns: the step policy has its own (its last scale-out counts toward the next until it
 * ends); target tracking keeps its own scale-out cooldown. Scale-in: with `burst.scaleIn` (the
 * default) target tracking's scale-in is disabled and a second step policy, on a one-minute
 * alarm on busy slots, removes tasks (scaleInResources); with `scaleIn: false` target tracking
 * scales in alone, gradually.
 */
function burstResources(name: string, service: QueueService, scalableTarget: string): Record<string, Cfn> {
  const burst = service.burst;
  if (!burst) return {};
  const id = logicalPrefix(name);
  const threshold = burstThreshold(burst.thresholdFactor, initialTarget(service));
  const metric = (metricName: string, stat: string, metricId: string) =>
    workerMetric(name, metricName, stat, metricId, burst.periodSeconds);
  return {
    [`${id}BurstScalingPolicy`]: {
      Type: 'AWS::ApplicationAutoScaling::ScalingPolicy',
      Properties: {
        PolicyName: burstPolicyNameOf(name),
        PolicyType: 'StepScaling',
        ScalingTargetId: ref(scalableTarget),
        StepScalingPolicyConfiguration: {
          AdjustmentType: 'PercentChangeInCapacity',
          Cooldown: burst.cooldownSeconds,
          MetricAggregationType: 'Average',
          MinAdjustmentMagnitude: 1,
          StepAdjustments: toAwsSteps(burstStepAdjustments(threshold, burst.maxStepPercent)),
        },
      },
    },
    [`${id}BurstAlarm`]: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        // The threshold moves with the target (the updater puts it), so the description names the factor.
        AlarmDescription: `Queue service ${name}: backlog per task above ${burst.thresholdFactor} × the backlog-per-task target for ${burst.datapoints} × ${burst.periodSeconds} s (burst path, high-resolution)`,
        Metrics: [
          metric(QUEUE_VISIBLE_MESSAGES_METRIC, 'Maximum', 'visible'),
          metric(QUEUE_WORKER_ALIVE_METRIC, 'SampleCount', 'tasks'),
          { Id: 'backlog', Label: 'Backlog per task', Expression: 'IF(tasks > 0, visible / tasks, visible)', ReturnData: true },
        ],
        EvaluationPeriods: burst.datapoints,
        DatapointsToAlarm: burst.datapoints,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanThreshold',
        // No datapoint (no task reporting) is no evidence of a burst; target tracking still runs.
        TreatMissingData: 'notBreaching',
        AlarmActions: [ref(`${id}BurstScalingPolicy`)],
      },
    },
    ...scaleInResources(name, service, scalableTarget),
  };
}

/** The burst path's scale-in settings, when the service has them (`burst:` without `scaleIn: false`). */
export const scaleInOf = (service: QueueService) => (service.burst && service.burst.scaleIn !== false ? service.burst.scaleIn : undefined);

/**
 * The burst path's scale-in: target tracking's own scale-in is disabled (DisableScaleIn), and a
 * step scaling policy removes tasks when busy slots stay under `busyBelow` for `datapoints`
 * one-minute periods: negative PercentChangeInCapacity steps keyed on busy − busyBelow
 * (lib/queue-services/burst-math.ts scaleInStepAdjustments: the first step open below, the
 * last ending at 0, no gap or overlap, as StepAdjustment requires), each bringing busy slots
 * back to `busyTarget`, at most `maxPercent` of the tasks per `cooldownSeconds`.
 *
 * The scale-out policies are untouched: Application Auto Scaling runs the policy that gives the
 * largest capacity, and a scale-out alarm during the scale-in cooldown scales out at once. No
 * datapoint (no task reporting) is not breaching: it is no evidence of idle slots.
 */
function scaleInResources(name: string, service: QueueService, scalableTarget: string): Record<string, Cfn> {
  const burst = service.burst;
  const scaleIn = scaleInOf(service);
  if (!burst || !scaleIn) return {};
  const id = logicalPrefix(name);
  const metric = (metricName: string, stat: string, metricId: string) => workerMetric(name, metricName, stat, metricId, 60);
  const policy = `${id}BurstScaleInPolicy`;
  return {
    [policy]: {
      Type: 'AWS::ApplicationAutoScaling::ScalingPolicy',
      Properties: {
        PolicyName: join([ref('AWS::StackName'), `${name}-burst-scale-in`], '-'),
        PolicyType: 'StepScaling',
        ScalingTargetId: ref(scalableTarget),
        StepScalingPolicyConfiguration: {
          AdjustmentType: 'PercentChangeInCapacity',
          Cooldown: scaleIn.cooldownSeconds,
          MetricAggregationType: 'Average',
          StepAdjustments: toAwsSteps(scaleInStepAdjustments(scaleIn)),
        },
      },
    },
    [`${id}BurstScaleInAlarm`]: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmDescription: `Queue service ${name}: busy slots under ${scaleIn.busyBelow} for ${scaleIn.datapoints} min (burst path scale-in, back to ${scaleIn.busyTarget})`,
        Metrics: [
          metric(QUEUE_VISIBLE_MESSAGES_METRIC, 'Average', 'visible'),
          metric(QUEUE_IN_FLIGHT_MESSAGES_METRIC, 'Average', 'inflight'),
          metric(QUEUE_WORKER_ALIVE_METRIC, 'SampleCount', 'alive'),
          {
            Id: 'busy',
            Label: 'Busy slots',
            Expression: busySlotsExpression(burst.periodSeconds, service.task.concurrency),
            ReturnData: true,
          },
        ],
        EvaluationPeriods: scaleIn.datapoints,
        DatapointsToAlarm: scaleIn.datapoints,
        Threshold: scaleIn.busyBelow,
        ComparisonOperator: 'LessThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [ref(policy)],
      },
    },
  };
}

/**
 * Predictive scaling: the load is the queue's NumberOfMessagesSent (Sum), the scaling metric
 * messages sent per running task, and TargetValue the messages per task-minute a task
 * finishes at `utilization` (expectedProcessingSeconds, task.concurrency). ForecastAndScale
 * raises capacity SchedulingBufferTime before each forecast hour and never scales in on a
 * forecast; target tracking and the burst path still act on the live backlog.
 */
function predictiveResources(
  name: string,
  service: QueueService,
  scalableTarget: string,
  queue: string,
  ecsService: string,
  shared: SharedRefs,
): Record<string, Cfn> {
  const predictive = service.predictive;
  if (!predictive) return {};
  const id = logicalPrefix(name);
  const sent = (metricId: string, returnData: boolean) => ({
    Id: metricId,
    ReturnData: returnData,
    MetricStat: {
      Metric: {
        Namespace: 'AWS/SQS',
        MetricName: 'NumberOfMessagesSent',
        Dimensions: [{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }],
      },
      Stat: 'Sum',
    },
  });
  const tasks = (metricId: string, returnData: boolean) => ({
    Id: metricId,
    ReturnData: returnData,
    MetricStat: runningTasksStat(shared.cluster, ecsService),
  });
  const targetValue =
    Math.round(predictiveTarget(service.expectedProcessingSeconds, service.task.concurrency, predictive.utilization) * 1000) / 1000;
  return {
    [`${id}PredictiveScalingPolicy`]: {
      Type: 'AWS::ApplicationAutoScaling::ScalingPolicy',
      Properties: {
        PolicyName: join([ref('AWS::StackName'), `${name}-predictive`], '-'),
        PolicyType: 'PredictiveScaling',
        ScalingTargetId: ref(scalableTarget),
        PredictiveScalingPolicyConfiguration: {
          Mode: predictive.mode,
          SchedulingBufferTime: predictive.schedulingBufferSeconds,
          MaxCapacityBreachBehavior: 'HonorMaxCapacity',
          MetricSpecifications: [
            {
              TargetValue: targetValue,
              CustomizedLoadMetricSpecification: { MetricDataQueries: [sent('load', true)] },
              CustomizedScalingMetricSpecification: {
                MetricDataQueries: [
                  sent('sent', false),
                  tasks('tasks', false),
                  { Id: 'per_task', Label: 'Messages sent per task', Expression: 'IF(tasks > 0, sent / tasks, sent)', ReturnData: true },
                ],
              },
              CustomizedCapacityMetricSpecification: { MetricDataQueries: [tasks('capacity', true)] },
            },
          ],
        },
      },
    },
  };
}

/** The queue services' resources, and the outputs that name each one's queue and service. */
/** The service's running tasks, averaged (Container Insights must be on for the cluster: resources/ecs.yml). */
function runningTasksStat(cluster: unknown, ecsService: string) {
  return {
    Metric: {
      Namespace: 'ECS/ContainerInsights',
      MetricName: 'RunningTaskCount',
      Dimensions: [
        { Name: 'ClusterName', Value: cluster },
        { Name: 'ServiceName', Value: getAtt(ecsService, 'Name') },
      ],
    },
    Stat: 'Average',
  };
}

export function queueServiceResources(
  services: Record<string, QueueService> | undefined,
  shared: SharedRefs,
): { resources: Record<string, Cfn>; outputs: Record<string, Cfn> } {
  // Where a failed run of the updater or producer (async invocations) is kept: only where
  // they are deployed (stack/serverless-parts.cjs deploys them with the first queue service).
  const resources: Record<string, Cfn> = Object.keys(services ?? {}).length
    ? {
        QueueServicesDeadLetterQueue: {
          Type: 'AWS::SQS::Queue',
          Properties: { MessageRetentionPeriod: 1209600, SqsManagedSseEnabled: true },
        },
      }
    : {};
  const outputs: Record<string, Cfn> = {};
  for (const [name, service] of Object.entries(services ?? {})) {
    Object.assign(resources, serviceResources(name, service, shared));
    const id = logicalPrefix(name);
    outputs[`${id}QueueUrl`] = { Description: `Queue of queue service ${name}`, Value: ref(`${id}Queue`) };
    outputs[`${id}ServiceName`] = { Description: `ECS service of queue service ${name}`, Value: getAtt(`${id}Service`, 'Name') };
  }
  return { resources, outputs };
}

/** What the updater and producer functions (functions/queue-services.yml) take from the registry. */
export interface QueueServiceFunctionParts {
  /** QUEUE_SERVICES for the functions: JSON built with Fn::Join from the stack's names. */
  deployedJson: Cfn | string;
  /** Schedule events for the target updater, one per service. */
  updaterEvents: unknown[];
  /** Disabled schedules for the producer, one per service. */
  producerEvents: unknown[];
  /** Queue ARNs the producer may send to. */
  queueArns: Cfn[];
  /**
   * The updater's grant on the burst alarms: DescribeAlarms and PutMetricAlarm on exactly this
   * stack's burst alarms, putting only their own step policies as actions (a statement that
   * allows nothing when no queue service has a burst path).
   */
  burstAlarmStatement: Cfn;
}

export function queueServiceFunctionParts(services: Record<string, QueueService> | undefined): QueueServiceFunctionParts {
  const entries = Object.entries(services ?? {});
  const jsonParts: unknown[] = ['{'];
  entries.forEach(([name], index) => {
    const id = logicalPrefix(name);
    jsonParts.push(
      `${index ? ',' : ''}"${name}":{"serviceName":"`,
      getAtt(`${id}Service`, 'Name'),
      '","policyName":"',
      policyNameOf(name),
      '","metricDimension":"',
      metricDimensionOf(name),
      '","queueUrl":"',
      ref(`${id}Queue`),
      '"',
    );
    const burst = services?.[name]?.burst;
    if (burst) {
      jsonParts.push(
        ',"burst":{"alarmName":"',
        ref(burstAlarmId(name)),
        '","policyName":"',
        burstPolicyNameOf(name),
        `","thresholdFactor":${burst.thresholdFactor},"maxStepPercent":${burst.maxStepPercent}}`,
      );
    }
    jsonParts.push('}');
  });
  jsonParts.push('}');
  return {
    deployedJson: entries.length ? join(jsonParts) : '{}',
    updaterEvents: entries.map(([name, service]) => ({
      schedule: {
        name: `\${self:service}-\${sls:stage}-${name}-target`.slice(0, 64),
        description: `Re-tune the backlog-per-task target of queue service ${name}`,
        rate: [service.targetUpdate.schedule],
        enabled: service.targetUpdate.enabled,
        input: { queueService: name },
      },
    })),
    producerEvents: entries.map(([name]) => ({
      schedule: {
        name: `\${self:service}-\${sls:stage}-${name}-load`.slice(0, 64),
        description: `Sample load for queue service ${name} (disabled: enable to demo scaling)`,
        rate: ['rate(5 minutes)'],
        enabled: false,
        input: { queueService: name, count: 200, minWorkMs: 500, maxWorkMs: 4000 },
      },
    })),
    queueArns: entries.map(([name]) => getAtt(`${logicalPrefix(name)}Queue`, 'Arn')),
    burstAlarmStatement: burstAlarmStatement(entries.filter(([, service]) => service.burst).map(([name]) => name)),
  };
}

/**
 * cloudwatch:DescribeAlarms and cloudwatch:PutMetricAlarm both take the alarm as resource
 * (Service Authorization Reference, CloudWatch: resource type alarm), so the grant names the
 * burst alarms' ARNs; the cloudwatch:AlarmActions condition key holds the actions a put may set
 * to the burst step policies (a policy's Ref is its ARN). The step policies themselves are
 * written with application-autoscaling:PutScalingPolicy, authorised on scalable targets, which
 * functions/queue-services.yml already grants for this stack's ECS services.
 */
function burstAlarmStatement(names: string[]): Cfn {
  // Nothing to grant: a statement that allows nothing and denies only what the updater never does.
  if (!names.length) return { Effect: 'Deny', Action: ['cloudwatch:SetAlarmState'], Resource: '*' };
  return {
    Effect: 'Allow',
    Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm'],
    Resource: names.map((name) => getAtt(burstAlarmId(name), 'Arn')),
    Condition: { 'ForAllValues:StringEquals': { 'cloudwatch:AlarmActions': names.map((name) => ref(burstPolicyId(name))) } },
  };
}

/** Values from the configuration (serverless.yml `custom.stack`) the queue services run with. */
export interface QueueServiceSettings {
  containerImage: string;
  subnetIds: string;
  assignPublicIp: string;
  logRetentionDays: number;
}

/**
 * The stack's shared pieces the queue services run on: the cluster and network of
 * resources/ecs.yml and resources/network.yml, and the alarm topic of stack/alarms.ts.
 */
export const stackSharedRefs = (settings: QueueServiceSettings): SharedRefs => ({
  cluster: ref('PipelineCluster'),
  subnets: { 'Fn::If': ['CreateNetwork', [ref('PublicSubnetA'), ref('PublicSubnetB')], { 'Fn::Split': [',', settings.subnetIds] }] },
  securityGroups: [ref('TaskSecurityGroup')],
  assignPublicIp: settings.assignPublicIp,
  image: settings.containerImage,
  logRetentionDays: settings.logRetentionDays,
  // Every alarm goes to the alarm topic; its formatter writes to the operators (stack/alarms.ts).
  alarmActions: [ref('AlarmTopic')],
});
