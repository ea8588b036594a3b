/**
 * An activity pipeline (pipelines.yml inventory-recount, launch activity) in the packaged
 * template: its Step Functions activity, the ECS service of workers on its own task
 * definition, step scaling on shards scheduled and not started, least-privilege grants (its
 * workers may poll and report on that activity only), and the state machine's Task state for
 * it with the registry's HeartbeatSeconds and TimeoutSeconds and a Retry on Worker.Draining and
 * heartbeat timeouts; cfn-lint finds no error.
 */
import { cfnLint, packageService, type CfnTemplate } from '../helpers/package-service';

let template: CfnTemplate;
let templatePath: string;

beforeAll(async () => {
  ({ template, templatePath } = await packageService({ stage: 'dev' }));
}, 240_000);

const resource = (id: string) => {
  const found = template.Resources[id];
  if (!found) throw new Error(`the template has no ${id}`);
  return found;
};
const ACTIVITY = 'PipelineInventoryRecountActivity';
const SERVICE = 'PipelineInventoryRecountWorkerService';

type Statement = { Sid?: string; Action: string | string[]; Resource: unknown };
const statementsOf = (roleId: string): Statement[] =>
  (resource(roleId).Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>).flatMap(
    (p) => p.PolicyDocument.Statement,
  );
const actions = (s: Statement) => (Array.isArray(s.Action) ? s.Action : [s.Action]);

type State = Record<string, any>;
function shardStates(): Record<string, State> {
  const [definition] = resource('PipelineStateMachine').Properties.DefinitionString['Fn::Sub'] as [string, Record<string, unknown>];
  return (JSON.parse(definition) as State).States['Run Shards'].ItemProcessor.States;
}

