/**
 * Local CloudWatch alarms on single metrics: each evaluation looks at the last
 * EvaluationPeriods periods of the metric, counts the breaching ones (missing data as
 * TreatMissingData says), and changes state when DatapointsToAlarm of them breach or none
 * does. A state change publishes the notification CloudWatch sends to the alarm's actions
 * (SNS topics), so the stack's alarm formatter runs on it as on AWS.
 *
 * Unlike AWS, alarms start in OK rather than INSUFFICIENT_DATA: a fresh local cloud would
 * otherwise announce every alarm's first OK at once.
 *
 * Alarms on metric math are kept as configured (described and replaced by PutMetricAlarm as on
 * AWS) but not evaluated here: the one a queue service's burst path has is evaluated by the
 * local autoscaler of the step policy it invokes, which follows its threshold ('configured').
 * PutMetricAlarm on an existing alarm replaces its whole configuration and keeps its state.
 */
import { EventEmitter } from 'node:events';
import { statistic, type Dimensions, type MetricStore } from './metrics';

export type AlarmState = 'OK' | 'ALARM' | 'INSUFFICIENT_DATA';

export interface AlarmDefinition {
  alarmName: string;
  alarmArn: string;
  alarmDescription?: string;
  namespace: string;
  metricName: string;
  dimensions: Dimensions;
  statistic: string;
  periodSeconds: number;
  evaluationPeriods: number;
  datapointsToAlarm: number;
  threshold: number;
  comparisonOperator: 'GreaterThanThreshold' | 'GreaterThanOrEqualToThreshold' | 'LessThanThreshold' | 'LessThanOrEqualToThreshold';
  treatMissingData: 'breaching' | 'notBreaching' | 'ignore' | 'missing';
  alarmActions: string[];
  okActions: string[];
  insufficientDataActions: string[];
  actionsEnabled: boolean;
}

/**
 * An alarm's configuration as PutMetricAlarm takes it; an AWS::CloudWatch::Alarm's properties
 * have the same names.
 */
export interface AlarmConfiguration {
  AlarmName?: string;
  AlarmDescription?: string;
  ActionsEnabled?: boolean;
  OKActions?: string[];
  AlarmActions?: string[];
  InsufficientDataActions?: string[];
  MetricName?: string;
  Namespace?: string;
  Statistic?: string;
  ExtendedStatistic?: string;
  Dimensions?: Array<{ Name: string; Value: string }>;
  Period?: number;
  Unit?: string;
  EvaluationPeriods?: number;
  DatapointsToAlarm?: number;
  Threshold?: number;
  ComparisonOperator?: AlarmDefinition['comparisonOperator'];
  TreatMissingData?: AlarmDefinition['treatMissingData'];
  EvaluateLowSampleCountPercentile?: string;
  Metrics?: unknown[];
  ThresholdMetricId?: string;
}

/** A metric math alarm: its configuration as put, without Tags (DescribeAlarms does not return them). */
export interface MathAlarm {
  alarmName: string;
  alarmArn: string;
  configuration: AlarmConfiguration & { Threshold: number };
  state: AlarmState;
  stateReason: string;
  stateUpdatedAt: Date;
  configuredAt: Date;
}

/** The single-metric alarm a configuration describes; undefined for metric math. */
export function metricAlarmDefinition(p: AlarmConfiguration, alarmName: string, alarmArn: string): AlarmDefinition | undefined {
  if (!p.Namespace || !p.MetricName || (!p.Statistic && !p.ExtendedStatistic) || p.Metrics) return undefined;
  const evaluationPeriods = p.EvaluationPeriods ?? 1;
  return {
    alarmName,
    alarmArn,
    ...(p.AlarmDescription ? { alarmDescription: p.AlarmDescription } : {}),
    namespace: p.Namespace,
    metricName: p.MetricName,
    dimensions: Object.fromEntries((p.Dimensions ?? []).map((d) => [d.Name, String(d.Value)])),
    statistic: p.Statistic ?? p.ExtendedStatistic!,
    periodSeconds: p.Period ?? 60,
    evaluationPeriods,
    datapointsToAlarm: p.DatapointsToAlarm ?? evaluationPeriods,
    threshold: p.Threshold ?? 0,
    comparisonOperator: p.ComparisonOperator ?? 'GreaterThanThreshold',
    treatMissingData: p.TreatMissingData ?? 'missing',
    alarmActions: p.AlarmActions ?? [],
    okActions: p.OKActions ?? [],
    insufficientDataActions: p.InsufficientDataActions ?? [],
    actionsEnabled: p.ActionsEnabled ?? true,
  };
}

