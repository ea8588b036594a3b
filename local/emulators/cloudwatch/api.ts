/**
 * The local CloudWatch's API in its JSON protocol (AWS JSON 1.0,
 * `X-Amz-Target: GraniteServiceVersion20100801.<Op>`), what @aws-sdk/client-cloudwatch speaks:
 * PutMetricData, GetMetricData, GetMetricStatistics, ListMetrics, DescribeAlarms and
 * PutMetricAlarm (metric alarms: single-metric ones are evaluated, metric math ones kept as
 * configured; see alarms.ts).
 */
import * as z from 'zod';
import { AwsApiError, type Operation, requestParser } from '../aws-json-server';
import type { AlarmConfiguration, LocalAlarms } from './alarms';
import { statistic, type Dimensions, type MetricStore } from './metrics';

export const CLOUDWATCH_TARGET_PREFIX = 'GraniteServiceVersion20100801';

const DimensionList = z
  .array(z.object({ Name: z.string().min(1), Value: z.string() }))
  .max(30)
  .optional();
const Metric = z.object({ Namespace: z.string().min(1), MetricName: z.string().min(1), Dimensions: DimensionList });
/** The JSON protocol sends timestamps as epoch seconds. */
const Time = z.union([z.number(), z.string()]).transform((t) => (typeof t === 'number' ? t * 1000 : Date.parse(t)));

const PutMetricData = z.object({
  Namespace: z
    .string()
    .min(1)
    .refine((n) => !n.startsWith('AWS/'), 'Namespace must not start with AWS/ (reserved for AWS services)'),
  MetricData: z
    .array(
      z.object({
        MetricName: z.string().min(1),
        Dimensions: DimensionList,
        Timestamp: Time.optional(),
        Value: z.number().optional(),
        Values: z.array(z.number()).optional(),
        Counts: z.array(z.number()).optional(),
        StatisticValues: z.object({ SampleCount: z.number(), Sum: z.number(), Minimum: z.number(), Maximum: z.number() }).optional(),
        Unit: z.string().optional(),
      }),
    )
    .min(1)
    .max(1000),
});
const GetMetricData = z.object({
  MetricDataQueries: z
    .array(
      z.object({
        Id: z.string().min(1),
        MetricStat: z.object({ Metric, Period: z.number().int().min(1), Stat: z.string(), Unit: z.string().optional() }).optional(),
        Expression: z.string().optional(),
        Label: z.string().optional(),
        ReturnData: z.boolean().optional(),
      }),
    )
    .min(1)
    .max(500),
  StartTime: Time,
  EndTime: Time,
  NextToken: z.string().optional(),
  ScanBy: z.enum(['TimestampDescending', 'TimestampAscending']).optional(),
});
const GetMetricStatistics = Metric.extend({
  StartTime: Time,
  EndTime: Time,
  Period: z.number().int().min(1),
  Statistics: z.array(z.string()).min(1).max(5),
});
const ListMetrics = z.object({ Namespace: z.string().optional(), MetricName: z.string().optional() });
const DescribeAlarms = z.object({
  AlarmNames: z.array(z.string()).optional(),
  AlarmTypes: z.array(z.enum(['MetricAlarm', 'CompositeAlarm'])).optional(),
  AlarmNamePrefix: z.string().optional(),
  StateValue: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']).optional(),
  MaxRecords: z.number().optional(),
  NextToken: z.string().optional(),
});