describe('an activity pipeline', () => {
  it('has a Step Functions activity named after the stack and the pipeline', () => {
    expect(resource(ACTIVITY)).toEqual({
      Type: 'AWS::StepFunctions::Activity',
      Properties: { Name: { 'Fn::Sub': '${AWS::StackName}-inventory-recount' }, Tags: [{ Key: 'pipeline', Value: 'inventory-recount' }] },
    });
  });

  it("runs its workers as an ECS service of the pipeline's task definition, which names the activity to poll", () => {
    const service = resource(SERVICE);
    expect(service.Type).toBe('AWS::ECS::Service');
    expect(service.Properties.TaskDefinition).toEqual({ Ref: 'PipelineSamplePipelineTaskDefinition' });
    expect(service.Properties.Cluster).toEqual({ Ref: 'PipelineCluster' });
    expect(service.Properties.CapacityProviderStrategy).toEqual([{ CapacityProvider: 'FARGATE', Weight: 1 }]);
    expect(service.Properties.DesiredCount).toBeUndefined();
    expect(service.Properties.NetworkConfiguration.AwsvpcConfiguration.SecurityGroups).toEqual([{ Ref: 'TaskSecurityGroup' }]);
    const [container] = resource('PipelineSamplePipelineTaskDefinition').Properties.ContainerDefinitions;
    expect(container.Environment).toContainEqual({ Name: 'ACTIVITY_ARN', Value: { Ref: ACTIVITY } });
    expect(container.StopTimeout).toBe(30);
  });

  it('lets its workers poll and report on exactly its activity, and no other role poll it', () => {
    const polling = statementsOf('PipelineSamplePipelineTaskRole').filter((s) => actions(s).includes('states:GetActivityTask'));
    expect(polling).toEqual([
      {
        Sid: 'WorkOwnActivity',
        Effect: 'Allow',
        Action: ['states:GetActivityTask', 'states:SendTaskSuccess', 'states:SendTaskFailure', 'states:SendTaskHeartbeat'],
        Resource: { Ref: ACTIVITY },
      },
    ]);
    const otherRoles = Object.keys(template.Resources).filter(
      (id) => template.Resources[id]!.Type === 'AWS::IAM::Role' && id !== 'PipelineSamplePipelineTaskRole',
    );
    for (const id of otherRoles) {
      const policies = (template.Resources[id]!.Properties?.Policies ?? []) as Array<{ PolicyDocument: { Statement: Statement[] } }>;
      const polls = policies.flatMap((p) => p.PolicyDocument.Statement).filter((s) => actions(s).includes('states:GetActivityTask'));
      expect({ id, polls }).toEqual({ id, polls: [] });
    }
  });

  it('scales its workers between workers.minTasks and maxTasks, out on shards waiting for a worker and in after 15 idle minutes', () => {
    const target = resource('PipelineInventoryRecountWorkerScalableTarget').Properties;
    expect(target).toMatchObject({
      ServiceNamespace: 'ecs',
      ScalableDimension: 'ecs:service:DesiredCount',
      MinCapacity: 0,
      MaxCapacity: 4,
    });
    expect(target.ResourceId['Fn::Join'][1]).toEqual(['service', { Ref: 'PipelineCluster' }, { 'Fn::GetAtt': [SERVICE, 'Name'] }]);

    const out = resource('PipelineInventoryRecountWorkerScaleOutPolicy').Properties;
    expect(out.PolicyType).toBe('StepScaling');
    expect(out.ScalingTargetId).toEqual({ Ref: 'PipelineInventoryRecountWorkerScalableTarget' });
    expect(out.StepScalingPolicyConfiguration.StepAdjustments.every((s: { ScalingAdjustment: number }) => s.ScalingAdjustment > 0)).toBe(
      true,
    );
    const waiting = resource('PipelineInventoryRecountActivityWaitingAlarm').Properties;
    expect(waiting.AlarmActions).toEqual([{ Ref: 'PipelineInventoryRecountWorkerScaleOutPolicy' }]);
    expect(waiting).toMatchObject({ Threshold: 0, ComparisonOperator: 'GreaterThanThreshold', EvaluationPeriods: 1 });
    const metrics = waiting.Metrics as Array<{ Id: string; Expression?: string; MetricStat?: any }>;
    expect(metrics.find((m) => m.Expression)?.Expression).toBe('FILL(scheduled, 0) - FILL(started, 0)');
    expect(metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat.Metric.MetricName, m.MetricStat.Metric.Dimensions])).toEqual([
      ['scheduled', 'ActivitiesScheduled', [{ Name: 'ActivityArn', Value: { Ref: ACTIVITY } }]],
      ['started', 'ActivitiesStarted', [{ Name: 'ActivityArn', Value: { Ref: ACTIVITY } }]],
    ]);

    const idle = resource('PipelineInventoryRecountActivityIdleAlarm').Properties;
    expect(idle).toMatchObject({ MetricName: 'ActivitiesScheduled', EvaluationPeriods: 15, TreatMissingData: 'breaching' });
    expect(idle.AlarmActions).toEqual([{ Ref: 'PipelineInventoryRecountWorkerScaleInPolicy' }]);
    const scaleIn = resource('PipelineInventoryRecountWorkerScaleInPolicy').Properties.StepScalingPolicyConfiguration;
    expect(scaleIn.StepAdjustments).toEqual([{ MetricIntervalUpperBound: 0, ScalingAdjustment: -1 }]);
  });

  it("gets a Task state on its activity's ARN with the registry's heartbeat and timeout, retrying a drained or silent worker's shard", () => {
    const states = shardStates();
    expect(states['Choose Launch Pattern']!.Choices[0]).toEqual({
      Variable: '$.launch',
      StringEquals: 'activity',
      Next: 'Choose Pipeline Activity',
    });
    expect(states['Choose Pipeline Activity']!.Choices[0]).toEqual({
      Variable: '$.activityInput.environment.PIPELINE',
      StringEquals: 'inventory-recount',
      Next: 'Run inventory-recount Shard On Activity Workers',
    });
    const state = states['Run inventory-recount Shard On Activity Workers']!;
    const [, parameters] = resource('PipelineStateMachine').Properties.DefinitionString['Fn::Sub'] as [string, Record<string, unknown>];
    const placeholder = /^\$\{(\w+)\}$/.exec(state.Resource)?.[1];
    expect(parameters[placeholder!]).toEqual({ Ref: ACTIVITY });
    // The shard's outcome or failure is kept beside its tries, as the launched shards' are.
    expect(state).toMatchObject({
      Type: 'Task',
      HeartbeatSeconds: 60,
      TimeoutSeconds: 1800,
      ResultPath: '$.outcome',
      Next: 'Keep Shard Outcome',
    });
    expect(state.Parameters).toEqual({ 'environment.$': '$.activityInput.environment' });
    expect(state.Retry[0].ErrorEquals).toEqual(['Worker.Draining', 'States.HeartbeatTimeout']);
    expect(state.Catch).toEqual([{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Keep Shard Failure' }]);
  });

  it('passes cfn-lint with no errors', async () => {
    expect((await cfnLint(templatePath)).errors).toEqual([]);
  }, 120_000);
});