export interface AlarmStatus extends AlarmDefinition {
  state: AlarmState;
  stateReason: string;
  stateUpdatedAt: Date;
  /** When its configuration was last set (AlarmConfigurationUpdatedTimestamp). */
  configuredAt: Date;
  /** The newest value of the statistic over the last period, when there was data. */
  lastValue?: number;
}

export interface AlarmTransition {
  alarm: AlarmStatus;
  oldState: AlarmState;
  /** The SNS message CloudWatch publishes to the actions (JSON text). */
  message: string;
  subject: string;
  actions: string[];
}

const OPERATORS: Record<AlarmDefinition['comparisonOperator'], { symbol: string; words: string; test: (v: number, t: number) => boolean }> =
  {
    GreaterThanThreshold: { symbol: '>', words: 'greater than', test: (v, t) => v > t },
    GreaterThanOrEqualToThreshold: { symbol: '>=', words: 'greater than or equal to', test: (v, t) => v >= t },
    LessThanThreshold: { symbol: '<', words: 'less than', test: (v, t) => v < t },
    LessThanOrEqualToThreshold: { symbol: '<=', words: 'less than or equal to', test: (v, t) => v <= t },
  };

/** CloudWatch's timestamp format in alarm notifications: `2026-11-20T06:05:00.123+0000`. */
const cwTime = (d: Date) => d.toISOString().replace('Z', '+0000');

