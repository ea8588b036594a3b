/**
 * The stack's alarms, generated at package time (stack/generate.ts) from the registry and
 * the compiled template, so a new pipeline, function or dead-letter queue gets its alarms
 * without anyone remembering to add one:
 *   - per pipeline, thresholds from pipelines.yml `alarms:`: failed runs per hour, run longer
 *     than maxRuntimeSeconds (duration metric, and runs still running found by the sweeper),
 *     records affected above maxRecordsAffected, an estimated run cost above maxRunCostUsd,
 *     incomplete and stuck batches;
 *   - the state machine: executions failed, timed out, aborted, throttled;
 *   - every AWS::Lambda::Function of the template: errors and throttles; the fan-in: iterator age;
 *   - every queue the template sends failures to (stack/template.ts): any message.
 * Every alarm notifies the internal AlarmTopic (with its own KMS key: CloudWatch cannot use
 * the AWS managed SNS key); the formatAlarm function (functions/operations.yml) rewrites each
 * into the one notification format (lib/shared/notices) for the operators' topic, so alarm
 * notices read like run-failure notices.
 */
import type { Registry } from '../lib/registry/schema';
import { fileTriggerOf } from '../lib/registry/pipeline-index';
import { alarmName, type AlarmKind } from '../lib/contracts/alarm-kinds';
import { DIMENSION, METRICS_NAMESPACE, PIPELINE_METRIC } from '../lib/contracts/metric-names';
import type { Cfn } from './template';

const ref = (id: string): Cfn => ({ Ref: id });
const getAtt = (id: string, attribute: string): Cfn => ({ 'Fn::GetAtt': [id, attribute] });

export const ALARM_TOPIC_ID = 'AlarmTopic';
export const STATE_MACHINE_ID = 'PipelineStateMachine';
export const FAN_IN_FUNCTION = 'kinesisFanIn';
export const WATCHER_FUNCTION = 's3UploadWatcher';

/**
 * Which alarms a stage gets (param alarmSet). `full`: every alarm below. `essential` keeps
 * every alarm that protects data, the ones whose event nothing else reports: any message in
 * any dead-letter queue, the fan-in falling behind the stream (records expire after 24 h),
 * state machine executions failed / timed out / aborted / throttled (they break before Summarize
 * Run can notify), and errors of the watcher and the fan-in (a file's arrival is delayed while
 * they retry). It drops what is reported twice: the per-pipeline alarms (each failed or
 * anomalous run, and each incomplete, stuck or overrunning batch, already sends its own notice,
 * and every failed run also fails its execution), throttles (a throttled invocation is retried
 * by its source and ends in an alarmed dead-letter queue or the iterator age), and errors of the
 * state machine's steps (they fail the run or the execution), of the operating commands (the
 * person who ran one sees it fail) and of the functions with dead-letter queues.
 */
export type AlarmSet = 'essential' | 'full';
const ESSENTIAL_ERROR_ALARMS = [WATCHER_FUNCTION, FAN_IN_FUNCTION];
/** The fan-in falls this far behind the stream before anyone is told (ms). */
export const FAN_IN_ITERATOR_AGE_MS = 300_000;

const pascal = (text: string): string => text.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());

export interface AlarmSources {
  /** `<service>-<stage>`, the alarm name prefix. */
  stack: string;
  service: string;
  stage: string;
  registry: Registry;
  /** Every AWS::Lambda::Function of the template; `name` as serverless.yml declares it (alarm names). */
  functions: Array<{ logicalId: string; name: string }>;
  /** Logical ids of every AWS::SQS::Queue that is a dead-letter queue. */
  deadLetterQueues: string[];
  /** Param alarmSet; `full` when not given. */
  alarmSet?: AlarmSet;
}

/** The fan-in's function, if the stack has it. */
export const fanInFunction = (sources: Pick<AlarmSources, 'functions'>) => sources.functions.find((fn) => fn.name === FAN_IN_FUNCTION);

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
 * The alarm topic and its key, and the dead-letter queues of the formatter and the sweeper
 * (functions/operations.yml). CloudWatch cannot publish to a topic under the AWS managed SNS
 * key, so the topic has a key of its own that CloudWatch may use.
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
            {
              Sid: 'AccountAdministers',
              Effect: 'Allow',
              Principal: { AWS: { 'Fn::Sub': 'arn:${AWS::Partition}:iam::${AWS::AccountId}:root' } },
              Action: 'kms:*',
              Resource: '*',
            },
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
      Properties: {
        DisplayName: `${sources.service} ${sources.stage} alarms (raw, for the formatter)`,
        KmsMasterKeyId: ref('AlarmTopicKey'),
      },
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

export const alarmOutputs = (): Record<string, Cfn> => ({
  AlarmTopicArn: {
    Description: "Raw CloudWatch alarm notifications (the formatter re-publishes them to the operators' topic).",
    Value: ref(ALARM_TOPIC_ID),
  },
});

