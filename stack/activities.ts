/**
 * Activity pipelines (pipelines.yml `task.launch: activity`), generated from the registry:
 *   - a Step Functions Activity per pipeline (`AWS::StepFunctions::Activity`);
 *   - an ECS service of workers running the pipeline's own task definition (its task role may
 *     poll exactly that activity and report on its tasks: stack/pipeline-tasks.ts), which
 *     long-poll GetActivityTask (container/worker/activity-worker.ts);
 *   - Application Auto Scaling of that service on the activity's waiting shards (below);
 *   - in the state machine, one rule of "Choose Pipeline Activity" and one Task state per
 *     pipeline whose `Resource` is the activity's ARN (a Task's Resource cannot come from the
 *     state's input, and each pipeline has its own activity), with the registry's
 *     `HeartbeatSeconds` and `TimeoutSeconds` and a Retry that re-runs a shard a worker handed
 *     back (`Worker.Draining`) or went silent on (`States.HeartbeatTimeout`) on another worker.
 *
 * Scaling metric. Step Functions publishes, per activity (AWS/States, dimension ActivityArn),
 * `ActivitiesScheduled` and `ActivitiesStarted` (counts per period) and `ActivityScheduleTime`
 * (the time between scheduling and a worker starting it), and nothing that is the standing
 * number of waiting tasks (AWS docs: "Monitoring Step Functions metrics using CloudWatch",
 * activity metrics). `ActivityScheduleTime` only exists once a worker has started a task, so it
 * says nothing when there is no worker at all. So the service scales in steps on metric math
 * `FILL(scheduled, 0) - FILL(started, 0)` summed over a minute: shards that were scheduled and
 * not picked up within that minute. Any positive value means every worker is busy (an idle
 * worker is long-polling and starts a shard within milliseconds), so the policy adds workers
 * by that many, up to maxTasks; it scales in by one after 15 minutes without a scheduled shard
 * (a worker stopped mid-shard hands it back, and the Retry re-runs it elsewhere).
 */
import type { Pipeline, Registry } from '../lib/registry/schema';
import { activityIds, CLUSTER_ID, taskResourceIds } from './pipeline-tasks';
import { taskDefinitionOf } from '../lib/registry/schema';
import { StackGenerationError, type Cfn, type Template } from './template';
import { CLUSTER_PROVIDERS_ID } from './capacity';

const ref = (id: string): Cfn => ({ Ref: id });
const getAtt = (id: string, attribute: string): Cfn => ({ 'Fn::GetAtt': [id, attribute] });
const join = (parts: unknown[], separator = ''): Cfn => ({ 'Fn::Join': [separator, parts] });

export const STATE_MACHINE_ID = 'PipelineStateMachine';
/** The error a draining worker fails its shard with; the activity state retries it. */
export const DRAINING_ERROR = 'Worker.Draining';
/** The Choice state of pipeline.asl.yml whose rules this generator adds. */
export const ACTIVITY_CHOICE = 'Choose Pipeline Activity';
const SHARD_FAILURE_STATE = 'Keep Shard Failure';
const SHARD_OUTCOME_STATE = 'Keep Shard Outcome';

export const activityStateName = (pipeline: string): string => `Run ${pipeline} Shard On Activity Workers`;

export interface ActivityInputs {
  registry: Registry;
  /** The stack's network (shared with the queue services). */
  subnets: unknown;
  securityGroups: unknown;
  assignPublicIp: unknown;
}

export const activityPipelines = (registry: Registry): Array<[string, Pipeline]> =>
  Object.entries(registry.pipelines).filter(([, pipeline]) => pipeline.task.launch === 'activity');

function metricMath(activity: string, scheduledStat = 'Sum'): Cfn[] {
  const metric = (id: string, name: string) => ({
    Id: id,
    ReturnData: false,
    MetricStat: {
      Metric: { Namespace: 'AWS/States', MetricName: name, Dimensions: [{ Name: 'ActivityArn', Value: ref(activity) }] },
      Period: 60,
      Stat: scheduledStat,
    },
  });
  return [
    metric('scheduled', 'ActivitiesScheduled'),
    metric('started', 'ActivitiesStarted'),
    { Id: 'waiting', Label: 'Shards scheduled and not started', Expression: 'FILL(scheduled, 0) - FILL(started, 0)', ReturnData: true },
  ];
}

