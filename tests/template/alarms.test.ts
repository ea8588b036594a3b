/**
 * The packaged template's alarms: every alarm the issue names exists with its threshold from
 * the registry, every alarm reaches the operators' topic through the formatter, every DLQ
 * and function is covered, and run failures publish to the same topic.
 */
import { fileTriggerOf, pipelines } from '../../lib/registry';
import { allStates, loadRawDefinition } from '../helpers/asl';
import { cfnLint, FULL_STACK_PARAMS, packageService, type CfnTemplate } from '../helpers/package-service';

let template: CfnTemplate;
let templatePath: string;

beforeAll(async () => {
  ({ template, templatePath } = await packageService({ stage: 'dev', params: FULL_STACK_PARAMS }));
}, 240_000);

const resources = (type: string) => Object.entries(template.Resources).filter(([, r]) => r.Type === type);
const QUEUE_SERVICE_ALARM = /^Queue[A-Za-z0-9]+(DeadLetter|Latency)Alarm$/;
/** Alarm actions that are only Application Auto Scaling policies of the template. */
const isScalingTrigger = (actions: unknown): boolean =>
  Array.isArray(actions) &&
  actions.length > 0 &&
  actions.every(
    (action) => template.Resources[(action as { Ref?: string }).Ref ?? '']?.Type === 'AWS::ApplicationAutoScaling::ScalingPolicy',
  );
const alarms = () => resources('AWS::CloudWatch::Alarm');
const alarmNamed = (name: string) => alarms().find(([, a]) => a.Properties.AlarmName === name)?.[1]?.Properties;
const dimension = (props: any, name: string) => props.Dimensions.find((d: any) => d.Name === name)?.Value;
/** Every action the inline policies of a function's role allow. */
const roleActions = (fn: { Properties?: any }): string[] => {
  const role = template.Resources[fn.Properties.Role['Fn::GetAtt'][0]]!;
  return (role.Properties.Policies ?? [])
    .flatMap((p: any) => p.PolicyDocument.Statement)
    .filter((s: any) => s.Effect === 'Allow')
    .flatMap((s: any) => (Array.isArray(s.Action) ? s.Action : [s.Action]));
};

