/**
 * A CloudWatch alarm's SNS notification (the JSON text CloudWatch publishes to the alarm
 * topic) → a Notice in the shared format. The alarm's kind and subject come from its name
 * (lib/contracts/alarm-kinds.ts); alarms of other stacks still get a readable message.
 */
import * as v from '../validation';
import { ALARM_KINDS, parseAlarmName, PIPELINE_ALARM_KINDS } from '../../contracts/alarm-kinds';
import { alarmConsoleUrl, logGroupUrl, regionOfArn } from './links';
import type { Notice } from './notice';

const DimensionSchema = v.looseObject({ name: v.string(), value: v.string() });

export const AlarmMessageSchema = v.looseObject({
  AlarmName: v.string().min(1),
  AlarmDescription: v.string().nullish(),
  NewStateValue: v.enum(['ALARM', 'OK', 'INSUFFICIENT_DATA']),
  NewStateReason: v.string().default(''),
  StateChangeTime: v.string().optional(),
  Region: v.string().optional(),
  AlarmArn: v.string().optional(),
  OldStateValue: v.string().optional(),
  Trigger: v
    .looseObject({
      MetricName: v.string().optional(),
      Namespace: v.string().optional(),
      Dimensions: v.array(DimensionSchema).optional(),
      Threshold: v.number().optional(),
      ComparisonOperator: v.string().optional(),
      Period: v.number().optional(),
      EvaluationPeriods: v.number().optional(),
    })
    .optional(),
});
export type AlarmMessage = v.Infer<typeof AlarmMessageSchema>;

export class InvalidAlarmMessageError extends Error {
  override readonly name = 'InvalidAlarmMessageError';
}

/** Parses the SNS `Message` text; a message that is not an alarm is an error naming its start. */
export function parseAlarmMessage(text: string): AlarmMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new InvalidAlarmMessageError(`alarm topic message is not JSON: starts ${JSON.stringify(text.slice(0, 80))}`, { cause: error });
  }
  const parsed = AlarmMessageSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidAlarmMessageError(
      `alarm topic message is not a CloudWatch alarm: ${v.prettifyError(parsed.error).replace(/\n/g, '; ')}`,
      {
        cause: parsed.error,
      },
    );
  }
  return parsed.data;
}

const COMPARISON: Record<string, string> = {
  GreaterThanThreshold: '>',
  GreaterThanOrEqualToThreshold: '>=',
  LessThanThreshold: '<',
  LessThanOrEqualToThreshold: '<=',
};

export interface AlarmNoticeContext {
  stack: { service: string; stage: string };
  /** Region of the stack: used when the alarm ARN does not name one. */
  region: string;
}

export function alarmNotice(alarm: AlarmMessage, context: AlarmNoticeContext): Notice {
  const named = parseAlarmName(alarm.AlarmName);
  const kind = named ? ALARM_KINDS[named.kind] : undefined;
  const dimensions = Object.fromEntries((alarm.Trigger?.Dimensions ?? []).map((d) => [d.name, d.value]));
  const pipeline = dimensions.pipeline ?? (named && PIPELINE_ALARM_KINDS.has(named.kind) ? named.subject : undefined);
  const region = (alarm.AlarmArn && regionOfArn(alarm.AlarmArn)) || context.region;
  const state = alarm.NewStateValue;

  const trigger = alarm.Trigger;
  const threshold =
    trigger?.MetricName && trigger.Threshold !== undefined
      ? `${trigger.Namespace ? `${trigger.Namespace} ` : ''}${trigger.MetricName} ${COMPARISON[trigger.ComparisonOperator ?? ''] ?? trigger.ComparisonOperator ?? ''} ${trigger.Threshold}` +
        `${trigger.Period ? ` over ${trigger.EvaluationPeriods ?? 1} x ${trigger.Period} s` : ''}`
      : undefined;
  const subjectDimension = Object.entries(dimensions)
    .filter(([name]) => !['service', 'stage', 'pipeline'].includes(name))
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');

  const whatHappened =
    state === 'ALARM'
      ? (kind?.what ?? alarm.AlarmDescription ?? `Alarm ${alarm.AlarmName} is in ALARM.`)
      : state === 'OK'
        ? `Back to normal: ${kind?.what ?? alarm.AlarmDescription ?? alarm.AlarmName} (no longer true)`
        : `Alarm ${alarm.AlarmName} has insufficient data.`;

  const facts: Array<[string, string]> = [['Alarm', alarm.AlarmName]];
  if (alarm.AlarmDescription && kind) facts.push(['Description', alarm.AlarmDescription]);
  if (threshold) facts.push(['Threshold', threshold]);
  if (subjectDimension) facts.push(['Resource', subjectDimension]);
  if (alarm.StateChangeTime) facts.push(['Since', alarm.StateChangeTime]);
  if (alarm.OldStateValue) facts.push(['State', `${alarm.OldStateValue} -> ${state}`]);

  const other: Array<[string, string]> = [['Alarm', alarmConsoleUrl(region, alarm.AlarmName)]];
  if (named?.kind === 'lambda-errors' || named?.kind === 'lambda-throttles') {
    const fn = dimensions.FunctionName;
    if (fn) other.push(['Function logs', logGroupUrl(region, `/aws/lambda/${fn}`)]);
  }

  return {
    kind: state === 'OK' ? 'alarm-ok' : 'alarm',
    severity: state === 'ALARM' ? 'ALARM' : state === 'OK' ? 'OK' : 'INFO',
    title: `alarm ${named ? named.kind : alarm.AlarmName}${named?.subject && !pipeline ? ` (${named.subject})` : ''}${state === 'OK' ? ' is OK' : ''}`,
    stack: context.stack,
    pipeline,
    whatHappened,
    ...(state === 'ALARM' && named ? { cause: { class: named.kind, hint: kind?.hint } } : {}),
    lastError: alarm.NewStateReason || undefined,
    facts,
    links: { other },
  };
}
