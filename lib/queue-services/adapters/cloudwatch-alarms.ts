/**
 * Metric alarms through CloudWatch (DescribeAlarms, PutMetricAlarm): a queue service's burst
 * alarm, put back with a new Threshold and everything else as it is.
 *
 * PutMetricAlarm on an existing alarm "completely overwrites the previous configuration of the
 * alarm" (its state is left unchanged), so every configuration field DescribeAlarms returns goes
 * back: description, actions and ActionsEnabled, metric math Metrics and ThresholdMetricId (or
 * the single metric's fields), periods, comparison, TreatMissingData, and the newer evaluation
 * settings. Tags are not returned by DescribeAlarms and need not be: "If you are using this
 * operation to update an existing alarm, any tags you specify in this parameter are ignored"
 * (PutMetricAlarm, Tags), so an update keeps them. A field DescribeAlarms returns that is neither
 * configuration copied here nor known state fails the update rather than being dropped.
 */
import {
  type CloudWatchClient,
  DescribeAlarmsCommand,
  type MetricAlarm as AwsMetricAlarm,
  PutMetricAlarmCommand,
  type PutMetricAlarmInput,
} from '@aws-sdk/client-cloudwatch';
import type { MetricAlarm, MetricAlarms } from '../update-scaling-target';

export class MetricAlarmShapeError extends Error {
  override readonly name = 'MetricAlarmShapeError';
}

/** The configuration PutMetricAlarm takes and DescribeAlarms returns (Tags aside: see above). */
const CONFIGURATION = [
  'AlarmName',
  'AlarmDescription',
  'ActionsEnabled',
  'OKActions',
  'AlarmActions',
  'InsufficientDataActions',
  'MetricName',
  'Namespace',
  'Statistic',
  'ExtendedStatistic',
  'Dimensions',
  'Period',
  'Unit',
  'EvaluationPeriods',
  'DatapointsToAlarm',
  'Threshold',
  'ComparisonOperator',
  'TreatMissingData',
  'EvaluateLowSampleCountPercentile',
  'Metrics',
  'ThresholdMetricId',
  'EvaluationWindow',
  'WarmUpConfiguration',
  'EvaluationCriteria',
  'EvaluationInterval',
  'ActionConfiguration',
] as const satisfies ReadonlyArray<keyof PutMetricAlarmInput & keyof AwsMetricAlarm>;

/** What DescribeAlarms returns about the alarm's state and history, not its configuration. */
const STATE = new Set([
  'AlarmArn',
  'AlarmConfigurationUpdatedTimestamp',
  'StateValue',
  'StateReason',
  'StateReasonData',
  'StateUpdatedTimestamp',
  'StateTransitionedTimestamp',
  'EvaluationState',
]);

/** The PutMetricAlarm request that re-creates `alarm` as described, with `threshold`. */
export function putMetricAlarmInput(alarm: AwsMetricAlarm, threshold: number): PutMetricAlarmInput {
  const unknown = Object.keys(alarm).filter(
    (key) => !(CONFIGURATION as readonly string[]).includes(key) && !STATE.has(key) && alarm[key as keyof AwsMetricAlarm] !== undefined,
  );
  if (unknown.length) {
    throw new MetricAlarmShapeError(
      `alarm "${alarm.AlarmName}" has ${unknown.join(', ')}, which the updater does not know how to keep: not updated`,
    );
  }
  const input: Record<string, unknown> = {};
  for (const key of CONFIGURATION) if (alarm[key] !== undefined) input[key] = alarm[key];
  return { ...(input as unknown as PutMetricAlarmInput), Threshold: threshold };
}

export function cloudWatchAlarms(client: CloudWatchClient): MetricAlarms {
  return {
    async describe(alarmName) {
      const out = await client.send(new DescribeAlarmsCommand({ AlarmNames: [alarmName], AlarmTypes: ['MetricAlarm'] }));
      const found = (out.MetricAlarms ?? []).find((a) => a.AlarmName === alarmName);
      if (!found) return undefined;
      if (typeof found.Threshold !== 'number') {
        throw new MetricAlarmShapeError(`alarm "${alarmName}" has no static Threshold (an anomaly detection band?): not a burst alarm`);
      }
      // Fails now, before the updater writes anything, if the alarm could not be put back whole.
      putMetricAlarmInput(found, found.Threshold);
      return { alarmName, threshold: found.Threshold, definition: found } satisfies MetricAlarm;
    },
    async putThreshold(alarm, threshold) {
      await client.send(new PutMetricAlarmCommand(putMetricAlarmInput(alarm.definition as AwsMetricAlarm, threshold)));
    },
  };
}
