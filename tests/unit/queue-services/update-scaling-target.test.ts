import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import {
  ApplicationAutoScalingClient,
  DescribeScalingPoliciesCommand,
  PutScalingPolicyCommand,
  type ScalingPolicy,
} from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient, GetMetricDataCommand, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { applicationAutoScalingPolicies } from '../../../lib/queue-services/adapters/application-auto-scaling-policies';
import { cloudWatchAlarms } from '../../../lib/queue-services/adapters/cloudwatch-alarms';
import { getMetricDataStats, getMetricStatisticsStats } from '../../../lib/queue-services/adapters/cloudwatch-processing-stats';
import {
  ForeignScalingPolicyError,
  ScalingPolicyNotFoundError,
  updateScalingTarget,
} from '../../../lib/queue-services/update-scaling-target';

const autoscaling = mockClient(ApplicationAutoScalingClient);
const cloudwatch = mockClient(CloudWatchClient);

const RESOURCE_ID = 'service/pipelines-dev-cluster/pipelines-dev-thumbnails-Service-abc';
const NOW = new Date('2026-11-20T12:00:00Z');

const configuration = {
  TargetValue: 60,
  ScaleInCooldown: 300,
  ScaleOutCooldown: 60,
  CustomizedMetricSpecification: {
    Metrics: [
      {
        Id: 'm1',
        ReturnData: false,
        MetricStat: {
          Stat: 'Sum',
          Metric: {
            Namespace: 'AWS/SQS',
            MetricName: 'ApproximateNumberOfMessagesVisible',
            Dimensions: [{ Name: 'QueueName', Value: 'q' }],
          },
        },
      },
      {
        Id: 'm2',
        ReturnData: false,
        MetricStat: { Stat: 'Average', Metric: { Namespace: 'ECS/ContainerInsights', MetricName: 'RunningTaskCount', Dimensions: [] } },
      },
      { Id: 'e1', ReturnData: true, Expression: 'IF(m2 > 0, m1 / m2, m1)', Label: 'Backlog per task' },
    ],
  },
};

function policy(resourceId = RESOURCE_ID, targetValue = 60): ScalingPolicy {
  return {
    PolicyName: 'stack-thumbnails-backlog-per-task',
    PolicyARN: 'arn:aws:autoscaling:us-east-1:123456789012:scalingPolicy:x',
    ServiceNamespace: 'ecs',
    ResourceId: resourceId,
    ScalableDimension: 'ecs:service:DesiredCount',
    PolicyType: 'TargetTrackingScaling',
    CreationTime: NOW,
    TargetTrackingScalingPolicyConfiguration: { ...configuration, TargetValue: targetValue },
  };
}

/** One hour of one-minute periods in milliseconds: `perMinute` messages of `seconds` each. */
function metricData(perMinute: number, seconds: number, minutes = 60) {
  return {
    MetricDataResults: [
      { Id: 'duration', Values: Array.from({ length: minutes }, () => perMinute * seconds * 1000) },
      { Id: 'messages', Values: Array.from({ length: minutes }, () => perMinute) },
    ],
  };
}

const input = {
  queueService: 'thumbnails',
  cluster: 'pipelines-dev-cluster',
  serviceName: 'pipelines-dev-thumbnails-Service-abc',
  policyName: 'stack-thumbnails-backlog-per-task',
  metricDimension: 'pipelines-dev-thumbnails',
  // headroom 1 keeps the arithmetic readable; the headroom itself is tested with the target math.
  settings: { acceptableLatencySeconds: 120, tolerance: 0.1, maxTarget: 500, headroom: 1 },
};

const deps = () => ({
  policies: applicationAutoScalingPolicies(new ApplicationAutoScalingClient({})),
  alarms: cloudWatchAlarms(new CloudWatchClient({})),
  stats: getMetricDataStats(new CloudWatchClient({})),
  clock: () => NOW,
});

beforeEach(() => {
  autoscaling.reset();
  cloudwatch.reset();
});

