/**
 * One CloudWatch dashboard per stage, generated at package time (stack/generate.ts) from the
 * registry and the compiled template: runs by status, durations (run and per step), records
 * affected and rows rejected, files flowing, the fan-in's iterator age and the depth of every
 * dead-letter queue.
 */
import { fanInFunction, type AlarmSources } from './alarms';
import {
  CONTAINER_METRIC,
  DIMENSION,
  METRICS_NAMESPACE,
  PIPELINE_METRIC,
  STACK_METRIC,
  STEP_DURATION_METRICS,
} from '../lib/contracts/metric-names';
import type { Cfn } from './template';

const ref = (id: string): Cfn => ({ Ref: id });
const getAtt = (id: string, attribute: string): Cfn => ({ 'Fn::GetAtt': [id, attribute] });

/** The stage's dashboard, named `<service>-<stage>`, and the output with its console address. */
export function dashboardParts(sources: AlarmSources): { resources: Record<string, Cfn>; outputs: Record<string, Cfn> } {
  const name = `${sources.service}-${sources.stage}`;
  return {
    resources: {
      StageDashboard: { Type: 'AWS::CloudWatch::Dashboard', Properties: { DashboardName: name, DashboardBody: dashboardBody(sources) } },
    },
    outputs: {
      DashboardUrl: {
        Description: "The stage's CloudWatch dashboard.",
        Value: {
          'Fn::Sub': `https://\${AWS::Region}.console.aws.amazon.com/cloudwatch/home?region=\${AWS::Region}#dashboards:name=${name}`,
        },
      },
    },
  };
}

/**
 * The dashboard body (a JSON string with CloudFormation references spliced in by Fn::Join):
 * runs by status, durations, records, files flowing, iterator age, DLQ depth.
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
  const fanIn = fanInFunction(sources);
  const lambda = (metric: string, pipeline: string, stat = 'Sum') => [
    METRICS_NAMESPACE,
    metric,
    DIMENSION.service,
    service,
    DIMENSION.stage,
    stage,
    DIMENSION.pipeline,
    pipeline,
    { stat, label: `${pipeline} ${metric}` },
  ];
  const container = (metric: string, pipeline: string, stat = 'Average') => [
    METRICS_NAMESPACE,
    metric,
    DIMENSION.pipeline,
    pipeline,
    DIMENSION.stage,
    stage,
    { stat, label: `${pipeline} ${metric}` },
  ];
  let y = 0;
  const widget = (title: string, metrics: unknown[], options: Cfn = {}) => {
    const w = {
      type: 'metric',
      x: 0,
      y,
      width: 24,
      height: 6,
      properties: { title, region, view: 'timeSeries', stacked: false, period: 300, metrics, ...options },
    };
    y += 6;
    return w;
  };
  const widgets = [
    widget(
      'Runs by status',
      pipelines.flatMap((p) => [
        lambda(PIPELINE_METRIC.RunsStarted, p),
        lambda(PIPELINE_METRIC.RunsSucceeded, p),
        lambda(PIPELINE_METRIC.RunsFailed, p),
      ]),
    ),
    widget(
      'Run duration (s, max)',
      pipelines.map((p) => lambda(PIPELINE_METRIC.RunDuration, p, 'Maximum')),
    ),
    widget(
      'Task duration per step (ms, avg)',
      pipelines.flatMap((p) => [CONTAINER_METRIC.TaskDuration, ...STEP_DURATION_METRICS].map((m) => container(m, p))),
    ),
    widget(
      'Records affected and rows rejected',
      pipelines.flatMap((p) => [lambda(PIPELINE_METRIC.RunRecordsAffected, p), container(CONTAINER_METRIC.RowsRejected, p, 'Sum')]),
    ),
    widget('Files flowing', [
      ...pipelines.flatMap((p) => [
        lambda(PIPELINE_METRIC.FilesAccepted, p),
        lambda(PIPELINE_METRIC.BatchesCompleted, p),
        lambda(PIPELINE_METRIC.DuplicateStartsSuppressed, p),
        lambda(PIPELINE_METRIC.IncompleteBatches, p),
      ]),
      [METRICS_NAMESPACE, STACK_METRIC.FilesPublished, DIMENSION.service, service, DIMENSION.stage, stage, { stat: 'Sum' }],
    ]),
    ...(fanIn
      ? [
          widget('Fan-in iterator age (ms, max)', [
            ['AWS/Lambda', 'IteratorAge', 'FunctionName', cfn(ref(fanIn.logicalId)), { stat: 'Maximum' }],
          ]),
        ]
      : []),
    widget(
      'Dead-letter queue depth',
      sources.deadLetterQueues.map((q) => [
        'AWS/SQS',
        'ApproximateNumberOfMessagesVisible',
        'QueueName',
        cfn(getAtt(q, 'QueueName')),
        { stat: 'Maximum', label: q },
      ]),
    ),
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
