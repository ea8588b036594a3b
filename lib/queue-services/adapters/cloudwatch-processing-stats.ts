/**
 * Processing-duration totals from CloudWatch: Sum and SampleCount over the whole window,
 * added across periods, so the average is total duration / total messages.
 * `getMetricDataStats` is the default (one call, paginated); `getMetricStatisticsStats`
 * does the same through GetMetricStatistics for accounts that prefer it.
 */
import { type CloudWatchClient, GetMetricDataCommand, GetMetricStatisticsCommand } from '@aws-sdk/client-cloudwatch';
import { PROCESSING_DURATION_METRIC, QUEUE_METRICS_NAMESPACE, QUEUE_SERVICE_DIMENSION } from '../../contracts/metric-names';
import { sumWindow } from '../target-math';
import type { ProcessingStats } from '../update-scaling-target';

/** The metric is recorded in milliseconds. */
const MS = 1000;
/** One-minute periods: standard resolution, and a window of any length adds up exactly. */
const PERIOD = 60;

const metric = (dimension: string) => ({
  Namespace: QUEUE_METRICS_NAMESPACE,
  MetricName: PROCESSING_DURATION_METRIC,
  Dimensions: [{ Name: QUEUE_SERVICE_DIMENSION, Value: dimension }],
});

const total = (values: number[] | undefined): number => (values ?? []).reduce((a, b) => a + b, 0);

export function getMetricDataStats(client: CloudWatchClient): ProcessingStats {
  return {
    async window(dimension, from, to) {
      let sumMs = 0;
      let count = 0;
      let NextToken: string | undefined;
      do {
        const out = await client.send(
          new GetMetricDataCommand({
            StartTime: from,
            EndTime: to,
            NextToken,
            MetricDataQueries: [
              { Id: 'duration', MetricStat: { Metric: metric(dimension), Period: PERIOD, Stat: 'Sum' }, ReturnData: true },
              { Id: 'messages', MetricStat: { Metric: metric(dimension), Period: PERIOD, Stat: 'SampleCount' }, ReturnData: true },
            ],
          }),
        );
        for (const result of out.MetricDataResults ?? []) {
          if (result.Id === 'duration') sumMs += total(result.Values);
          if (result.Id === 'messages') count += total(result.Values);
        }
        NextToken = out.NextToken;
      } while (NextToken);
      return { sumSeconds: sumMs / MS, count };
    },
  };
}

export function getMetricStatisticsStats(client: CloudWatchClient): ProcessingStats {
  return {
    async window(dimension, from, to) {
      const out = await client.send(
        new GetMetricStatisticsCommand({
          ...metric(dimension),
          StartTime: from,
          EndTime: to,
          Period: PERIOD,
          Statistics: ['Sum', 'SampleCount'],
        }),
      );
      const totals = sumWindow((out.Datapoints ?? []).map((d) => ({ sumSeconds: (d.Sum ?? 0) / MS, count: d.SampleCount ?? 0 })));
      return totals;
    },
  };
}
