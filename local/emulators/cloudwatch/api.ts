/**
 * The local CloudWatch's API in its JSON protocol (AWS JSON 1.0,
 * `X-Amz-Target: GraniteServiceVersion20100801.<Op>`), what @aws-sdk/client-cloudwatch speaks:
 * PutMetricData, GetMetricData, GetMetricStatistics, ListMetrics and DescribeAlarms.
 */
import * as z from 'zod';
import { AwsApiError, type Operation, requestParser } from '../aws-json-server';
import type { LocalAlarms } from './alarms';
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
  AlarmNamePrefix: z.string().optional(),
  StateValue: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']).optional(),
  MaxRecords: z.number().optional(),
  NextToken: z.string().optional(),
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
      const found = [...alarms.alarms.values()]
        .filter((a) => (req.AlarmNames ? req.AlarmNames.includes(a.alarmName) : true))
        .filter((a) => (req.AlarmNamePrefix ? a.alarmName.startsWith(req.AlarmNamePrefix) : true))
        .filter((a) => (req.StateValue ? a.state === req.StateValue : true));
      return {
        MetricAlarms: found.map((a) => ({
          AlarmName: a.alarmName,
          AlarmArn: a.alarmArn,
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
        CompositeAlarms: [],
      };
    },
  };
}
