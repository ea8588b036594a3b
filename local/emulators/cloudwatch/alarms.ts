/**
 * Local CloudWatch alarms on single metrics: each evaluation looks at the last
 * EvaluationPeriods periods of the metric, counts the breaching ones (missing data as
 * TreatMissingData says), and changes state when DatapointsToAlarm of them breach or none
 * does. A state change publishes the notification CloudWatch sends to the alarm's actions
 * (SNS topics), so the stack's alarm formatter runs on it as on AWS.
 *
 * Unlike AWS, alarms start in OK rather than INSUFFICIENT_DATA: a fresh local cloud would
 * otherwise announce every alarm's first OK at once.
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

export interface AlarmStatus extends AlarmDefinition {
  state: AlarmState;
  stateReason: string;
  stateUpdatedAt: Date;
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

export class LocalAlarms extends EventEmitter<{ transition: [AlarmTransition] }> {
  readonly alarms = new Map<string, AlarmStatus>();

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
    });
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
