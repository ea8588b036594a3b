/**
 * The target updater keeps a queue service's burst path in proportion to the target it puts:
 * the burst alarm back whole with Threshold = thresholdFactor × target, the step policy back
 * whole with the steps rebuilt on that threshold; nothing written when nothing differs; a
 * failed write names exactly what was applied, what failed and what was not attempted.
 */
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  ApplicationAutoScalingClient,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import {
  CloudWatchClient,
  DescribeAlarmsCommand,
  GetMetricDataCommand,
  type MetricAlarm,
  PutMetricAlarmCommand,
} from '@aws-sdk/client-cloudwatch';
import { applicationAutoScalingPolicies } from '../../../lib/queue-services/adapters/application-auto-scaling-policies';
import { toAwsSteps } from '../../../lib/queue-services/burst-math';
import { cloudWatchAlarms, MetricAlarmShapeError } from '../../../lib/queue-services/adapters/cloudwatch-alarms';
import { getMetricDataStats } from '../../../lib/queue-services/adapters/cloudwatch-processing-stats';
import { burstStepAdjustments } from '../../../lib/queue-services/burst-math';
import {
  BurstAlarmNotFoundError,
  PartialScalingUpdateError,
  updateScalingTarget,
  type UpdateScalingTargetInput,
} from '../../../lib/queue-services/update-scaling-target';

const autoscaling = mockClient(ApplicationAutoScalingClient);
const cloudwatch = mockClient(CloudWatchClient);

const RESOURCE_ID = 'service/pipelines-dev-cluster/pipelines-dev-thumbnails-Service-abc';
const NOW = new Date('2026-11-20T12:00:00Z');
const TRACKING = 'pipelines-dev-thumbnails-backlog-per-task';
const STEP = 'pipelines-dev-thumbnails-burst';
const ALARM = 'pipelines-dev-QueueThumbnailsBurstAlarm-XYZ';
const STEP_ARN = `arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:1:resource/ecs/${RESOURCE_ID}:policyName/${STEP}`;
const FACTOR = 0.3;
const MAX_STEP = 6400;

const input: UpdateScalingTargetInput = {
  queueService: 'thumbnails',
  cluster: 'pipelines-dev-cluster',
  serviceName: 'pipelines-dev-thumbnails-Service-abc',
  policyName: TRACKING,
  metricDimension: 'pipelines-dev-thumbnails',
  settings: { acceptableLatencySeconds: 120, tolerance: 0.1, maxTarget: 500, headroom: 1 },
  burst: { alarmName: ALARM, policyName: STEP, thresholdFactor: FACTOR, maxStepPercent: MAX_STEP },
};

const deps = () => ({
  policies: applicationAutoScalingPolicies(new ApplicationAutoScalingClient({})),
  alarms: cloudWatchAlarms(new CloudWatchClient({})),
  stats: getMetricDataStats(new CloudWatchClient({})),
  clock: () => NOW,
});

const tracking = (targetValue: number): ScalingPolicy => ({
  PolicyName: TRACKING,
  PolicyARN: 'arn:tracking',
  ServiceNamespace: 'ecs',
  ResourceId: RESOURCE_ID,
  ScalableDimension: 'ecs:service:DesiredCount',
  PolicyType: 'TargetTrackingScaling',
  CreationTime: NOW,
  TargetTrackingScalingPolicyConfiguration: { TargetValue: targetValue, ScaleInCooldown: 300, ScaleOutCooldown: 180 },
});

/** The step policy's configuration, everything but the steps as the template has it. */
const stepConfiguration = (threshold: number) => ({
  AdjustmentType: 'PercentChangeInCapacity' as const,
  Cooldown: 240,
  MetricAggregationType: 'Average' as const,
  MinAdjustmentMagnitude: 1,
  StepAdjustments: toAwsSteps(burstStepAdjustments(threshold, MAX_STEP)),
});

