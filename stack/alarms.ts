/**
 * CloudFormation for the alarms and the dashboard, generated at package time by
 * scripts/registry.cjs from the registry (per-pipeline thresholds), the functions the stack
 * declares and the dead-letter queues its templates contain, so a new pipeline, function or
 * DLQ gets its alarm without anyone remembering to add one. Every alarm notifies the internal
 * AlarmTopic (resources/alarms.yml), whose formatter rewrites it for the operators' topic.
 */
import type { Registry } from '../lib/registry/schema';
import { alarmName, type AlarmKind } from '../lib/contracts/alarm-kinds';
import {
  CONTAINER_METRIC,
  DIMENSION,
  METRICS_NAMESPACE,
  PIPELINE_METRIC,
  STACK_METRIC,
  STEP_DURATION_METRICS,
} from '../lib/contracts/metric-names';

type Cfn = Record<string, unknown>;
const ref = (id: string): Cfn => ({ Ref: id });
const getAtt = (id: string, attribute: string): Cfn => ({ 'Fn::GetAtt': [id, attribute] });

export const ALARM_TOPIC_ID = 'AlarmTopic';
/** Dead-letter queues this module defines itself (alarmed like every other). */
const OWN_DEAD_LETTER_QUEUES = ['FormatAlarmDeadLetterQueue', 'SweepDeadLetterQueue'];
export const STATE_MACHINE_ID = 'PipelineStateMachine';
export const FAN_IN_FUNCTION = 'kinesisFanIn';
/** The fan-in falls this far behind the stream before anyone is told (ms). */
export const FAN_IN_ITERATOR_AGE_MS = 300_000;

/** serverless' logical id of a function: `kinesisFanIn` → `KinesisFanInLambdaFunction`. */
export function functionLogicalId(name: string): string {
  const normalized = name.replace(/-/g, 'Dash').replace(/_/g, 'Underscore').replace(/[^A-Za-z0-9]/g, '');
  return `${normalized.charAt(0).toUpperCase()}${normalized.slice(1)}LambdaFunction`;
}

const pascal = (text: string): string => text.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());

export interface AlarmSources {
  /** `<service>-<stage>`, the alarm name prefix. */
  stack: string;
  service: string;
  stage: string;
  registry: Registry;
  /** Function names as serverless.yml declares them. */
  functions: string[];
  /** Logical ids of every AWS::SQS::Queue that is a dead-letter queue. */
  deadLetterQueues: string[];
}

interface AlarmSpec {
  kind: AlarmKind;
  subject?: string;
  description: string;
  namespace: string;
  metric: string;
  dimensions: Array<{ Name: string; Value: unknown }>;
  statistic: 'Sum' | 'Maximum';
  period: number;
  evaluationPeriods?: number;
  threshold: number;
  comparison: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold';
}

function alarm(sources: AlarmSources, spec: AlarmSpec): Cfn {
  return {
    Type: 'AWS::CloudWatch::Alarm',
    Properties: {
      AlarmName: alarmName(sources.stack, spec.kind, spec.subject),
      AlarmDescription: spec.description,
      Namespace: spec.namespace,
      MetricName: spec.metric,
      Dimensions: spec.dimensions,
      Statistic: spec.statistic,
      Period: spec.period,
      EvaluationPeriods: spec.evaluationPeriods ?? 1,
      Threshold: spec.threshold,
      ComparisonOperator: spec.comparison,
      // No data means nothing happened: runs did not fail, no file is missing.
      TreatMissingData: 'notBreaching',
      AlarmActions: [ref(ALARM_TOPIC_ID)],
      OKActions: [ref(ALARM_TOPIC_ID)],
    },
  };
}