describe('alarms in the packaged template', () => {
  it('passes cfn-lint with no errors', async () => {
    expect((await cfnLint(templatePath)).errors).toEqual([]);
  }, 120_000);

  it('has each pipeline alarm with its threshold from pipelines.yml', () => {
    const registry = pipelines().registry;
    for (const [name, pipeline] of Object.entries(registry.pipelines)) {
      const failures = alarmNamed(`ecs-pipelines-dev/run-failures/${name}`);
      expect({ name, metric: failures?.MetricName, threshold: failures?.Threshold, period: failures?.Period }).toEqual({
        name,
        metric: 'RunsFailed',
        threshold: pipeline.alarms.failuresPerHour,
        period: 3600,
      });
      expect(dimension(failures, 'pipeline')).toBe(name);
      expect(dimension(failures, 'stage')).toBe('dev');
      if (pipeline.alarms.maxRuntimeSeconds !== undefined) {
        expect(alarmNamed(`ecs-pipelines-dev/run-too-long/${name}`)).toMatchObject({
          MetricName: 'RunDuration',
          Threshold: pipeline.alarms.maxRuntimeSeconds,
        });
        expect(alarmNamed(`ecs-pipelines-dev/run-still-running/${name}`)).toMatchObject({ MetricName: 'RunsOverMaxRuntime', Threshold: 1 });
      }
      if (pipeline.alarms.maxRecordsAffected !== undefined) {
        expect(alarmNamed(`ecs-pipelines-dev/records-affected/${name}`)).toMatchObject({
          MetricName: 'RunRecordsAffected',
          Threshold: pipeline.alarms.maxRecordsAffected,
        });
      }
      // Batches of files can be incomplete; runs of events or queue messages have no batch to wait for.
      if (fileTriggerOf(pipeline))
        expect(alarmNamed(`ecs-pipelines-dev/incomplete-batches/${name}`)).toMatchObject({
          MetricName: 'IncompleteBatches',
          Namespace: 'EcsPipelines',
        });
      else expect(alarmNamed(`ecs-pipelines-dev/incomplete-batches/${name}`)).toBeUndefined();
    }
    // The sample registry's values, so a silent change of the generator shows here.
    expect(alarmNamed('ecs-pipelines-dev/run-too-long/orders-daily')?.Threshold).toBe(1800);
    expect(alarmNamed('ecs-pipelines-dev/records-affected/orders-daily')?.Threshold).toBe(5_000_000);
  });

  it('watches the state machine, every function, the fan-in iterator age and every dead-letter queue', () => {
    for (const metric of ['ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted', 'ExecutionThrottled']) {
      const found = alarms().find(([, a]) => a.Properties.Namespace === 'AWS/States' && a.Properties.MetricName === metric);
      expect({ metric, stateMachine: found && dimension(found[1].Properties, 'StateMachineArn') }).toEqual({
        metric,
        stateMachine: { Ref: 'PipelineStateMachine' },
      });
    }
    for (const [id] of resources('AWS::Lambda::Function')) {
      for (const metric of ['Errors', 'Throttles']) {
        const found = alarms().some(
          ([, a]) =>
            a.Properties.MetricName === metric && JSON.stringify(dimension(a.Properties, 'FunctionName')) === JSON.stringify({ Ref: id }),
        );
        expect({ id, metric, found }).toEqual({ id, metric, found: true });
      }
    }
    const iteratorAge = alarms().find(([, a]) => a.Properties.MetricName === 'IteratorAge')?.[1].Properties;
    expect(dimension(iteratorAge, 'FunctionName')).toEqual({ Ref: 'KinesisFanInLambdaFunction' });
    const dlqs = resources('AWS::SQS::Queue').filter(([id]) => /DeadLetter/.test(id));
    expect(dlqs.length).toBeGreaterThanOrEqual(4);
    for (const [id] of dlqs) {
      const found = alarms().some(
        ([, a]) =>
          a.Properties.MetricName === 'ApproximateNumberOfMessagesVisible' &&
          a.Properties.Threshold === 0 &&
          JSON.stringify(dimension(a.Properties, 'QueueName')) === JSON.stringify({ 'Fn::GetAtt': [id, 'QueueName'] }),
      );
      expect({ id, found }).toEqual({ id, found: true });
    }
  });

  it('routes every alarm of the stack to the alarm topic, and the formatter to the operators', () => {
    for (const [id, alarm] of alarms()) {
      // Queue services (stack/queue-services.ts) generate their own alarms; they
      // reach the topic once their stackSharedRefs pass alarmActions: [Ref AlarmTopic].
      // Their dead-letter queues are covered by the generated DLQ alarms checked above.
      if (QUEUE_SERVICE_ALARM.test(id) && !template.Resources[id]!.Properties.AlarmActions) continue;
      // Alarms that only drive step scaling policies (a queue service's burst alarm, an activity
      // pipeline's workers' scaling alarms): scaling triggers, like the alarms target tracking
      // creates, not news for the operators.
      if (isScalingTrigger(alarm.Properties.AlarmActions)) continue;
      const actions = JSON.stringify(alarm.Properties.AlarmActions ?? []);
      expect({ id, toAlarmTopic: actions.includes('"AlarmTopic"') }).toEqual({ id, toAlarmTopic: true });
    }
    const subscription = resources('AWS::SNS::Subscription').find(
      ([, s]) => JSON.stringify(s.Properties.TopicArn) === JSON.stringify({ Ref: 'AlarmTopic' }),
    );
    expect(subscription?.[1].Properties).toMatchObject({
      Protocol: 'lambda',
      Endpoint: { 'Fn::GetAtt': ['FormatAlarmLambdaFunction', 'Arn'] },
    });
    const formatter = template.Resources.FormatAlarmLambdaFunction!.Properties;
    expect(formatter.Environment.Variables.TOPIC_ARN).toEqual({ Ref: 'OperatorsTopic' });
    // CloudWatch may publish to the alarm topic: its own key, and a policy for the service.
    expect(template.Resources.AlarmTopic!.Properties.KmsMasterKeyId).toEqual({ Ref: 'AlarmTopicKey' });
    const sweeper = template.Resources.SweepIncompleteBatchesLambdaFunction!.Properties;
    expect(sweeper.Environment.Variables.TOPIC_ARN).toEqual({ Ref: 'OperatorsTopic' });
  });

  it('sends run failures and anomalies to the same operators topic', () => {
    const states = allStates(loadRawDefinition() as { States: Record<string, unknown> });
    const publishers = Object.entries(states).filter(([, state]) => state.Resource === 'arn:aws:states:::sns:publish');
    expect(publishers.map(([name]) => name).sort()).toEqual(['Notify Operators Of Anomaly', 'Notify Operators Of Failure']);
    for (const [, state] of publishers) expect((state.Parameters as Record<string, unknown>).TopicArn).toEqual({ Ref: 'OperatorsTopic' });
    // The failure notice is on the way to the execution's own failure.
    expect(states['Notify Operators Of Failure']!.Next).toBe('Run Failed');
  });

  it("lets every function that starts runs also read the lock holder's execution (states:DescribeExecution)", () => {
    // startPipeline's use case calls DescribeExecution when the run lock is held with a live
    // lease (lib/pipelines/start/start-pipeline.ts): the re-run and redrive commands use it too.
    const functions = resources('AWS::Lambda::Function');
    const starters = functions.filter(([, fn]) => roleActions(fn).includes('states:StartExecution'));
    expect(starters.map(([id]) => id)).toEqual(expect.arrayContaining(['OpsRerunBatchLambdaFunction', 'OpsRedriveDlqLambdaFunction']));
    for (const [id, fn] of starters)
      expect({ id, describes: roleActions(fn).includes('states:DescribeExecution') }).toEqual({ id, describes: true });
  });

  it('has a dashboard for the stage', () => {
    const [[, dashboard]] = resources('AWS::CloudWatch::Dashboard') as [[string, any]];
    const body = dashboard.Properties.DashboardBody['Fn::Join'][1].filter((p: unknown) => typeof p === 'string').join('');
    for (const title of [
      'Runs by status',
      'Run duration',
      'Task duration per step',
      'Records affected',
      'Files flowing',
      'iterator age',
      'Dead-letter queue depth',
    ])
      expect(body).toContain(title);
  });
});
