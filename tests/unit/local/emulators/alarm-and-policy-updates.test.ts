/**
 * The local monitoring endpoint's updates, as AWS makes them: PutMetricAlarm replaces an alarm's
 * whole configuration and keeps its state (a metric math alarm included, Tags ignored on an
 * update), DescribeAlarms returns it; PutScalingPolicy updates a step policy's configuration and
 * refuses step adjustments Application Auto Scaling would.
 */
import {
  autoScalingOperations,
  type LocalScalingPolicy,
  stepAdjustmentsProblem,
} from '../../../../local/emulators/application-auto-scaling/api';
import { AwsApiError } from '../../../../local/emulators/aws-json-server';
import { LocalAlarms } from '../../../../local/emulators/cloudwatch/alarms';
import { cloudWatchOperations } from '../../../../local/emulators/cloudwatch/api';
import { MetricStore } from '../../../../local/emulators/cloudwatch/metrics';

const context = { signal: new AbortController().signal };
const NOW = Date.parse('2026-11-20T06:30:00Z');

const burstAlarm = {
  AlarmName: 'stack-QueueThumbnailsBurstAlarm-ABC',
  AlarmDescription: 'burst path',
  AlarmActions: ['arn:aws:autoscaling:us-east-1:000000000000:scalingPolicy:local:resource/ecs/service/c/s:policyName/p-burst'],
  EvaluationPeriods: 2,
  DatapointsToAlarm: 2,
  Threshold: 7.2,
  ComparisonOperator: 'GreaterThanThreshold' as const,
  TreatMissingData: 'notBreaching' as const,
  Metrics: [
    {
      Id: 'visible',
      ReturnData: false,
      MetricStat: {
        Metric: { Namespace: 'N', MetricName: 'VisibleMessages', Dimensions: [{ Name: 'Q', Value: 'q' }] },
        Period: 10,
        Stat: 'Maximum',
      },
    },
    { Id: 'backlog', Expression: 'visible', ReturnData: true },
  ],
};

function cloudWatch() {
  let now = NOW;
  const alarms = new LocalAlarms(new MetricStore(), { region: 'us-east-1', accountId: '000000000000' }, () => now);
  alarms.defineMath(burstAlarm.AlarmName, `arn:aws:cloudwatch:us-east-1:000000000000:alarm:${burstAlarm.AlarmName}`, burstAlarm);
  return { alarms, api: cloudWatchOperations(new MetricStore(), alarms), later: () => (now += 60_000) };
}

const describe1 = async (api: ReturnType<typeof cloudWatch>['api'], name: string) =>
  ((await api.DescribeAlarms!({ AlarmNames: [name] }, context)) as { MetricAlarms: Array<Record<string, unknown>> }).MetricAlarms[0]!;

test('DescribeAlarms returns a metric math alarm whole: Metrics, actions, TreatMissingData, threshold', async () => {
  const { api } = cloudWatch();

  const alarm = await describe1(api, burstAlarm.AlarmName);

  expect(alarm).toMatchObject({ ...burstAlarm, ActionsEnabled: true, OKActions: [], StateValue: 'OK' });
  expect(alarm.AlarmConfigurationUpdatedTimestamp).toBe(NOW / 1000);
  expect(alarm).not.toHaveProperty('Tags');
});

test('PutMetricAlarm replaces the whole configuration, keeps the state and ignores Tags; the new threshold is announced', async () => {
  // Prepare
  const { alarms, api, later } = cloudWatch();
  Object.assign(alarms.mathAlarms.get(burstAlarm.AlarmName)!, { state: 'ALARM', stateReason: 'breached' });
  const configured: Array<{ alarmName: string; threshold: number }> = [];
  alarms.on('configured', (c) => configured.push(c));
  later();

  // Act: everything but the description and TreatMissingData, a new threshold, and tags.
  const { AlarmDescription: _d, TreatMissingData: _t, ...rest } = burstAlarm;
  await api.PutMetricAlarm!({ ...rest, Threshold: 0.54, Tags: [{ Key: 'k', Value: 'v' }] }, context);

  // Assess: what was left out is gone (a put is the whole configuration), the state stays.
  const alarm = await describe1(api, burstAlarm.AlarmName);
  expect(alarm).toMatchObject({ Threshold: 0.54, Metrics: burstAlarm.Metrics, AlarmActions: burstAlarm.AlarmActions, StateValue: 'ALARM' });
  expect(alarm).not.toHaveProperty('AlarmDescription');
  expect(alarm).not.toHaveProperty('TreatMissingData');
  expect(alarm).not.toHaveProperty('Tags');
  expect(alarm.AlarmConfigurationUpdatedTimestamp).toBe(NOW / 1000 + 60);
  expect(configured).toEqual([{ alarmName: burstAlarm.AlarmName, threshold: 0.54 }]);
});

