/**
 * The stage parameters that size what a stage costs (README "What it costs"): the plain `dev`
 * stage is the lean development stage and idles at $20 a month or less; the full stack
 * (every part on, production sizes) is the other setting of every knob. Both lint clean.
 */
import { idleCost } from '../../bench/cost/model';
import { deployedTemplate } from '../../bench/cost/template';
import { taskResourceIds } from '../../stack/pipeline-tasks';
import { regionPrices } from '../../lib/shared/pricing/prices';
import { cfnLint, FULL_STACK_PARAMS, packageService, type CfnTemplate } from '../helpers/package-service';

let lean: { template: CfnTemplate; templatePath: string };
let full: { template: CfnTemplate; templatePath: string };

beforeAll(async () => {
  lean = await packageService({ stage: 'dev' });
  full = await packageService({ stage: 'dev', params: FULL_STACK_PARAMS });
}, 480_000);

const ofType = (template: CfnTemplate, type: string) =>
  Object.entries(deployedTemplate(template).resources).filter(([, r]) => r.Type === type);
const has = (template: CfnTemplate, id: string) => id in deployedTemplate(template).resources;
/** The monitoring alarms: not those that only drive a scaling policy (activity workers' scaling). */
const alarmNames = (template: CfnTemplate) =>
  ofType(template, 'AWS::CloudWatch::Alarm')
    .filter(([, a]) => {
      const targets = ((a.Properties?.AlarmActions ?? []) as Array<{ Ref?: string }>).map((t) => template.Resources[t.Ref ?? '']?.Type);
      return !(targets.length > 0 && targets.every((type) => type === 'AWS::ApplicationAutoScaling::ScalingPolicy'));
    })
    .map(([, a]) => String(a.Properties?.AlarmName))
    .sort();

describe('cost knobs', () => {
  it('lints both settings of every knob clean', async () => {
    expect((await cfnLint(lean.templatePath)).errors).toEqual([]);
    expect((await cfnLint(full.templatePath)).errors).toEqual([]);
  }, 240_000);

  it('idles the default dev stage at $20 a month or less (us-east-1 and eu-west-1 prices)', () => {
    expect(idleCost(lean.template, regionPrices('us-east-1')).totalUsd).toBeLessThanOrEqual(20);
    expect(idleCost(lean.template, regionPrices('eu-west-1')).totalUsd).toBeLessThanOrEqual(20);
    // The full stack idles far above it: the knobs are what makes the difference.
    expect(idleCost(full.template, regionPrices('us-east-1')).totalUsd).toBeGreaterThan(40);
  });

  it('streamMode: one provisioned shard by default, on-demand without a shard count in production', () => {
    const [, leanStream] = ofType(lean.template, 'AWS::Kinesis::Stream')[0]!;
    expect(leanStream.Properties).toMatchObject({ StreamModeDetails: { StreamMode: 'PROVISIONED' }, ShardCount: 1 });
    const [, fullStream] = ofType(full.template, 'AWS::Kinesis::Stream')[0]!;
    expect(fullStream.Properties?.StreamModeDetails).toEqual({ StreamMode: 'ON_DEMAND' });
    expect(fullStream.Properties).not.toHaveProperty('ShardCount');
  });

  it('notifier: its functions, queues, secret and Secrets Manager endpoint only where it is on', () => {
    const parts = [
      'DiscoverServicesLambdaFunction',
      'DiscoverTasksLambdaFunction',
      'NotifyTaskLambdaFunction',
      'NotifierObserverQueue',
      'NotifierAuditTable',
      'NotifierSigningSecret',
      'SecretsManagerInterfaceEndpoint',
      'NotifierSecurityGroup',
    ];
    for (const id of parts) {
      expect({ id, lean: has(lean.template, id), full: has(full.template, id) }).toEqual({ id, lean: false, full: true });
    }
    // Nothing generated watches what is not there, and the free gateway endpoint stays for the tasks.
    expect(alarmNames(lean.template).filter((name) => /notif/i.test(name))).toEqual([]);
    expect(has(lean.template, 'DynamoDbGatewayEndpoint')).toBe(true);
  });

  it('samples: the sample queue service and the functions that serve queue services only where asked', () => {
    for (const id of [
      'QueueThumbnailsService',
      'QueueThumbnailsQueue',
      'UpdateScalingTargetLambdaFunction',
      'ProduceMessagesLambdaFunction',
      'QueueServicesDeadLetterQueue',
    ]) {
      expect({ id, lean: has(lean.template, id), full: has(full.template, id) }).toEqual({ id, lean: false, full: true });
    }
    // The sample pipelines stay: they cost nothing idle.
    expect(has(lean.template, taskResourceIds('sample-pipeline').taskDefinition)).toBe(true);
  });

  it('containerInsights: off by default, on in production', () => {
    const insights = (template: CfnTemplate) =>
      (ofType(template, 'AWS::ECS::Cluster')[0]![1].Properties?.ClusterSettings as Array<{ Name: string; Value: string }>).find(
        (s) => s.Name === 'containerInsights',
      )?.Value;
    expect(insights(lean.template)).toBe('disabled');
    expect(insights(full.template)).toBe('enabled');
  });

  it('logRetentionDays: 7 days by default, 30 in production, on every log group', () => {
    // Numbers: a --param value reaches the template as text ("30"), which CloudFormation reads as the number.
    const retentions = (template: CfnTemplate) =>
      new Set(ofType(template, 'AWS::Logs::LogGroup').map(([, g]) => Number(g.Properties?.RetentionInDays)));
    expect(retentions(lean.template)).toEqual(new Set([7]));
    expect(retentions(full.template)).toEqual(new Set([30]));
  });

  it('alarmSet essential keeps every alarm that protects data; full adds the per-pipeline, throttle and error alarms', () => {
    const leanAlarms = alarmNames(lean.template);
    const dlqs = ofType(lean.template, 'AWS::SQS::Queue')
      .map(([id]) => id)
      .filter((id) => /DeadLetter/.test(id));
    expect(dlqs.length).toBeGreaterThanOrEqual(5);
    expect(leanAlarms).toEqual(
      [
        ...dlqs.map((id) => `ecs-pipelines-dev/dead-letters/${id}`),
        'ecs-pipelines-dev/executions-aborted',
        'ecs-pipelines-dev/executions-failed',
        'ecs-pipelines-dev/executions-throttled',
        'ecs-pipelines-dev/executions-timed-out',
        'ecs-pipelines-dev/fan-in-iterator-age',
        'ecs-pipelines-dev/lambda-errors/kinesisFanIn',
        'ecs-pipelines-dev/lambda-errors/s3UploadWatcher',
      ].sort(),
    );
    const fullAlarms = alarmNames(full.template);
    expect(fullAlarms).toEqual(expect.arrayContaining(leanAlarms));
    expect(fullAlarms).toEqual(
      expect.arrayContaining([
        'ecs-pipelines-dev/run-failures/orders-daily',
        'ecs-pipelines-dev/lambda-throttles/kinesisFanIn',
        'ecs-pipelines-dev/lambda-errors/summarizeRun',
      ]),
    );
  });

  it('fails packaging on a knob value it does not know, naming the parameter', async () => {
    const failure = (params: Record<string, string>) =>
      packageService({ stage: 'dev', params }).then(
        () => 'packaged',
        (error: Error) => error.message,
      );
    expect(await failure({ notifier: 'yes' })).toMatch(/param notifier must be true or false, not "yes"/);
    expect(await failure({ streamMode: 'ONDEMAND' })).toMatch(/param streamMode must be PROVISIONED or ON_DEMAND/);
  }, 240_000);
});