const step = (threshold: number): ScalingPolicy => ({
  PolicyName: STEP,
  PolicyARN: STEP_ARN,
  ServiceNamespace: 'ecs',
  ResourceId: RESOURCE_ID,
  ScalableDimension: 'ecs:service:DesiredCount',
  PolicyType: 'StepScaling',
  CreationTime: NOW,
  StepScalingPolicyConfiguration: stepConfiguration(threshold),
});

/** The configuration of the burst alarm as DescribeAlarms returns it (metric math, actions, TreatMissingData). */
const alarmConfiguration = {
  AlarmName: ALARM,
  AlarmDescription: 'Queue service thumbnails: backlog per task above 0.3 × the backlog-per-task target',
  ActionsEnabled: true,
  OKActions: [],
  AlarmActions: [STEP_ARN],
  InsufficientDataActions: [],
  EvaluationPeriods: 2,
  DatapointsToAlarm: 2,
  ComparisonOperator: 'GreaterThanThreshold' as const,
  TreatMissingData: 'notBreaching',
  Metrics: [
    {
      Id: 'visible',
      ReturnData: false,
      MetricStat: {
        Metric: {
          Namespace: 'EcsPipelines/QueueServices',
          MetricName: 'VisibleMessages',
          Dimensions: [{ Name: 'QueueService', Value: 'pipelines-dev-thumbnails' }],
        },
        Period: 10,
        Stat: 'Maximum',
      },
    },
    {
      Id: 'tasks',
      ReturnData: false,
      MetricStat: {
        Metric: {
          Namespace: 'EcsPipelines/QueueServices',
          MetricName: 'WorkerAlive',
          Dimensions: [{ Name: 'QueueService', Value: 'pipelines-dev-thumbnails' }],
        },
        Period: 10,
        Stat: 'SampleCount',
      },
    },
    { Id: 'backlog', Label: 'Backlog per task', Expression: 'IF(tasks > 0, visible / tasks, visible)', ReturnData: true },
  ],
};

const alarm = (threshold: number, extra: Partial<MetricAlarm> = {}): MetricAlarm => ({
  ...alarmConfiguration,
  Threshold: threshold,
  // State and history: returned, never put back.
  AlarmArn: `arn:aws:cloudwatch:us-east-1:123456789012:alarm:${ALARM}`,
  AlarmConfigurationUpdatedTimestamp: NOW,
  StateValue: 'OK',
  StateReason: 'Threshold Crossed',
  StateReasonData: '{}',
  StateUpdatedTimestamp: NOW,
  StateTransitionedTimestamp: NOW,
  ...extra,
});

/** One hour at `seconds` per message, 10 messages a minute. */
const measured = (seconds: number) => ({
  MetricDataResults: [
    { Id: 'duration', Values: Array.from({ length: 60 }, () => 10 * seconds * 1000) },
    { Id: 'messages', Values: Array.from({ length: 60 }, () => 10) },
  ],
});

/** Deployed: target 60, alarm at 0.3 × 60 = 18, steps on 18. */
function deployed({ target = 60, threshold = 18, stepsOn = 18 } = {}) {
  autoscaling.on(DescribeScalingPoliciesCommand, { PolicyNames: [TRACKING] }).resolves({ ScalingPolicies: [tracking(target)] });
  autoscaling.on(DescribeScalingPoliciesCommand, { PolicyNames: [STEP] }).resolves({ ScalingPolicies: [step(stepsOn)] });
  autoscaling.on(PutScalingPolicyCommand).resolves({ PolicyARN: 'arn' });
  cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [alarm(threshold)] });
  cloudwatch.on(PutMetricAlarmCommand).resolves({});
}

/** Sinon numbers every call of every spy in one sequence (not in its types). */
const callId = (call: object) => (call as { callId: number }).callId;

/** Every write, in the order it was sent. */
const writes = () =>
  [...autoscaling.commandCalls(PutScalingPolicyCommand), ...cloudwatch.commandCalls(PutMetricAlarmCommand)]
    .sort((a, b) => callId(a) - callId(b))
    .map((call) => {
      const sent = call.args[0].input as { PolicyType?: string; Threshold?: number };
      return sent.PolicyType ?? `alarm ${sent.Threshold}`;
    });