describe('updating the scaling target', () => {
  it('puts the new target on the stack service policy only, keeping the rest of the configuration', async () => {
    // Prepare: 4 s per message now → target 30, a 50 % move.
    autoscaling.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [policy()] });
    autoscaling.on(PutScalingPolicyCommand).resolves({ PolicyARN: 'arn' });
    cloudwatch.on(GetMetricDataCommand).resolves(metricData(10, 4));

    // Act
    const result = await updateScalingTarget(input, deps());

    // Assess
    expect(result).toMatchObject({ action: 'update', current: 60, proposed: 30, resourceId: RESOURCE_ID });
    expect(autoscaling).toHaveReceivedCommandWith(DescribeScalingPoliciesCommand, {
      ServiceNamespace: 'ecs',
      ResourceId: RESOURCE_ID,
      ScalableDimension: 'ecs:service:DesiredCount',
      PolicyNames: [input.policyName],
    });
    expect(autoscaling).toHaveReceivedCommandTimes(PutScalingPolicyCommand, 1);
    expect(autoscaling).toHaveReceivedCommandWith(PutScalingPolicyCommand, {
      ServiceNamespace: 'ecs',
      ResourceId: RESOURCE_ID,
      ScalableDimension: 'ecs:service:DesiredCount',
      PolicyName: input.policyName,
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { ...configuration, TargetValue: 30 },
    });
  });

  it('reads Sum and SampleCount over the whole last hour', async () => {
    autoscaling.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [policy()] });
    cloudwatch.on(GetMetricDataCommand).resolves(metricData(10, 2));

    await updateScalingTarget(input, deps());

    const call = cloudwatch.commandCalls(GetMetricDataCommand)[0]!.args[0].input;
    expect(call.StartTime).toEqual(new Date('2026-11-20T11:00:00Z'));
    expect(call.EndTime).toEqual(NOW);
    expect(call.MetricDataQueries!.map((q) => q.MetricStat!.Stat)).toEqual(['Sum', 'SampleCount']);
    expect(call.MetricDataQueries![0]!.MetricStat!.Metric!.Dimensions).toEqual([
      { Name: 'QueueService', Value: 'pipelines-dev-thumbnails' },
    ]);
  });

  it('adds up every page of GetMetricData', async () => {
    autoscaling.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [policy()] });
    autoscaling.on(PutScalingPolicyCommand).resolves({});
    cloudwatch
      .on(GetMetricDataCommand)
      .resolvesOnce({ ...metricData(10, 1, 30), NextToken: 'page-2' })
      .resolvesOnce(metricData(10, 7, 30));

    const result = await updateScalingTarget(input, deps());

    // (300 × 1 s + 300 × 7 s) / 600 = 4 s → target 30
    expect(result).toMatchObject({ action: 'update', proposed: 30, stats: { sumSeconds: 2400, count: 600 } });
    expect(cloudwatch).toHaveReceivedCommandWith(GetMetricDataCommand, { NextToken: 'page-2' });
  });

  it('does not put the policy when the target moves within the tolerance', async () => {
    autoscaling.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [policy()] });
    cloudwatch.on(GetMetricDataCommand).resolves(metricData(10, 2.1));

    const result = await updateScalingTarget(input, deps());

    expect(result).toMatchObject({ action: 'keep', reason: 'within-tolerance' });
    expect(autoscaling).not.toHaveReceivedCommand(PutScalingPolicyCommand);
  });

  it('keeps the current target when no message was processed in the window', async () => {
    autoscaling.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [policy()] });
    cloudwatch.on(GetMetricDataCommand).resolves({
      MetricDataResults: [
        { Id: 'duration', Values: [] },
        { Id: 'messages', Values: [] },
      ],
    });

    const result = await updateScalingTarget(input, deps());

    expect(result).toMatchObject({ action: 'keep', reason: 'no-data', current: 60 });
    expect(autoscaling).not.toHaveReceivedCommand(PutScalingPolicyCommand);
  });

  it('refuses a policy that belongs to another service', async () => {
    autoscaling.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [policy('service/other-cluster/other-service')] });
    cloudwatch.on(GetMetricDataCommand).resolves(metricData(10, 4));

    await expect(updateScalingTarget(input, deps())).rejects.toBeInstanceOf(ForeignScalingPolicyError);
    expect(autoscaling).not.toHaveReceivedCommand(PutScalingPolicyCommand);
  });

  it('fails clearly when the policy does not exist', async () => {
    autoscaling.on(DescribeScalingPoliciesCommand).resolves({ ScalingPolicies: [] });

    await expect(updateScalingTarget(input, deps())).rejects.toThrow(ScalingPolicyNotFoundError);
    await expect(updateScalingTarget(input, deps())).rejects.toThrow(`no target tracking policy "${input.policyName}" on ${RESOURCE_ID}`);
  });

  it('rejects a cluster or service name that would address another resource', async () => {
    await expect(updateScalingTarget({ ...input, serviceName: 'a/b' }, deps())).rejects.toThrow('cannot build an ECS resource id');
    expect(autoscaling).not.toHaveReceivedCommand(DescribeScalingPoliciesCommand);
  });
});

describe('GetMetricStatistics adapter', () => {
  it('adds Sum and SampleCount across the datapoints of the window', async () => {
    cloudwatch.on(GetMetricStatisticsCommand).resolves({
      Datapoints: [
        { Sum: 10_000, SampleCount: 10 },
        { Sum: 600_000, SampleCount: 1 },
      ],
    });

    const totals = await getMetricStatisticsStats(new CloudWatchClient({})).window('dim', new Date(NOW.getTime() - 3_600_000), NOW);

    expect(totals).toEqual({ sumSeconds: 610, count: 11 });
    expect(cloudwatch).toHaveReceivedCommandWith(GetMetricStatisticsCommand, { Statistics: ['Sum', 'SampleCount'], Period: 60 });
  });
});