/** The alarms (alarmPlumbing's topic must be in the template, and its queues among the sources). */
export function alarmResources(sources: AlarmSources): Record<string, Cfn> {
  const { service, stage, registry } = sources;
  const resources: Record<string, Cfn> = {};
  const lambdaDims = (pipeline: string) => [
    { Name: DIMENSION.service, Value: service },
    { Name: DIMENSION.stage, Value: stage },
    { Name: DIMENSION.pipeline, Value: pipeline },
  ];
  const count = (kind: AlarmKind, pipeline: string, metric: string, description: string, threshold = 1, period = 300): Cfn =>
    alarm(sources, {
      kind,
      subject: pipeline,
      description,
      namespace: METRICS_NAMESPACE,
      metric,
      dimensions: lambdaDims(pipeline),
      statistic: 'Sum',
      period,
      threshold,
      comparison: 'GreaterThanOrEqualToThreshold',
    });

  const full = (sources.alarmSet ?? 'full') === 'full';
  for (const [name, pipeline] of Object.entries(full ? registry.pipelines : {})) {
    const id = pascal(name);
    const { failuresPerHour, maxRuntimeSeconds, maxRecordsAffected, maxRunCostUsd } = pipeline.alarms;
    resources[`${id}RunFailuresAlarm`] = count(
      'run-failures',
      name,
      PIPELINE_METRIC.RunsFailed,
      `Pipeline ${name}: ${failuresPerHour} or more failed runs within an hour (alarms.failuresPerHour)`,
      failuresPerHour,
      3600,
    );
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
      resources[`${id}RunStillRunningAlarm`] = count(
        'run-still-running',
        name,
        PIPELINE_METRIC.RunsOverMaxRuntime,
        `Pipeline ${name}: a run is still running past ${maxRuntimeSeconds} s (alarms.maxRuntimeSeconds; found by the sweeper)`,
      );
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
    if (maxRunCostUsd !== undefined) {
      resources[`${id}RunTooCostlyAlarm`] = alarm(sources, {
        kind: 'run-too-costly',
        subject: name,
        description: `Pipeline ${name}: a run cost an estimated more than $${maxRunCostUsd} (alarms.maxRunCostUsd)`,
        namespace: METRICS_NAMESPACE,
        metric: PIPELINE_METRIC.RunCostUsd,
        dimensions: lambdaDims(name),
        statistic: 'Maximum',
        period: 300,
        threshold: maxRunCostUsd,
        comparison: 'GreaterThanThreshold',
      });
    }
    const fileTrigger = fileTriggerOf(pipeline);
    if (fileTrigger) {
      // A quiet-period batch has no window: the sweeper starts it once no file came for the period.
      if (fileTrigger.windowMinutes !== undefined) {
        resources[`${id}IncompleteBatchesAlarm`] = count(
          'incomplete-batches',
          name,
          PIPELINE_METRIC.IncompleteBatches,
          `Pipeline ${name}: a batch passed its ${fileTrigger.windowMinutes}-minute window without all its files`,
        );
      }
      resources[`${id}StuckBatchesAlarm`] = count(
        'stuck-batches',
        name,
        PIPELINE_METRIC.StuckBatches,
        `Pipeline ${name}: a complete batch never started its run`,
      );
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

  for (const { logicalId: id, name } of sources.functions) {
    const dims = [{ Name: 'FunctionName', Value: ref(id) }];
    const kinds = full
      ? ([
          ['lambda-errors', 'Errors'],
          ['lambda-throttles', 'Throttles'],
        ] as const)
      : ESSENTIAL_ERROR_ALARMS.includes(name)
        ? ([['lambda-errors', 'Errors']] as const)
        : [];
    for (const [kind, metric] of kinds) {
      resources[`${id.replace(/LambdaFunction$/, '')}${metric}Alarm`] = alarm(sources, {
        kind,
        subject: name,
        description: `Function ${name}: ${metric.toLowerCase()}`,
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
  const fanIn = fanInFunction(sources);
  if (fanIn) {
    resources.FanInIteratorAgeAlarm = alarm(sources, {
      kind: 'fan-in-iterator-age',
      description: `Fan-in: records waited more than ${FAN_IN_ITERATOR_AGE_MS / 60_000} minutes on the arrival stream`,
      namespace: 'AWS/Lambda',
      metric: 'IteratorAge',
      dimensions: [{ Name: 'FunctionName', Value: ref(fanIn.logicalId) }],
      statistic: 'Maximum',
      period: 300,
      evaluationPeriods: 2,
      threshold: FAN_IN_ITERATOR_AGE_MS,
      comparison: 'GreaterThanThreshold',
    });
  }

  for (const queue of sources.deadLetterQueues) {
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