beforeEach(() => {
  autoscaling.reset();
  cloudwatch.reset();
});

describe('the burst path follows the target', () => {
  it('puts the target, then the alarm with thresholdFactor × the new target, then the steps rebuilt on it', async () => {
    // Prepare: processing got 2× slower, 2 s → 4 s per message: target 60 → 30, threshold 18 → 9.
    deployed();
    cloudwatch.on(GetMetricDataCommand).resolves(measured(4));

    // Act
    const result = await updateScalingTarget(input, deps());

    // Assess: what the run says it did, and what it sent, in that order.
    expect(result).toMatchObject({
      action: 'update',
      current: 60,
      proposed: 30,
      applied: ['target', 'burst-alarm-threshold', 'burst-steps'],
      burst: { previousThreshold: 18, threshold: 9, steps: burstStepAdjustments(9, MAX_STEP) },
    });
    expect(writes()).toEqual(['TargetTrackingScaling', 'alarm 9', 'StepScaling']);
    expect(cloudwatch).toHaveReceivedCommandWith(DescribeAlarmsCommand, { AlarmNames: [ALARM], AlarmTypes: ['MetricAlarm'] });
    // The whole alarm back, only the threshold new: no state field, no Tags (an update keeps them).
    const put = cloudwatch.commandCalls(PutMetricAlarmCommand)[0]!.args[0].input;
    expect(put).toEqual({ ...alarmConfiguration, Threshold: 9 });
    // The whole step configuration back, only the steps new (bounds are offsets from 9 now).
    expect(autoscaling).toHaveReceivedCommandWith(PutScalingPolicyCommand, {
      ServiceNamespace: 'ecs',
      ResourceId: RESOURCE_ID,
      ScalableDimension: 'ecs:service:DesiredCount',
      PolicyName: STEP,
      PolicyType: 'StepScaling',
      StepScalingPolicyConfiguration: stepConfiguration(9),
    });
    expect(stepConfiguration(9).StepAdjustments[1]!.MetricIntervalLowerBound).toBe(9);
  });

  it('writes nothing when the target stays within the tolerance and the burst path already follows it', async () => {
    deployed();
    cloudwatch.on(GetMetricDataCommand).resolves(measured(2.1));

    const result = await updateScalingTarget(input, deps());

    expect(result).toMatchObject({
      action: 'keep',
      reason: 'within-tolerance',
      applied: [],
      burst: { previousThreshold: 18, threshold: 18 },
    });
    expect(writes()).toEqual([]);
  });

  it('repairs what an earlier run left behind: the kept target, a stale alarm threshold, only the alarm put', async () => {
    // Prepare: target already 30 (put by a run whose alarm update failed), alarm still at 18, steps on 9.
    deployed({ target: 30, threshold: 18, stepsOn: 9 });
    cloudwatch.on(GetMetricDataCommand).resolves(measured(4));

    const result = await updateScalingTarget(input, deps());

    expect(result).toMatchObject({ action: 'keep', applied: ['burst-alarm-threshold'], burst: { previousThreshold: 18, threshold: 9 } });
    expect(writes()).toEqual(['alarm 9']);
  });

  it('follows the kept target when no message was processed', async () => {
    deployed({ target: 60, threshold: 18, stepsOn: 12 });
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'duration', Values: [] },
        { Id: 'messages', Values: [] },
      ],
    });

    const result = await updateScalingTarget(input, deps());

    expect(result).toMatchObject({ action: 'keep', reason: 'no-data', applied: ['burst-steps'] });
    expect(writes()).toEqual(['StepScaling']);
  });

  it('fails naming the target as applied, the alarm as failed and the steps as not attempted', async () => {
    deployed();
    cloudwatch.on(GetMetricDataCommand).resolves(measured(4));
    cloudwatch.on(PutMetricAlarmCommand).rejects(new Error('Rate exceeded'));

    const failure = await updateScalingTarget(input, deps()).catch((error: unknown) => error);

    expect(failure).toBeInstanceOf(PartialScalingUpdateError);
    expect(failure).toMatchObject({
      queueService: 'thumbnails',
      applied: ['target'],
      failed: 'burst-alarm-threshold',
      notAttempted: ['burst-steps'],
    });
    expect((failure as Error).message).toBe(
      'queue service "thumbnails": burst-alarm-threshold update failed (Rate exceeded); applied before it: target; ' +
        'not attempted: burst-steps. The next run puts whatever still differs from the target in force.',
    );
    expect(writes()).toEqual(['TargetTrackingScaling', 'alarm 9']);
  });

  it('fails naming the target and the alarm as applied when the steps cannot be put', async () => {
    deployed();
    cloudwatch.on(GetMetricDataCommand).resolves(measured(4));
    autoscaling.on(PutScalingPolicyCommand, { PolicyType: 'StepScaling' }).rejects(new Error('ValidationException'));

    const failure = await updateScalingTarget(input, deps()).catch((error: unknown) => error);

    expect(failure).toMatchObject({ applied: ['target', 'burst-alarm-threshold'], failed: 'burst-steps', notAttempted: [] });
  });

  it('fails with nothing applied when the target itself cannot be put', async () => {
    deployed();
    cloudwatch.on(GetMetricDataCommand).resolves(measured(4));
    autoscaling.on(PutScalingPolicyCommand, { PolicyType: 'TargetTrackingScaling' }).rejects(new Error('throttled'));

    const failure = await updateScalingTarget(input, deps()).catch((error: unknown) => error);

    expect(failure).toMatchObject({ applied: [], failed: 'target', notAttempted: ['burst-alarm-threshold', 'burst-steps'] });
    expect(writes()).toEqual(['TargetTrackingScaling']);
  });

  it('writes nothing when the burst alarm is missing', async () => {
    deployed();
    cloudwatch.on(GetMetricDataCommand).resolves(measured(4));
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [] });

    await expect(updateScalingTarget(input, deps())).rejects.toThrow(BurstAlarmNotFoundError);
    await expect(updateScalingTarget(input, deps())).rejects.toThrow(
      `no metric alarm "${ALARM}" (burst path of queue service "thumbnails")`,
    );
    expect(writes()).toEqual([]);
  });

  it('writes nothing when the step policy is missing', async () => {
    deployed();
    cloudwatch.on(GetMetricDataCommand).resolves(measured(4));
    autoscaling.on(DescribeScalingPoliciesCommand, { PolicyNames: [STEP] }).resolves({ ScalingPolicies: [] });

    await expect(updateScalingTarget(input, deps())).rejects.toThrow(`no step scaling policy "${STEP}" on ${RESOURCE_ID}`);
    expect(writes()).toEqual([]);
  });

  it('writes nothing when the alarm has configuration it could not put back', async () => {
    deployed();
    cloudwatch.on(GetMetricDataCommand).resolves(measured(4));
    cloudwatch.on(DescribeAlarmsCommand).resolves({ MetricAlarms: [{ ...alarm(18), SomethingNew: { x: 1 } } as unknown as MetricAlarm] });

    await expect(updateScalingTarget(input, deps())).rejects.toThrow(MetricAlarmShapeError);
    await expect(updateScalingTarget(input, deps())).rejects.toThrow(`alarm "${ALARM}" has SomethingNew`);
    expect(writes()).toEqual([]);
  });

  it('leaves a service without a burst path as before: the target only', async () => {
    deployed();
    cloudwatch.on(GetMetricDataCommand).resolves(measured(4));
    const { burst: _none, ...trackingOnly } = input;

    const result = await updateScalingTarget(trackingOnly, deps());

    expect(result.applied).toEqual(['target']);
    expect(result.burst).toBeUndefined();
    expect(cloudwatch).not.toHaveReceivedCommand(DescribeAlarmsCommand);
    expect(writes()).toEqual(['TargetTrackingScaling']);
  });
});