const tlsOnly = (resource: Cfn | Cfn[], action: string): Cfn => ({
  Sid: 'DenyInsecureTransport',
  Effect: 'Deny',
  Principal: '*',
  Action: action,
  Resource: resource,
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

/**
 * The alarm topic and its key, and the formatter's DLQ. CloudWatch cannot publish to a topic
 * under the AWS managed SNS key, so the topic has a key of its own that CloudWatch may use.
 */
export function alarmPlumbing(sources: Pick<AlarmSources, 'service' | 'stage'>): Record<string, Cfn> {
  const account = { Ref: 'AWS::AccountId' };
  return {
    AlarmTopicKey: {
      Type: 'AWS::KMS::Key',
      Properties: {
        Description: `${sources.service} ${sources.stage} alarm topic`,
        EnableKeyRotation: true,
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            { Sid: 'AccountAdministers', Effect: 'Allow', Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } }, Action: 'kms:*', Resource: '*' },
            {
              Sid: 'CloudWatchPublishesAlarms',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
              Resource: '*',
              Condition: { StringEquals: { 'aws:SourceAccount': account } },
            },
          ],
        },
      },
    },
    [ALARM_TOPIC_ID]: {
      Type: 'AWS::SNS::Topic',
      Properties: { DisplayName: `${sources.service} ${sources.stage} alarms (raw, for the formatter)`, KmsMasterKeyId: ref('AlarmTopicKey') },
    },
    AlarmTopicPolicy: {
      Type: 'AWS::SNS::TopicPolicy',
      Properties: {
        Topics: [ref(ALARM_TOPIC_ID)],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'CloudWatchAlarmsOfThisAccount',
              Effect: 'Allow',
              Principal: { Service: 'cloudwatch.amazonaws.com' },
              Action: 'sns:Publish',
              Resource: ref(ALARM_TOPIC_ID),
              Condition: { StringEquals: { 'aws:SourceAccount': account } },
            },
            tlsOnly(ref(ALARM_TOPIC_ID), 'sns:Publish'),
          ],
        },
      },
    },
    // Alarm notices the formatter failed on after Lambda's async retries, and failed sweeps
    // (each one is retried by the next sweep; a message here says sweeps keep failing).
    FormatAlarmDeadLetterQueue: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true } },
    SweepDeadLetterQueue: { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true } },
    OperationsDeadLetterQueuesTlsOnly: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [ref('FormatAlarmDeadLetterQueue'), ref('SweepDeadLetterQueue')],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [tlsOnly([getAtt('FormatAlarmDeadLetterQueue', 'Arn'), getAtt('SweepDeadLetterQueue', 'Arn')], 'sqs:*')],
        },
      },
    },
  };
}