test('PutMetricAlarm refuses a single metric and metric math at once, and metric math with two results', async () => {
  const { api } = cloudWatch();

  expect(() => api.PutMetricAlarm!({ ...burstAlarm, MetricName: 'm', Namespace: 'N', Statistic: 'Sum' }, context)).toThrow(
    'MetricName/Namespace and Metrics cannot both be set',
  );
  const twoResults = burstAlarm.Metrics.map((m) => ({ ...m, ReturnData: true }));
  expect(() => api.PutMetricAlarm!({ ...burstAlarm, Metrics: twoResults }, context)).toThrow(AwsApiError);
});

const stepPolicy = (): LocalScalingPolicy => ({
  policyArn: 'arn:policy',
  policyName: 'p-burst',
  serviceNamespace: 'ecs',
  resourceId: 'service/c/s',
  scalableDimension: 'ecs:service:DesiredCount',
  policyType: 'StepScaling',
  configuration: {
    AdjustmentType: 'PercentChangeInCapacity',
    Cooldown: 240,
    StepAdjustments: [{ MetricIntervalLowerBound: 0, ScalingAdjustment: 50 }],
  },
  alarms: [{ AlarmName: burstAlarm.AlarmName, AlarmARN: 'arn:alarm' }],
  createdAt: new Date(NOW),
});

test('PutScalingPolicy puts a step policy configuration, and DescribeScalingPolicies returns it with its alarm', async () => {
  // Prepare
  const policy = stepPolicy();
  const put: Array<Record<string, unknown>> = [];
  const api = autoScalingOperations({ list: () => [policy], put: (p, c) => put.push((p.configuration = c)) });
  const configuration = {
    AdjustmentType: 'PercentChangeInCapacity',
    Cooldown: 240,
    StepAdjustments: [
      { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 0.54, ScalingAdjustment: 50 },
      { MetricIntervalLowerBound: 0.54, ScalingAdjustment: 100 },
    ],
  };
  const target = {
    ServiceNamespace: 'ecs',
    ResourceId: 'service/c/s',
    ScalableDimension: 'ecs:service:DesiredCount',
    PolicyName: 'p-burst',
  };

  // Act
  const out = await api.PutScalingPolicy!({ ...target, PolicyType: 'StepScaling', StepScalingPolicyConfiguration: configuration }, context);
  const described = (await api.DescribeScalingPolicies!({ ServiceNamespace: 'ecs', PolicyNames: ['p-burst'] }, context)) as {
    ScalingPolicies: Array<Record<string, unknown>>;
  };

  // Assess
  expect(out).toEqual({ PolicyARN: 'arn:policy' });
  expect(put).toEqual([configuration]);
  expect(described.ScalingPolicies[0]).toMatchObject({
    PolicyType: 'StepScaling',
    StepScalingPolicyConfiguration: configuration,
    Alarms: [{ AlarmName: burstAlarm.AlarmName, AlarmARN: 'arn:alarm' }],
  });
  // Not another type, and not steps AWS would refuse.
  expect(() =>
    api.PutScalingPolicy!(
      { ...target, PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: { TargetValue: 5 } },
      context,
    ),
  ).toThrow('is StepScaling');
  const gap = {
    ...configuration,
    StepAdjustments: [
      { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 1, ScalingAdjustment: 50 },
      { MetricIntervalLowerBound: 2, ScalingAdjustment: 100 },
    ],
  };
  expect(() => api.PutScalingPolicy!({ ...target, PolicyType: 'StepScaling', StepScalingPolicyConfiguration: gap }, context)).toThrow(
    'gap',
  );
});

test.each([
  [[{ MetricIntervalLowerBound: 0, ScalingAdjustment: 1 }], undefined],
  [[{ ScalingAdjustment: 1 }], 'a lower or an upper bound'],
  [
    [
      { MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 2, ScalingAdjustment: 1 },
      { MetricIntervalLowerBound: 1, ScalingAdjustment: 2 },
    ],
    'overlap',
  ],
  [[{ MetricIntervalLowerBound: 0, MetricIntervalUpperBound: 2, ScalingAdjustment: 1 }], 'positive upper bound'],
  [[{ MetricIntervalLowerBound: -1, ScalingAdjustment: 1 }], 'negative lower bound'],
  [
    [
      { MetricIntervalLowerBound: 0, ScalingAdjustment: 1 },
      { MetricIntervalLowerBound: 1, ScalingAdjustment: 2 },
    ],
    'no upper bound',
  ],
])('step adjustments %j: %s', (steps, problem) => {
  const found = stepAdjustmentsProblem(steps);
  if (problem === undefined) expect(found).toBeUndefined();
  else expect(found).toContain(problem);
});
