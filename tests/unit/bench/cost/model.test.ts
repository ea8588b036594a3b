import { firesPerMonth, idleCost, perMillionFiles, perRun } from '../../../../bench/cost/model';
import { MEASURED } from '../../../../bench/cost/measured';
import type { Template } from '../../../../bench/cost/template';
import { regionPrices } from '../../../../lib/shared/pricing/prices';

const us = regionPrices('us-east-1');
const eu = regionPrices('eu-west-1');
const fn = (memory = 256) => ({ Type: 'AWS::Lambda::Function', Properties: { MemorySize: memory, Architectures: ['arm64'] } });
const line = (table: { lines: Array<{ item: string; usd: number }> }, item: string) => table.lines.find((l) => l.item === item)?.usd;

/** A small stage: every kind of idle cost once, one resource under a false condition. */
const idleTemplate: Template = {
  Conditions: { NoNotifier: { 'Fn::Equals': ['false', 'true'] }, Network: { 'Fn::Not': [{ Condition: 'NoNotifier' }] } },
  Resources: {
    Stream: { Type: 'AWS::Kinesis::Stream', Properties: { StreamModeDetails: { StreamMode: 'PROVISIONED' }, ShardCount: 2 } },
    Endpoint: {
      Type: 'AWS::EC2::VPCEndpoint',
      Condition: 'Network',
      Properties: { VpcEndpointType: 'Interface', SubnetIds: [{ Ref: 'A' }, { Ref: 'B' }] },
    },
    SkippedEndpoint: {
      Type: 'AWS::EC2::VPCEndpoint',
      Condition: 'NoNotifier',
      Properties: { VpcEndpointType: 'Interface', SubnetIds: ['a'] },
    },
    Gateway: { Type: 'AWS::EC2::VPCEndpoint', Properties: { VpcEndpointType: 'Gateway' } },
    AlarmA: { Type: 'AWS::CloudWatch::Alarm', Properties: { Period: 300 } },
    AlarmB: { Type: 'AWS::CloudWatch::Alarm', Properties: { Period: 60 } },
    AlarmFast: { Type: 'AWS::CloudWatch::Alarm', Properties: { Period: 10 } },
    AlarmMath: {
      Type: 'AWS::CloudWatch::Alarm',
      Properties: {
        Metrics: [
          { Id: 'm1', MetricStat: { Period: 300 } },
          { Id: 'm2', MetricStat: { Period: 300 } },
          { Id: 'e', Expression: 'm1/m2' },
        ],
      },
    },
    Dashboard: { Type: 'AWS::CloudWatch::Dashboard', Properties: {} },
    Key: { Type: 'AWS::KMS::Key', Properties: {} },
    Secret: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
    Cluster: { Type: 'AWS::ECS::Cluster', Properties: { ClusterSettings: [{ Name: 'containerInsights', Value: 'enabled' }] } },
    TaskDefinition: {
      Type: 'AWS::ECS::TaskDefinition',
      Properties: { Cpu: '512', Memory: '1024', RuntimePlatform: { CpuArchitecture: 'ARM64' } },
    },
    Service: {
      Type: 'AWS::ECS::Service',
      Properties: {
        Cluster: { Ref: 'Cluster' },
        TaskDefinition: { Ref: 'TaskDefinition' },
        DesiredCount: 2,
        NetworkConfiguration: { AwsvpcConfiguration: { AssignPublicIp: 'ENABLED' } },
      },
    },
    SweepFunction: fn(),
    Sweep: {
      Type: 'AWS::Events::Rule',
      Properties: { ScheduleExpression: 'rate(5 minutes)', Targets: [{ Arn: { 'Fn::GetAtt': ['SweepFunction', 'Arn'] } }] },
    },
    Disabled: {
      Type: 'AWS::Events::Rule',
      Properties: {
        ScheduleExpression: 'rate(1 minute)',
        State: 'DISABLED',
        Targets: [{ Arn: { 'Fn::GetAtt': ['SweepFunction', 'Arn'] } }],
      },
    },
    Queue: { Type: 'AWS::SQS::Queue', Properties: {} },
    Mapping: { Type: 'AWS::Lambda::EventSourceMapping', Properties: { EventSourceArn: { 'Fn::GetAtt': ['Queue', 'Arn'] } } },
  },
};

