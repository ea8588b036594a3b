/**
 * The burst path and predictive scaling of a queue service (pipelines.yml `burst:` and
 * `predictive:` on the sample service, deployed where samples are on): the packaged template
 * has the step scaling policy, its high-resolution alarm, the worker's metric period, the
 * scale-in on busy slots that replaces target tracking's (burst.scaleIn, on by default) and the
 * predictive policy, and lints clean.
 */
import { burstStepAdjustments, scaleInStepAdjustments } from '../../lib/queue-services/burst-math';
import { DEFAULT_BURST } from '../../lib/registry/queue-service-defaults';
import { cfnLint, FULL_STACK_PARAMS, packageService, type CfnTemplate } from '../helpers/package-service';

let template: CfnTemplate;
let templatePath: string;

beforeAll(async () => {
  ({ template, templatePath } = await packageService({ stage: 'dev', params: FULL_STACK_PARAMS }));
}, 480_000);

const resource = (id: string) => {
  const found = template.Resources[id];
  if (!found) throw new Error(`the template has no ${id}`);
  return found as { Type: string; Properties: Record<string, any> };
};

describe('queue service burst path and predictive scaling (packaged template)', () => {
  it('lints clean with the step policy, the high-resolution alarm and the predictive policy', async () => {
    expect(resource('QueueThumbnailsBurstScalingPolicy').Type).toBe('AWS::ApplicationAutoScaling::ScalingPolicy');
    expect(resource('QueueThumbnailsPredictiveScalingPolicy').Type).toBe('AWS::ApplicationAutoScaling::ScalingPolicy');
    expect(resource('QueueThumbnailsBurstScaleInPolicy').Type).toBe('AWS::ApplicationAutoScaling::ScalingPolicy');
    expect(resource('QueueThumbnailsBurstScaleInAlarm').Type).toBe('AWS::CloudWatch::Alarm');
    expect((await cfnLint(templatePath)).errors).toEqual([]);
  }, 240_000);

  it('steps capacity in percent of itself, in proportion to the excess backlog, with no gap between steps', () => {
    const policy = resource('QueueThumbnailsBurstScalingPolicy').Properties;
    expect(policy.PolicyType).toBe('StepScaling');
    expect(policy.ScalingTargetId).toEqual({ Ref: 'QueueThumbnailsScalableTarget' });
    const config = policy.StepScalingPolicyConfiguration;
    expect(config).toMatchObject({
      AdjustmentType: 'PercentChangeInCapacity',
      Cooldown: DEFAULT_BURST.cooldownSeconds,
      MinAdjustmentMagnitude: 1,
    });
    const steps = config.StepAdjustments as Array<{
      MetricIntervalLowerBound?: number;
      MetricIntervalUpperBound?: number;
      ScalingAdjustment: number;
    }>;
    expect(steps[0]!.MetricIntervalLowerBound).toBe(0);
    steps.slice(1).forEach((step, index) => expect(step.MetricIntervalLowerBound).toBe(steps[index]!.MetricIntervalUpperBound));
    expect(steps.filter((step) => step.MetricIntervalUpperBound === undefined)).toHaveLength(1);
    // Larger excess, larger step.
    steps.slice(1).forEach((step, index) => expect(step.ScalingAdjustment).toBeGreaterThan(steps[index]!.ScalingAdjustment));
    expect(Math.max(...steps.map((step) => step.ScalingAdjustment))).toBe(DEFAULT_BURST.maxStepPercent);
  });

  it('invokes it from a 10-second alarm on backlog per task, at thresholdFactor x the target tracking target', () => {
    const alarm = resource('QueueThumbnailsBurstAlarm').Properties;
    const tracking = resource('QueueThumbnailsScalingPolicy').Properties.TargetTrackingScalingPolicyConfiguration;
    expect(alarm.AlarmActions).toEqual([{ Ref: 'QueueThumbnailsBurstScalingPolicy' }]);
    expect(alarm.Threshold).toBeCloseTo(DEFAULT_BURST.thresholdFactor * tracking.TargetValue, 3);
    expect(alarm).toMatchObject({ EvaluationPeriods: 2, DatapointsToAlarm: 2, ComparisonOperator: 'GreaterThanThreshold' });
    const stats = (
      alarm.Metrics as Array<{ Id: string; MetricStat?: { Period: number; Stat: string; Metric: { MetricName: string } } }>
    ).filter((m) => m.MetricStat);
    expect(stats.map((m) => [m.MetricStat!.Metric.MetricName, m.MetricStat!.Stat, m.MetricStat!.Period])).toEqual([
      ['VisibleMessages', 'Maximum', 10],
      ['WorkerAlive', 'SampleCount', 10],
    ]);
    // The step intervals are relative to this threshold.
    const steps = resource('QueueThumbnailsBurstScalingPolicy').Properties.StepScalingPolicyConfiguration.StepAdjustments;
    expect(steps[1].MetricIntervalLowerBound).toBe(burstStepAdjustments(alarm.Threshold, DEFAULT_BURST.maxStepPercent)[1]!.lower);
  });

  it("gives scale-in to the busy-slots step policy: target tracking's own scale-in is disabled", () => {
    const tracking = resource('QueueThumbnailsScalingPolicy').Properties.TargetTrackingScalingPolicyConfiguration;
    expect(tracking.DisableScaleIn).toBe(true);
    const policy = resource('QueueThumbnailsBurstScaleInPolicy').Properties;
    expect(policy).toMatchObject({ PolicyType: 'StepScaling', ScalingTargetId: { Ref: 'QueueThumbnailsScalableTarget' } });
    const scaleIn = DEFAULT_BURST.scaleIn;
    expect(policy.StepScalingPolicyConfiguration).toEqual({
      AdjustmentType: 'PercentChangeInCapacity',
      Cooldown: scaleIn.cooldownSeconds,
      MetricAggregationType: 'Average',
      StepAdjustments: scaleInStepAdjustments(scaleIn).map((step) => ({
        ...(step.lower !== undefined ? { MetricIntervalLowerBound: step.lower } : {}),
        ...(step.upper !== undefined ? { MetricIntervalUpperBound: step.upper } : {}),
        ScalingAdjustment: step.percent,
      })),
    });
    // StepAdjustment rules: one open lower bound (bounds are negative), contiguous, ending at 0.
    const steps = policy.StepScalingPolicyConfiguration.StepAdjustments as Array<{
      MetricIntervalLowerBound?: number;
      MetricIntervalUpperBound?: number;
      ScalingAdjustment: number;
    }>;
    expect(steps[0]!.MetricIntervalLowerBound).toBeUndefined();
    steps.slice(1).forEach((step, index) => expect(step.MetricIntervalLowerBound).toBe(steps[index]!.MetricIntervalUpperBound));
    expect(steps[steps.length - 1]!.MetricIntervalUpperBound).toBe(0);
    expect(steps.every((step) => step.ScalingAdjustment < 0 && step.ScalingAdjustment >= -scaleIn.maxPercent)).toBe(true);
  });

  it('invokes it from a one-minute alarm on busy slots, (visible + in flight) / (reporting tasks x concurrency)', () => {
    const alarm = resource('QueueThumbnailsBurstScaleInAlarm').Properties;
    const scaleIn = DEFAULT_BURST.scaleIn;
    expect(alarm).toMatchObject({
      Threshold: scaleIn.busyBelow,
      ComparisonOperator: 'LessThanThreshold',
      EvaluationPeriods: scaleIn.datapoints,
      DatapointsToAlarm: scaleIn.datapoints,
      TreatMissingData: 'notBreaching',
      AlarmActions: [{ Ref: 'QueueThumbnailsBurstScaleInPolicy' }],
    });
    const metrics = alarm.Metrics as Array<{
      Id: string;
      ReturnData: boolean;
      Expression?: string;
      MetricStat?: { Period: number; Stat: string; Metric: { MetricName: string; Dimensions: unknown } };
    }>;
    expect(
      metrics.filter((m) => m.MetricStat).map((m) => [m.Id, m.MetricStat!.Metric.MetricName, m.MetricStat!.Stat, m.MetricStat!.Period]),
    ).toEqual([
      ['visible', 'VisibleMessages', 'Average', 60],
      ['inflight', 'InFlightMessages', 'Average', 60],
      ['alive', 'WorkerAlive', 'SampleCount', 60],
    ]);
    // The same dimension the worker writes (its METRIC_DIMENSION) and the burst alarm reads.
    const burstDimensions = resource('QueueThumbnailsBurstAlarm').Properties.Metrics[0].MetricStat.Metric.Dimensions;
    for (const m of metrics.filter((m) => m.MetricStat)) expect(m.MetricStat!.Metric.Dimensions).toEqual(burstDimensions);
    // Only the expression returns data; 10 s samples: 6 a minute per task; the sample's concurrency is 1.
    expect(metrics.filter((m) => m.ReturnData)).toEqual([
      { Id: 'busy', Label: 'Busy slots', Expression: '(visible + inflight) / (alive / 6 * 1)', ReturnData: true },
    ]);
  });

  it('tells the target updater the burst alarm, step policy, factor and largest step (QUEUE_SERVICES)', () => {
    const env = resource('UpdateScalingTargetLambdaFunction').Properties.Environment.Variables.QUEUE_SERVICES;
    const parts = env['Fn::Join'][1] as unknown[];
    const at = parts.findIndex((part) => typeof part === 'string' && part.includes('"burst":{"alarmName":"'));
    expect(parts[at + 1]).toEqual({ Ref: 'QueueThumbnailsBurstAlarm' });
    expect(parts[at + 3]).toEqual(resource('QueueThumbnailsBurstScalingPolicy').Properties.PolicyName);
    expect(parts[at + 4]).toBe(`","thresholdFactor":${DEFAULT_BURST.thresholdFactor},"maxStepPercent":${DEFAULT_BURST.maxStepPercent}}`);
  });

  it('lets the target updater describe and put only the burst alarm, with only its step policy as action', () => {
    type Statement = { Effect: string; Action: string | string[]; Resource: unknown; Condition?: unknown };
    const statements = (
      resource('UpdateScalingTargetIamRoleLambdaExecution').Properties.Policies as Array<{ PolicyDocument: { Statement: Statement[] } }>
    ).flatMap((p) => p.PolicyDocument.Statement);
    const actions = (s: Statement) => [s.Action].flat();
    const burst = statements.filter((s) => JSON.stringify(s.Resource).includes('QueueThumbnailsBurstAlarm'));
    expect(burst).toEqual([
      {
        Effect: 'Allow',
        Action: ['cloudwatch:DescribeAlarms', 'cloudwatch:PutMetricAlarm'],
        Resource: [{ 'Fn::GetAtt': ['QueueThumbnailsBurstAlarm', 'Arn'] }],
        Condition: { 'ForAllValues:StringEquals': { 'cloudwatch:AlarmActions': [{ Ref: 'QueueThumbnailsBurstScalingPolicy' }] } },
      },
    ]);
    // No other grant of PutMetricAlarm reaches it: the rest name target tracking's own alarms.
    const puts = statements.filter((s) => s.Effect === 'Allow' && actions(s).includes('cloudwatch:PutMetricAlarm') && !burst.includes(s));
    for (const s of puts) expect(JSON.stringify(s.Resource)).toContain(':alarm:TargetTracking-service/');
    // The step policy is put through PutScalingPolicy on this account's ECS scalable targets only.
    const putPolicy = statements.filter((s) => actions(s).includes('application-autoscaling:PutScalingPolicy'));
    expect(putPolicy).toHaveLength(1);
    expect(putPolicy[0]!.Condition).toEqual({
      StringEquals: {
        'application-autoscaling:service-namespace': 'ecs',
        'application-autoscaling:scalable-dimension': 'ecs:service:DesiredCount',
      },
    });
  });

  it('has the worker emit the high-resolution backlog metric at the alarm period', () => {
    const container = resource('QueueThumbnailsTaskDefinition').Properties.ContainerDefinitions[0];
    expect(container.Environment).toContainEqual({ Name: 'BACKLOG_METRIC_SECONDS', Value: '10' });
  });

  it('forecasts and scales ahead of recurring peaks from the queue history, 300 s early', () => {
    const policy = resource('QueueThumbnailsPredictiveScalingPolicy').Properties;
    expect(policy.PolicyType).toBe('PredictiveScaling');
    const config = policy.PredictiveScalingPolicyConfiguration;
    expect(config).toMatchObject({ Mode: 'ForecastAndScale', SchedulingBufferTime: 300, MaxCapacityBreachBehavior: 'HonorMaxCapacity' });
    const [spec] = config.MetricSpecifications;
    expect(spec.TargetValue).toBeGreaterThan(0);
    expect(spec.CustomizedLoadMetricSpecification.MetricDataQueries[0].MetricStat.Metric.MetricName).toBe('NumberOfMessagesSent');
  });
});