function pipelineResources(name: string, pipeline: Pipeline, inputs: ActivityInputs): Record<string, Cfn> {
  const ids = activityIds(name);
  const task = taskResourceIds(taskDefinitionOf(name, pipeline));
  const workers = pipeline.task.workers ?? { minTasks: 1, maxTasks: 4, stopTimeoutSeconds: 30 };
  return {
    [ids.activity]: {
      Type: 'AWS::StepFunctions::Activity',
      Properties: {
        Name: { 'Fn::Sub': `\${AWS::StackName}-${name}` },
        Tags: [{ Key: 'pipeline', Value: name }],
      },
    },
    [ids.service]: {
      Type: 'AWS::ECS::Service',
      DependsOn: [CLUSTER_PROVIDERS_ID],
      Properties: {
        Cluster: ref(CLUSTER_ID),
        TaskDefinition: ref(task.taskDefinition),
        CapacityProviderStrategy: [{ CapacityProvider: pipeline.task.capacity === 'fargate-spot' ? 'FARGATE_SPOT' : 'FARGATE', Weight: 1 }],
        // No DesiredCount: the scalable target owns it, and a deploy must not reset it.
        NetworkConfiguration: {
          AwsvpcConfiguration: { Subnets: inputs.subnets, SecurityGroups: inputs.securityGroups, AssignPublicIp: inputs.assignPublicIp },
        },
        DeploymentConfiguration: {
          MinimumHealthyPercent: 100,
          MaximumPercent: 200,
          DeploymentCircuitBreaker: { Enable: true, Rollback: true },
        },
        EnableECSManagedTags: true,
        PropagateTags: 'TASK_DEFINITION',
      },
    },
    [ids.scalableTarget]: {
      Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
      Properties: {
        ServiceNamespace: 'ecs',
        ScalableDimension: 'ecs:service:DesiredCount',
        ResourceId: join(['service', ref(CLUSTER_ID), getAtt(ids.service, 'Name')], '/'),
        MinCapacity: workers.minTasks,
        MaxCapacity: workers.maxTasks,
        // No RoleARN: Application Auto Scaling uses its ECS service-linked role.
      },
    },
    [ids.scaleOutPolicy]: {
      Type: 'AWS::ApplicationAutoScaling::ScalingPolicy',
      Properties: {
        PolicyName: join([ref('AWS::StackName'), `${name}-workers-out`], '-'),
        PolicyType: 'StepScaling',
        ScalingTargetId: ref(ids.scalableTarget),
        StepScalingPolicyConfiguration: {
          // The alarm's value is the number of shards left waiting: add that many workers.
          AdjustmentType: 'ChangeInCapacity',
          MetricAggregationType: 'Maximum',
          Cooldown: 60,
          StepAdjustments: [
            { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 2, ScalingAdjustment: 1 },
            { MetricIntervalLowerBound: 2, MetricIntervalUpperBound: 5, ScalingAdjustment: 3 },
            { MetricIntervalLowerBound: 5, ScalingAdjustment: 6 },
          ],
        },
      },
    },
    [ids.scaleInPolicy]: {
      Type: 'AWS::ApplicationAutoScaling::ScalingPolicy',
      Properties: {
        PolicyName: join([ref('AWS::StackName'), `${name}-workers-in`], '-'),
        PolicyType: 'StepScaling',
        ScalingTargetId: ref(ids.scalableTarget),
        StepScalingPolicyConfiguration: {
          AdjustmentType: 'ChangeInCapacity',
          MetricAggregationType: 'Maximum',
          Cooldown: 300,
          StepAdjustments: [{ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }],
        },
      },
    },
    [ids.waitingAlarm]: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: { 'Fn::Sub': `\${AWS::StackName}/activity-shards-waiting/${name}` },
        AlarmDescription: `Activity pipeline ${name}: shards waiting for a worker (scales its workers out)`,
        Metrics: metricMath(ids.activity),
        EvaluationPeriods: 1,
        DatapointsToAlarm: 1,
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [ref(ids.scaleOutPolicy)],
      },
    },
    [ids.idleAlarm]: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        AlarmName: { 'Fn::Sub': `\${AWS::StackName}/activity-idle/${name}` },
        AlarmDescription: `Activity pipeline ${name}: no shard scheduled for 15 minutes (scales its workers in)`,
        Namespace: 'AWS/States',
        MetricName: 'ActivitiesScheduled',
        Dimensions: [{ Name: 'ActivityArn', Value: ref(ids.activity) }],
        Statistic: 'Sum',
        Period: 60,
        EvaluationPeriods: 15,
        DatapointsToAlarm: 15,
        Threshold: 0,
        ComparisonOperator: 'LessThanOrEqualToThreshold',
        // No datapoint: nothing was scheduled.
        TreatMissingData: 'breaching',
        AlarmActions: [ref(ids.scaleInPolicy)],
      },
    },
  };
}