describe('idleCost', () => {
  it('prices every idle resource of the template by hand-computed figures (us-east-1)', () => {
    const idle = idleCost(idleTemplate, us);

    // Prepare the expected figures by hand, from prices.yml's us-east-1 column:
    expect(line(idle, 'Stream')).toBeCloseTo(2 * 730 * 0.015, 6); // 21.90: 2 shards × 730 h
    expect(line(idle, 'Endpoint')).toBeCloseTo(2 * 730 * 0.01, 6); // 14.60: 2 AZ × 730 h
    expect(line(idle, 'SkippedEndpoint')).toBeUndefined(); // its condition is false
    expect(line(idle, 'Gateway')).toBeUndefined(); // gateway endpoints are free
    expect(line(idle, 'CloudWatch alarms')).toBeCloseTo(4 * 0.1, 6); // AlarmA, AlarmB, and 2 metrics of AlarmMath
    expect(line(idle, 'CloudWatch alarms (high resolution)')).toBeCloseTo(0.3, 6); // AlarmFast (10 s)
    expect(line(idle, 'Dashboard')).toBe(3);
    expect(line(idle, 'Key')).toBe(1);
    expect(line(idle, 'Secret')).toBe(0.4);
    expect(line(idle, 'Cluster Container Insights')).toBeCloseTo((8 + 11) * 0.3, 6); // 5.70: cluster + 1 service
    // 2 tasks × 730 h × (0.5 vCPU × 0.03238 + 1 GB × 0.00356) = 2 × 730 × 0.01975 = 28.835
    expect(line(idle, 'Service')).toBeCloseTo(28.835, 6);
    expect(line(idle, 'Service public IPv4')).toBeCloseTo(2 * 730 * 0.005, 6); // 7.30
    // 8,760 invocations (730 h × 12) × ($0.20/M + 0.153 s × 0.25 GB × $0.0000133334)
    expect(line(idle, 'SweepFunction (scheduled)')).toBeCloseTo(8760 * (0.2 / 1e6 + 0.153 * 0.25 * 0.0000133334), 9);
    expect(line(idle, 'SQS polling')).toBeCloseTo((657_000 / 1e6) * 0.4, 9); // 0.2628
    const handTotal =
      21.9 + 14.6 + 0.4 + 0.3 + 3 + 1 + 0.4 + 5.7 + 28.835 + 7.3 + 8760 * (0.2 / 1e6 + 0.153 * 0.25 * 0.0000133334) + 0.2628;
    expect(idle.totalUsd).toBeCloseTo(handTotal, 6);
  });

  it('uses the region asked for', () => {
    const idle = idleCost(idleTemplate, eu);
    expect(line(idle, 'Stream')).toBeCloseTo(2 * 730 * 0.0165, 6); // 24.09
    expect(line(idle, 'Endpoint')).toBeCloseTo(2 * 730 * 0.011, 6); // 16.06
  });

  it('prices an on-demand stream per stream-hour', () => {
    const idle = idleCost(
      { Resources: { S: { Type: 'AWS::Kinesis::Stream', Properties: { StreamModeDetails: { StreamMode: 'ON_DEMAND' } } } } },
      us,
    );
    expect(idle.totalUsd).toBeCloseTo(730 * 0.04, 6); // 29.20
  });

  it('follows a scalable target and its scheduled actions: minimum 3 from 08:00 to 20:00, 1 otherwise, is 2 tasks on average', () => {
    const template: Template = {
      Resources: {
        TaskDefinition: { Type: 'AWS::ECS::TaskDefinition', Properties: { Cpu: '256', Memory: '512' } },
        Service: { Type: 'AWS::ECS::Service', Properties: { TaskDefinition: { Ref: 'TaskDefinition' }, DesiredCount: 1 } },
        Target: {
          Type: 'AWS::ApplicationAutoScaling::ScalableTarget',
          Properties: {
            ResourceId: { 'Fn::Join': ['/', ['service', 'cluster', { 'Fn::GetAtt': ['Service', 'Name'] }]] },
            MinCapacity: 1,
            ScheduledActions: [
              { Schedule: 'cron(0 8 * * ? *)', ScalableTargetAction: { MinCapacity: 3 } },
              { Schedule: 'cron(0 20 * * ? *)', ScalableTargetAction: { MinCapacity: 1 } },
            ],
          },
        },
        Policy: {
          Type: 'AWS::ApplicationAutoScaling::ScalingPolicy',
          Properties: { PolicyType: 'TargetTrackingScaling', TargetTrackingScalingPolicyConfiguration: {} },
        },
      },
    };
    const idle = idleCost(template, us);
    // (12 h × 3 + 12 h × 1) / 24 h = 2 tasks; x86 0.25 vCPU × 0.04048 + 0.5 GB × 0.004445 = 0.0123425 an hour
    expect(line(idle, 'Service')).toBeCloseTo(2 * 730 * 0.0123425, 6);
    expect(line(idle, 'target tracking alarms')).toBeCloseTo(2 * 0.1, 6); // scale-out and scale-in alarm
  });

  it('lists scheduled pipeline runs apart from the idle cost', () => {
    const idle = idleCost(
      {
        Resources: {
          Start: fn(),
          Daily: {
            Type: 'AWS::Events::Rule',
            Properties: {
              ScheduleExpression: 'cron(0 6 * * ? *)',
              Targets: [
                {
                  Arn: { 'Fn::GetAtt': ['Start', 'Arn'] },
                  InputTransformer: { InputTemplate: '{"pipeline":"inventory-snapshot","time":<time>}' },
                },
              ],
            },
          },
        },
      },
      us,
    );
    expect(idle.scheduledRuns).toEqual([{ item: 'Daily', pipeline: 'inventory-snapshot', perMonth: expect.closeTo(365 / 12, 6) }]);
  });

  it("counts a queue service's burst path: its workers' three custom metrics and its scale-in alarm's three metrics", () => {
    const metricStat = (MetricName: string, Stat: string) => ({
      Id: MetricName.toLowerCase(),
      ReturnData: false,
      MetricStat: { Metric: { Namespace: 'EcsPipelines/QueueServices', MetricName }, Period: 60, Stat },
    });
    const template: Template = {
      Resources: {
        Burst: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: {
            Cpu: '256',
            Memory: '512',
            ContainerDefinitions: [{ Name: 'worker', Environment: [{ Name: 'BACKLOG_METRIC_SECONDS', Value: '10' }] }],
          },
        },
        NoBurst: {
          Type: 'AWS::ECS::TaskDefinition',
          Properties: {
            Cpu: '256',
            Memory: '512',
            ContainerDefinitions: [{ Name: 'worker', Environment: [{ Name: 'CONCURRENCY', Value: '1' }] }],
          },
        },
        ScaleInAlarm: {
          Type: 'AWS::CloudWatch::Alarm',
          Properties: {
            Metrics: [
              metricStat('VisibleMessages', 'Average'),
              metricStat('InFlightMessages', 'Average'),
              metricStat('WorkerAlive', 'SampleCount'),
              { Id: 'busy', Expression: '(visible + inflight) / (alive / 6 * 1)', ReturnData: true },
            ],
          },
        },
      },
    };
    const idle = idleCost(template, us);
    expect(line(idle, 'Burst burst metrics')).toBeCloseTo(3 * 0.3, 6); // 3 custom metrics × $0.30
    expect(line(idle, 'NoBurst burst metrics')).toBeUndefined();
    expect(line(idle, 'CloudWatch alarms')).toBeCloseTo(3 * 0.1, 6); // one-minute alarm reading 3 metrics
    expect(idle.totalUsd).toBeCloseTo(0.9 + 0.3, 6);
  });
});