const MetricDataQuery = z.strictObject({
  Id: z.string().regex(/^[a-z][a-zA-Z0-9_]*$/, 'Id must start with a lowercase letter and hold only letters, digits and _'),
  MetricStat: z.object({ Metric, Period: z.number().int().min(1), Stat: z.string().min(1), Unit: z.string().optional() }).optional(),
  Expression: z.string().min(1).optional(),
  Label: z.string().optional(),
  ReturnData: z.boolean().optional(),
  Period: z.number().int().optional(),
  AccountId: z.string().optional(),
});
const PutMetricAlarm = z.strictObject({
  AlarmName: z.string().min(1).max(255),
  AlarmDescription: z.string().max(1024).optional(),
  ActionsEnabled: z.boolean().optional(),
  OKActions: z.array(z.string()).max(5).optional(),
  AlarmActions: z.array(z.string()).max(5).optional(),
  InsufficientDataActions: z.array(z.string()).max(5).optional(),
  MetricName: z.string().optional(),
  Namespace: z.string().optional(),
  Statistic: z.enum(['SampleCount', 'Average', 'Sum', 'Minimum', 'Maximum']).optional(),
  ExtendedStatistic: z.string().optional(),
  Dimensions: DimensionList,
  Period: z.number().int().min(1).optional(),
  Unit: z.string().optional(),
  EvaluationPeriods: z.number().int().min(1),
  DatapointsToAlarm: z.number().int().min(1).optional(),
  Threshold: z.number({ message: 'Threshold is required (the local CloudWatch has no anomaly detection bands)' }),
  ComparisonOperator: z.enum(['GreaterThanThreshold', 'GreaterThanOrEqualToThreshold', 'LessThanThreshold', 'LessThanOrEqualToThreshold'], {
    message: 'ComparisonOperator must be one the local CloudWatch evaluates (no anomaly detection operators)',
  }),
  TreatMissingData: z.enum(['breaching', 'notBreaching', 'ignore', 'missing']).optional(),
  EvaluateLowSampleCountPercentile: z.string().optional(),
  Metrics: z.array(MetricDataQuery).min(1).max(10).optional(),
  ThresholdMetricId: z.string().optional(),
  Tags: z.array(z.object({ Key: z.string(), Value: z.string() })).optional(),
});

const parse = requestParser('InvalidParameterValue');

const dims = (list: Array<{ Name: string; Value: string }> | undefined): Dimensions =>
  Object.fromEntries((list ?? []).map((d) => [d.Name, d.Value]));
const seconds = (ms: number) => ms / 1000;