export class LocalAlarms extends EventEmitter<{
  transition: [AlarmTransition];
  /** An alarm's configuration was put: its name and threshold now. */
  configured: [{ alarmName: string; threshold: number }];
}> {
  readonly alarms = new Map<string, AlarmStatus>();
  readonly mathAlarms = new Map<string, MathAlarm>();

  constructor(
    private readonly metrics: MetricStore,
    private readonly context: { region: string; accountId: string },
    private readonly clock: () => number = Date.now,
  ) {
    super();
  }

  define(definition: AlarmDefinition): void {
    if (!OPERATORS[definition.comparisonOperator])
      throw new Error(
        `alarm ${definition.alarmName}: comparison ${definition.comparisonOperator} is not one the local CloudWatch evaluates`,
      );
    this.alarms.set(definition.alarmName, {
      ...definition,
      state: 'OK',
      stateReason: 'Local alarms start in OK',
      stateUpdatedAt: new Date(this.clock()),
      configuredAt: new Date(this.clock()),
    });
  }

  /** A metric math alarm, kept as configured (not evaluated here). */
  defineMath(alarmName: string, alarmArn: string, configuration: AlarmConfiguration & { Threshold: number }): void {
    const { Tags: _tags, ...kept } = configuration as AlarmConfiguration & { Threshold: number; Tags?: unknown };
    this.mathAlarms.set(alarmName, {
      alarmName,
      alarmArn,
      configuration: { ...kept, AlarmName: alarmName },
      state: 'OK',
      stateReason: 'Metric math alarms are not evaluated by the local CloudWatch (a burst alarm is, by the local autoscaler)',
      stateUpdatedAt: new Date(this.clock()),
      configuredAt: new Date(this.clock()),
    });
  }

  /**
   * PutMetricAlarm: creates the alarm, or replaces the whole configuration of an existing one
   * and keeps its state; Tags on an existing alarm are ignored (PutMetricAlarm, Tags).
   */
  put(configuration: AlarmConfiguration & { AlarmName: string; Threshold: number }): void {
    const name = configuration.AlarmName;
    const existing = this.alarms.get(name) ?? this.mathAlarms.get(name);
    const alarmArn = existing?.alarmArn ?? `arn:aws:cloudwatch:${this.context.region}:${this.context.accountId}:alarm:${name}`;
    const kept = existing
      ? { state: existing.state, stateReason: existing.stateReason, stateUpdatedAt: existing.stateUpdatedAt }
      : undefined;
    this.alarms.delete(name);
    this.mathAlarms.delete(name);
    const single = metricAlarmDefinition(configuration, name, alarmArn);
    if (single) this.define(single);
    else this.defineMath(name, alarmArn, configuration);
    const stored = this.alarms.get(name) ?? this.mathAlarms.get(name)!;
    if (kept) Object.assign(stored, kept);
    this.emit('configured', { alarmName: name, threshold: configuration.Threshold });
  }

  /** Evaluates every alarm now; returns the transitions (also emitted). */
  evaluate(): AlarmTransition[] {
    const transitions: AlarmTransition[] = [];
    for (const alarm of this.alarms.values()) {
      const transition = this.evaluateOne(alarm);
      if (transition) transitions.push(transition);
    }
    return transitions;
  }

  private evaluateOne(alarm: AlarmStatus): AlarmTransition | undefined {
    const now = this.clock();
    const period = alarm.periodSeconds * 1000;
    const op = OPERATORS[alarm.comparisonOperator];
    const query = { namespace: alarm.namespace, metricName: alarm.metricName, dimensions: alarm.dimensions };
    let breaching = 0;
    let withData = 0;
    const seen: Array<{ value: number; at: number }> = [];
    for (let i = 0; i < alarm.evaluationPeriods; i++) {
      const to = now - i * period;
      const value = statistic(this.metrics.values(query, to - period, to), alarm.statistic);
      if (value === undefined) {
        if (alarm.treatMissingData === 'breaching') breaching++;
        continue;
      }
      withData++;
      seen.push({ value, at: to - period });
      if (op.test(value, alarm.threshold)) breaching++;
    }
    if (seen[0]) alarm.lastValue = seen[0].value;
    let next: AlarmState;
    if (breaching >= alarm.datapointsToAlarm) next = 'ALARM';
    else if (withData === 0 && (alarm.treatMissingData === 'missing' || alarm.treatMissingData === 'ignore'))
      next = alarm.treatMissingData === 'ignore' ? alarm.state : 'INSUFFICIENT_DATA';
    else next = 'OK';
    if (next === alarm.state) return undefined;
    const points = seen.map((p) => `${p.value} (${new Date(p.at).toISOString().slice(0, 19).replace('T', ' ')})`).join(', ');
    const reason =
      next === 'ALARM'
        ? `Threshold Crossed: ${breaching} out of the last ${alarm.evaluationPeriods} datapoints [${points}] was ${op.words} the threshold (${alarm.threshold}) (minimum ${alarm.datapointsToAlarm} datapoint for OK -> ALARM transition).`
        : next === 'OK'
          ? `Threshold Crossed: ${alarm.evaluationPeriods - breaching} out of the last ${alarm.evaluationPeriods} datapoints ${points ? `[${points}] were` : 'were'} not ${op.words} the threshold (${alarm.threshold}) (minimum 1 datapoint for ALARM -> OK transition).`
          : 'Insufficient Data: no datapoints were received for the evaluation periods.';
    const oldState = alarm.state;
    alarm.state = next;
    alarm.stateReason = reason;
    alarm.stateUpdatedAt = new Date(now);
    const actions = !alarm.actionsEnabled
      ? []
      : next === 'ALARM'
        ? alarm.alarmActions
        : next === 'OK'
          ? alarm.okActions
          : alarm.insufficientDataActions;
    const message = JSON.stringify({
      AlarmName: alarm.alarmName,
      AlarmDescription: alarm.alarmDescription ?? null,
      AWSAccountId: this.context.accountId,
      AlarmConfigurationUpdatedTimestamp: cwTime(new Date(now)),
      NewStateValue: next,
      NewStateReason: reason,
      StateChangeTime: cwTime(new Date(now)),
      Region: this.context.region,
      AlarmArn: alarm.alarmArn,
      OldStateValue: oldState,
      OKActions: alarm.okActions,
      AlarmActions: alarm.alarmActions,
      InsufficientDataActions: alarm.insufficientDataActions,
      Trigger: {
        MetricName: alarm.metricName,
        Namespace: alarm.namespace,
        StatisticType: 'Statistic',
        Statistic: alarm.statistic.toUpperCase(),
        Unit: null,
        Dimensions: Object.entries(alarm.dimensions).map(([name, value]) => ({ value, name })),
        Period: alarm.periodSeconds,
        EvaluationPeriods: alarm.evaluationPeriods,
        DatapointsToAlarm: alarm.datapointsToAlarm,
        ComparisonOperator: alarm.comparisonOperator,
        Threshold: alarm.threshold,
        TreatMissingData: alarm.treatMissingData,
        EvaluateLowSampleCountPercentile: '',
      },
    });
    const transition: AlarmTransition = {
      alarm,
      oldState,
      message,
      subject: `${next}: "${alarm.alarmName}" in ${this.context.region}`.slice(0, 100),
      actions,
    };
    this.emit('transition', transition);
    return transition;
  }
}