describe('firesPerMonth', () => {
  it('counts rates per 730-hour month and cron expressions over a year', () => {
    expect(firesPerMonth('rate(1 hour)')).toBe(730);
    expect(firesPerMonth('rate(5 minutes)')).toBe(8760);
    expect(firesPerMonth('rate(2 days)')).toBeCloseTo(730 / 48, 9);
    expect(firesPerMonth('cron(0 6 * * ? *)')).toBeCloseTo(365 / 12, 9);
    expect(firesPerMonth('cron(0 6 ? * MON *)')).toBeCloseTo(52 / 12, 9); // 2027 has 52 Mondays
    expect(firesPerMonth('at(2027-01-01T00:00:00)')).toBeUndefined();
  });
});

const eventPath = (streamMode: 'PROVISIONED' | 'ON_DEMAND'): Template => ({
  Resources: {
    S3UploadWatcherLambdaFunction: fn(),
    KinesisFanInLambdaFunction: fn(),
    PrepareShardTasksLambdaFunction: {
      ...fn(1024),
      Properties: { ...fn(1024).Properties, Environment: { Variables: { TASK_ASSIGN_PUBLIC_IP: 'ENABLED' } } },
    },
    SummarizeRunLambdaFunction: fn(1024),
    Stream: { Type: 'AWS::Kinesis::Stream', Properties: { StreamModeDetails: { StreamMode: streamMode }, ShardCount: 1 } },
    FanInMapping: {
      Type: 'AWS::Lambda::EventSourceMapping',
      Properties: { EventSourceArn: { 'Fn::GetAtt': ['Stream', 'Arn'] }, BatchSize: 100 },
    },
  },
});
const roundMeasures = { ...MEASURED.eventPath, watcherMsPerInvocation: 20, fanInMsPerRecord: 2 };