/** The Task state of one activity pipeline's shards. */
export function activityState(pipeline: Pipeline, resource: string): Record<string, unknown> {
  return {
    Type: 'Task',
    Resource: resource,
    // The worker gets the same run context a launched container gets in its environment.
    Parameters: { 'environment.$': '$.activityInput.environment' },
    TimeoutSeconds: pipeline.task.timeoutSeconds,
    HeartbeatSeconds: pipeline.task.heartbeatSeconds,
    ResultSelector: { launch: 'activity', 'output.$': '$' },
    // Kept beside the shard's tries, as the launched shards' outcomes are (Keep Shard Outcome).
    ResultPath: '$.outcome',
    Retry: [
      // A worker stopped by ECS (scale-in, deployment, Spot) handed the shard back; one that
      // died without a word (SIGKILL, lost host) went silent: another worker runs it again.
      {
        ErrorEquals: [DRAINING_ERROR, 'States.HeartbeatTimeout'],
        IntervalSeconds: 2,
        BackoffRate: 2,
        MaxAttempts: 3,
        MaxDelaySeconds: 30,
        JitterStrategy: 'FULL',
      },
    ],
    // Workers handing shards back were retried above; any other failure is the shard's outcome.
    Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: SHARD_FAILURE_STATE }],
    Next: SHARD_OUTCOME_STATE,
  };
}

type Obj = Record<string, unknown>;
const isObj = (value: unknown): value is Obj => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Finds the Map state's item processor that holds the activity Choice. */
function findChoiceOwner(states: Obj): Obj | undefined {
  for (const state of Object.values(states)) {
    if (!isObj(state)) continue;
    const processor = (state.ItemProcessor ?? state.Iterator) as Obj | undefined;
    if (isObj(processor) && isObj(processor.States)) {
      if (ACTIVITY_CHOICE in processor.States) return processor.States;
      const nested = findChoiceOwner(processor.States);
      if (nested) return nested;
    }
  }
  return undefined;
}

/**
 * Adds each activity pipeline's Choice rule and Task state to the compiled state machine
 * (serverless-step-functions compiles the definition to `Fn::Sub: [json, parameters]`).
 */
export function addActivityStates(template: Template, registry: Registry): void {
  const pipelines = activityPipelines(registry);
  if (pipelines.length === 0) return;
  const machine = template.Resources[STATE_MACHINE_ID];
  const definition = machine?.Properties?.DefinitionString as { 'Fn::Sub'?: [string, Record<string, unknown>] } | undefined;
  const sub = definition?.['Fn::Sub'];
  if (!Array.isArray(sub) || typeof sub[0] !== 'string')
    throw new StackGenerationError(
      `pipelines.yml has activity pipelines, but ${STATE_MACHINE_ID} has no compiled definition (Fn::Sub) to add their states to`,
    );
  const parsed = JSON.parse(sub[0]) as Obj;
  const owner = isObj(parsed.States) ? findChoiceOwner(parsed.States) : undefined;
  const choice = owner?.[ACTIVITY_CHOICE] as Obj | undefined;
  if (!owner || !choice || !Array.isArray(choice.Choices))
    throw new StackGenerationError(
      `pipelines.yml has activity pipelines, but the state machine has no Choice state "${ACTIVITY_CHOICE}" in its Map (statemachines/pipeline.asl.yml)`,
    );
  const parameters = { ...(sub[1] ?? {}) };
  const rules = pipelines.map(([name, pipeline]) => {
    const ids = activityIds(name);
    const parameter = `${ids.activity}Arn`;
    parameters[parameter] = ref(ids.activity);
    owner[activityStateName(name)] = { ...activityState(pipeline, `\${${parameter}}`), QueryLanguage: 'JSONPath' };
    return { Variable: '$.activityInput.environment.PIPELINE', StringEquals: name, Next: activityStateName(name) };
  });
  choice.Choices = [...rules, ...(choice.Choices as unknown[])];
  machine!.Properties!.DefinitionString = { 'Fn::Sub': [JSON.stringify(parsed, null, 2), parameters] };
}

/** Every activity pipeline's activity, workers' service and scaling. */
export function activityResources(inputs: ActivityInputs): Record<string, Cfn> {
  const resources: Record<string, Cfn> = {};
  for (const [name, pipeline] of activityPipelines(inputs.registry)) Object.assign(resources, pipelineResources(name, pipeline, inputs));
  return resources;
}

/** Outputs naming each activity and its workers' service. */
export function activityOutputs(registry: Registry): Record<string, Cfn> {
  const outputs: Record<string, Cfn> = {};
  for (const [name] of activityPipelines(registry)) {
    const ids = activityIds(name);
    outputs[`${ids.activity}Arn`] = { Description: `Activity of pipeline ${name}`, Value: ref(ids.activity) };
    outputs[`${ids.service}Name`] = { Description: `Workers of pipeline ${name}`, Value: getAtt(ids.service, 'Name') };
  }
  return outputs;
}