export function alarmResources(sources: AlarmSources): Record<string, Cfn> {
  const { service, stage, registry } = sources;
  const resources: Record<string, Cfn> = alarmPlumbing(sources);
  const deadLetterQueues = [...new Set([...sources.deadLetterQueues, ...OWN_DEAD_LETTER_QUEUES])];
  const lambdaDims = (pipeline: string) => [
    { Name: DIMENSION.service, Value: service },
    { Name: DIMENSION.stage, Value: stage },
    { Name: DIMENSION.pipeline, Value: pipeline },
  ];
  const count = (kind: AlarmKind, pipeline: string, metric: string, description: string, threshold = 1, period = 300): Cfn =>
    alarm(sources, { kind, subject: pipeline, description, namespace: METRICS_NAMESPACE, metric, dimensions: lambdaDims(pipeline), statistic: 'Sum', period, threshold, comparison: 'GreaterThanOrEqualToThreshold' });

  for (const [name, pipeline] of Object.entries(registry.pipelines)) {
    const id = pascal(name);
    const { failuresPerHour, maxRuntimeSeconds, maxRecordsAffected } = pipeline.alarms;
    resources[`${id}RunFailuresAlarm`] = count('run-failures', name, PIPELINE_METRIC.RunsFailed, `Pipeline ${name}: ${failuresPerHour} or more failed runs within an hour (alarms.failuresPerHour)`, failuresPerHour, 3600);
    if (maxRuntimeSeconds !== undefined) {
      resources[`${id}RunTooLongAlarm`] = alarm(sources, {
        kind: 'run-too-long',
        subject: name,
        description: `Pipeline ${name}: a run took longer than ${maxRuntimeSeconds} s (alarms.maxRuntimeSeconds)`,
        namespace: METRICS_NAMESPACE,
        metric: PIPELINE_METRIC.RunDuration,
        dimensions: lambdaDims(name),
        statistic: 'Maximum',
        period: 300,
        threshold: maxRuntimeSeconds,
        comparison: 'GreaterThanThreshold',
      });
      resources[`${id}RunStillRunningAlarm`] = count('run-still-running', name, PIPELINE_METRIC.RunsOverMaxRuntime, `Pipeline ${name}: a run is still running past ${maxRuntimeSeconds} s (alarms.maxRuntimeSeconds; found by the sweeper)`);
    }
    if (maxRecordsAffected !== undefined) {
      resources[`${id}RecordsAffectedAlarm`] = alarm(sources, {
        kind: 'records-affected',
        subject: name,
        description: `Pipeline ${name}: a run affected more than ${maxRecordsAffected} records (alarms.maxRecordsAffected)`,
        namespace: METRICS_NAMESPACE,
        metric: PIPELINE_METRIC.RunRecordsAffected,
        dimensions: lambdaDims(name),
        statistic: 'Maximum',
        period: 300,
        threshold: maxRecordsAffected,
        comparison: 'GreaterThanThreshold',
      });
    }
    if (pipeline.trigger) {
      resources[`${id}IncompleteBatchesAlarm`] = count('incomplete-batches', name, PIPELINE_METRIC.IncompleteBatches, `Pipeline ${name}: a batch passed its ${pipeline.trigger.windowMinutes}-minute window without all its files`);
      resources[`${id}StuckBatchesAlarm`] = count('stuck-batches', name, PIPELINE_METRIC.StuckBatches, `Pipeline ${name}: a complete batch never started its run`);
    }
  }

  const stateMachine = [{ Name: 'StateMachineArn', Value: ref(STATE_MACHINE_ID) }];
  const executions: Array<[AlarmKind, string, string]> = [
    ['executions-failed', 'ExecutionsFailed', 'failed'],
    ['executions-timed-out', 'ExecutionsTimedOut', 'timed out'],
    ['executions-aborted', 'ExecutionsAborted', 'were aborted'],
    ['executions-throttled', 'ExecutionThrottled', 'were throttled'],
  ];
  for (const [kind, metric, what] of executions) {
    resources[`PipelineStateMachine${metric}Alarm`] = alarm(sources, {
      kind,
      description: `Pipeline state machine: executions ${what}`,
      namespace: 'AWS/States',
      metric,
      dimensions: stateMachine,
      statistic: 'Sum',
      period: 300,
      threshold: 1,
      comparison: 'GreaterThanOrEqualToThreshold',
    });
  }

  for (const fn of sources.functions) {
    const id = functionLogicalId(fn);
    const dims = [{ Name: 'FunctionName', Value: ref(id) }];
    for (const [kind, metric] of [['lambda-errors', 'Errors'], ['lambda-throttles', 'Throttles']] as const) {
      resources[`${id.replace(/LambdaFunction$/, '')}${metric}Alarm`] = alarm(sources, {
        kind,
        subject: fn,
        description: `Function ${fn}: ${metric.toLowerCase()}`,
        namespace: 'AWS/Lambda',
        metric,
        dimensions: dims,
        statistic: 'Sum',
        period: 300,
        threshold: 1,
        comparison: 'GreaterThanOrEqualToThreshold',
      });
    }
  }
  if (sources.functions.includes(FAN_IN_FUNCTION)) {
    resources.FanInIteratorAgeAlarm = alarm(sources, {
      kind: 'fan-in-iterator-age',
      description: `Fan-in: records waited more than ${FAN_IN_ITERATOR_AGE_MS / 60_000} minutes on the arrival stream`,
      namespace: 'AWS/Lambda',
      metric: 'IteratorAge',
      dimensions: [{ Name: 'FunctionName', Value: ref(functionLogicalId(FAN_IN_FUNCTION)) }],
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 2,
      threshold: FAN_IN_ITERATOR_AGE_MS,
      comparison: 'GreaterThanThreshold',
    });
  }

  for (const queue of deadLetterQueues) {
    resources[`${queue}MessagesAlarm`] = alarm(sources, {
      kind: 'dead-letters',
      subject: queue,
      description: `Dead-letter queue ${queue}: holds messages`,
      namespace: 'AWS/SQS',
      metric: 'ApproximateNumberOfMessagesVisible',
      dimensions: [{ Name: 'QueueName', Value: getAtt(queue, 'QueueName') }],
      statistic: 'Maximum',
      period: 300,
      threshold: 0,
      comparison: 'GreaterThanThreshold',
    });
  }
  return resources;
}