describe('perMillionFiles', () => {
  it('prices a million files on a provisioned stream by hand', () => {
    const cost = perMillionFiles(eventPath('PROVISIONED'), us, roundMeasures);
    // watcher: 1,000,000 × $0.20/M = 0.20; 1,000,000 × 0.020 s × 0.25 GB = 5,000 GB-s × 0.0000133334 = 0.066667
    // Kinesis: 1,000,000 records of 360 B = 1,000,000 PUT payload units × $0.014/M = 0.014
    // fan-in: 10,000 invocations × $0.20/M = 0.002; 10,000 × 0.2 s × 0.25 GB = 500 GB-s = 0.0066667
    // DynamoDB: (1 + 1 + (2 + 3) / 2) = 4.5 write units a file × $0.625/M = 2.8125 (the batch's
    // start counts its run lock, its started mark and three index entries: the lock's, the open
    // batch's removal and its pipeline-batchKey entry)
    expect(line(cost, 'watcher requests')).toBeCloseTo(0.2, 9);
    expect(line(cost, 'watcher duration')).toBeCloseTo(0.066667, 6);
    expect(line(cost, 'Kinesis PUT payload units')).toBeCloseTo(0.014, 9);
    expect(line(cost, 'fan-in requests')).toBeCloseTo(0.002, 9);
    expect(line(cost, 'fan-in duration')).toBeCloseTo(0.0066667, 6);
    expect(line(cost, 'DynamoDB writes')).toBeCloseTo(2.8125, 9);
    expect(cost.totalUsd).toBeCloseTo(0.2 + 0.066667 + 0.014 + 0.002 + 0.0066667 + 2.8125, 5);
  });

  it('prices the stream per GB in and out when it is on-demand', () => {
    const cost = perMillionFiles(eventPath('ON_DEMAND'), us, roundMeasures);
    // 1,000,000 records billed as 1 KB each = 1,024,000,000 B = 0.953674 GB
    expect(line(cost, 'Kinesis data in')).toBeCloseTo(0.953674 * 0.08, 6);
    expect(line(cost, 'Kinesis data out')).toBeCloseTo(0.953674 * 0.04, 6);
    expect(line(cost, 'Kinesis PUT payload units')).toBeUndefined();
  });

  it('names what the template lacks', () => {
    expect(() => perMillionFiles({ Resources: {} }, us)).toThrow('the template has no Lambda function S3UploadWatcherLambdaFunction');
  });
});

describe('perRun', () => {
  it('prices the headline run (1 shard, 0.5 vCPU, 1 GB, 10 min, x86 Fargate) by hand', () => {
    const cost = perRun(eventPath('PROVISIONED'), us);
    // Fargate: 600 s × (0.5 × 0.04048 + 1 × 0.004445) / 3600 = 0.024685 / 6 = 0.00411417
    // Step Functions: 7 + 3 × 1 = 10 transitions × $0.025 / 1,000 = 0.00025
    // Lambda steps (1 GB arm64): 2 × $0.20/M + (0.049 + 0.059) s × 1 GB × 0.0000133334 = 0.0000018400
    // DynamoDB: 4 write units × $0.625/M = 0.0000025; public IPv4: 600 s × $0.005 / 3600 = 0.00083333
    expect(line(cost, 'Fargate')).toBeCloseTo(0.00411417, 8);
    expect(line(cost, 'Step Functions')).toBeCloseTo(0.00025, 9);
    expect(line(cost, 'Lambda steps')).toBeCloseTo(0.00000184, 9);
    expect(line(cost, 'public IPv4')).toBeCloseTo(0.00083333, 8);
    expect(cost.totalUsd).toBeCloseTo(0.00411417 + 0.00025 + 0.00000184 + 0.0000025 + 0.00083333, 8);
  });

  it('prices Spot by its own rate and bills each task one minute at least', () => {
    const cost = perRun(eventPath('PROVISIONED'), eu, {
      shards: 3,
      vcpu: 1,
      memoryGb: 2,
      minutes: 0.5,
      architecture: 'X86_64',
      capacity: 'FARGATE_SPOT',
    });
    // 3 tasks × 60 s (30 s billed as the minute) × (1 × 0.013368 + 2 × 0.0014595) / 3600 = 0.00081435
    expect(line(cost, 'Fargate')).toBeCloseTo((3 * 60 * (0.013368 + 2 * 0.0014595)) / 3600, 9);
    expect(line(cost, 'Step Functions')).toBeCloseTo((16 * 0.025) / 1000, 9); // 7 + 3 × 3
  });
});