export function cloudWatchOperations(metrics: MetricStore, alarms: LocalAlarms): Record<string, Operation> {
  return {
    PutMetricData: (input) => {
      const req = parse(PutMetricData, input, 'PutMetricData');
      for (const d of req.MetricData) {
        const base = {
          namespace: req.Namespace,
          metricName: d.MetricName,
          dimensions: dims(d.Dimensions),
          timestamp: d.Timestamp ?? Date.now(),
          ...(d.Unit ? { unit: d.Unit } : {}),
          source: 'PutMetricData',
        };
        if (d.Value !== undefined) metrics.put({ ...base, value: d.Value });
        (d.Values ?? []).forEach((value, i) => {
          for (let n = 0; n < (d.Counts?.[i] ?? 1); n++) metrics.put({ ...base, value });
        });
        // A statistic set stands for SampleCount values averaging Sum / SampleCount.
        if (d.StatisticValues)
          for (let n = 0; n < d.StatisticValues.SampleCount; n++)
            metrics.put({ ...base, value: d.StatisticValues.Sum / d.StatisticValues.SampleCount });
      }
      return {};
    },
    GetMetricData: (input) => {
      const req = parse(GetMetricData, input, 'GetMetricData');
      if (req.MetricDataQueries.some((q) => q.Expression !== undefined))
        throw new AwsApiError(
          'InvalidParameterValue',
          'GetMetricData: metric math expressions are not evaluated by the local CloudWatch; query MetricStat only',
        );
      const results = req.MetricDataQueries.filter((q) => q.ReturnData !== false).map((q) => {
        const stat = q.MetricStat!;
        const points = metrics.series(
          { namespace: stat.Metric.Namespace, metricName: stat.Metric.MetricName, dimensions: dims(stat.Metric.Dimensions) },
          req.StartTime,
          req.EndTime,
          stat.Period,
          stat.Stat,
        );
        if (req.ScanBy !== 'TimestampAscending') points.reverse();
        return {
          Id: q.Id,
          Label: q.Label ?? stat.Metric.MetricName,
          Timestamps: points.map((p) => seconds(p.timestamp)),
          Values: points.map((p) => p.value),
          StatusCode: 'Complete',
        };
      });
      return { MetricDataResults: results, Messages: [] };
    },
    GetMetricStatistics: (input) => {
      const req = parse(GetMetricStatistics, input, 'GetMetricStatistics');
      const query = { namespace: req.Namespace, metricName: req.MetricName, dimensions: dims(req.Dimensions) };
      const datapoints = [];
      for (let start = req.StartTime; start < req.EndTime; start += req.Period * 1000) {
        const values = metrics.values(query, start, Math.min(start + req.Period * 1000, req.EndTime));
        if (values.length === 0) continue;
        datapoints.push({ Timestamp: seconds(start), ...Object.fromEntries(req.Statistics.map((s) => [s, statistic(values, s)])) });
      }
      return { Label: req.MetricName, Datapoints: datapoints };
    },
    ListMetrics: (input) => {
      const req = parse(ListMetrics, input, 'ListMetrics');
      const found = metrics.list(req.Namespace).filter((m) => (req.MetricName ? m.metricName === req.MetricName : true));
      return {
        Metrics: found.map((m) => ({
          Namespace: m.namespace,
          MetricName: m.metricName,
          Dimensions: Object.entries(m.dimensions).map(([Name, Value]) => ({ Name, Value })),
        })),
      };
    },
    DescribeAlarms: (input) => {
      const req = parse(DescribeAlarms, input, 'DescribeAlarms');
      const wanted = (a: { alarmName: string; state: string }) =>
        (req.AlarmNames ? req.AlarmNames.includes(a.alarmName) : true) &&
        (req.AlarmNamePrefix ? a.alarmName.startsWith(req.AlarmNamePrefix) : true) &&
        (req.StateValue ? a.state === req.StateValue : true);
      // With no AlarmTypes only metric alarms are returned (DescribeAlarms, AlarmTypes); there are no composite ones locally.
      const metricAlarms = !req.AlarmTypes || req.AlarmTypes.includes('MetricAlarm');
      const found = metricAlarms ? [...alarms.alarms.values()].filter(wanted) : [];
      const math = metricAlarms ? [...alarms.mathAlarms.values()].filter(wanted) : [];
      return {
        MetricAlarms: [
          ...found.map((a) => ({
            AlarmName: a.alarmName,
            AlarmArn: a.alarmArn,
            AlarmConfigurationUpdatedTimestamp: seconds(a.configuredAt.getTime()),
            ...(a.alarmDescription ? { AlarmDescription: a.alarmDescription } : {}),
            ActionsEnabled: a.actionsEnabled,
            OKActions: a.okActions,
            AlarmActions: a.alarmActions,
            InsufficientDataActions: a.insufficientDataActions,
            StateValue: a.state,
            StateReason: a.stateReason,
            StateUpdatedTimestamp: seconds(a.stateUpdatedAt.getTime()),
            MetricName: a.metricName,
            Namespace: a.namespace,
            Statistic: a.statistic,
            Dimensions: Object.entries(a.dimensions).map(([Name, Value]) => ({ Name, Value })),
            Period: a.periodSeconds,
            EvaluationPeriods: a.evaluationPeriods,
            DatapointsToAlarm: a.datapointsToAlarm,
            Threshold: a.threshold,
            ComparisonOperator: a.comparisonOperator,
            TreatMissingData: a.treatMissingData,
          })),
          ...math.map((a) => ({
            ...a.configuration,
            AlarmName: a.alarmName,
            AlarmArn: a.alarmArn,
            AlarmConfigurationUpdatedTimestamp: seconds(a.configuredAt.getTime()),
            ActionsEnabled: a.configuration.ActionsEnabled ?? true,
            OKActions: a.configuration.OKActions ?? [],
            AlarmActions: a.configuration.AlarmActions ?? [],
            InsufficientDataActions: a.configuration.InsufficientDataActions ?? [],
            StateValue: a.state,
            StateReason: a.stateReason,
            StateUpdatedTimestamp: seconds(a.stateUpdatedAt.getTime()),
          })),
        ],
        CompositeAlarms: [],
      };
    },
    PutMetricAlarm: (input) => {
      const req = parse(PutMetricAlarm, input, 'PutMetricAlarm');
      const single = req.MetricName !== undefined || req.Namespace !== undefined;
      if (single && req.Metrics)
        throw new AwsApiError('InvalidParameterCombination', 'PutMetricAlarm: MetricName/Namespace and Metrics cannot both be set');
      if (!single && !req.Metrics)
        throw new AwsApiError('MissingParameter', 'PutMetricAlarm: either MetricName and Namespace, or Metrics, is required');
      if (single && (!req.MetricName || !req.Namespace || (!req.Statistic && !req.ExtendedStatistic)))
        throw new AwsApiError('MissingParameter', 'PutMetricAlarm: a single-metric alarm needs MetricName, Namespace and Statistic');
      if (req.Metrics && req.Metrics.filter((m) => m.ReturnData !== false).length !== 1)
        throw new AwsApiError('ValidationError', 'PutMetricAlarm: exactly one of Metrics must return data (ReturnData true)');
      const { Tags: _ignoredOnUpdate, ...configuration } = req;
      alarms.put(configuration as AlarmConfiguration & { AlarmName: string; Threshold: number });
      return {};
    },
  };
}