/**
 * The stage's dashboard body (a JSON string with CloudFormation references spliced in by
 * Fn::Join): runs by status, durations, records, files flowing, iterator age, DLQ depth.
 */
export function dashboardBody(sources: AlarmSources): Cfn {
  const { service, stage, registry } = sources;
  const pipelines = Object.keys(registry.pipelines);
  const refs: Cfn[] = [];
  /** A placeholder in the JSON text, replaced by the CloudFormation value. */
  const cfn = (value: Cfn): string => {
    refs.push(value);
    return `@@CFN${refs.length - 1}@@`;
  };
  const region = cfn(ref('AWS::Region'));
  const lambda = (metric: string, pipeline: string, stat = 'Sum') => [METRICS_NAMESPACE, metric, DIMENSION.service, service, DIMENSION.stage, stage, DIMENSION.pipeline, pipeline, { stat, label: `${pipeline} ${metric}` }];
  const container = (metric: string, pipeline: string, stat = 'Average') => [METRICS_NAMESPACE, metric, DIMENSION.pipeline, pipeline, DIMENSION.stage, stage, { stat, label: `${pipeline} ${metric}` }];
  let y = 0;
  const widget = (title: string, metrics: unknown[], options: Cfn = {}) => {
    const w = { type: 'metric', x: 0, y, width: 24, height: 6, properties: { title, region, view: 'timeSeries', stacked: false, period: 300, metrics, ...options } };
    y += 6;
    return w;
  };
  const widgets = [
    widget('Runs by status', pipelines.flatMap((p) => [lambda(PIPELINE_METRIC.RunsStarted, p), lambda(PIPELINE_METRIC.RunsSucceeded, p), lambda(PIPELINE_METRIC.RunsFailed, p)])),
    widget('Run duration (s, max)', pipelines.map((p) => lambda(PIPELINE_METRIC.RunDuration, p, 'Maximum'))),
    widget('Task duration per step (ms, avg)', pipelines.flatMap((p) => [CONTAINER_METRIC.TaskDuration, ...STEP_DURATION_METRICS].map((m) => container(m, p)))),
    widget('Records affected and rows rejected', pipelines.flatMap((p) => [lambda(PIPELINE_METRIC.RunRecordsAffected, p), container(CONTAINER_METRIC.RowsRejected, p, 'Sum')])),
    widget('Files flowing', [
      ...pipelines.flatMap((p) => [lambda(PIPELINE_METRIC.FilesAccepted, p), lambda(PIPELINE_METRIC.BatchesCompleted, p), lambda(PIPELINE_METRIC.DuplicateStartsSuppressed, p), lambda(PIPELINE_METRIC.IncompleteBatches, p)]),
      [METRICS_NAMESPACE, STACK_METRIC.FilesPublished, DIMENSION.service, service, DIMENSION.stage, stage, { stat: 'Sum' }],
    ]),
    ...(sources.functions.includes(FAN_IN_FUNCTION)
      ? [widget('Fan-in iterator age (ms, max)', [['AWS/Lambda', 'IteratorAge', 'FunctionName', cfn(ref(functionLogicalId(FAN_IN_FUNCTION))), { stat: 'Maximum' }]])]
      : []),
    widget('Dead-letter queue depth', [...new Set([...sources.deadLetterQueues, ...OWN_DEAD_LETTER_QUEUES])].map((q) => ['AWS/SQS', 'ApproximateNumberOfMessagesVisible', 'QueueName', cfn(getAtt(q, 'QueueName')), { stat: 'Maximum', label: q }])),
  ];
  const text = JSON.stringify({ widgets });
  const parts: unknown[] = [];
  let last = 0;
  for (const match of text.matchAll(/@@CFN(\d+)@@/g)) {
    parts.push(text.slice(last, match.index), refs[Number(match[1])]);
    last = match.index + match[0].length;
  }
  parts.push(text.slice(last));
  return { 'Fn::Join': ['', parts.filter((p) => p !== '')] };
}
