/**
 * CloudWatch alarms → the internal alarm topic → here → the operators' topic, rewritten in
 * the one notification format (lib/shared/notices) that run failures use too. A message that
 * is not an alarm fails the invocation (SNS retries, then the alarm formatter's DLQ).
 */
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics, MetricUnit } from '../lib/shared/metrics';
import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import * as v from '../lib/shared/validation';
import { snsClient } from '../lib/shared/clients/sns';
import { readEnv } from '../lib/shared/config';
import { alarmNotice, parseAlarmMessage } from '../lib/shared/notices/alarm-notice';
import { renderNotice } from '../lib/shared/notices/notice';
import { snsNoticePublisher } from '../lib/shared/notices/sns-publisher';
import { logger, metrics } from '../lib/shared/observability';
import { STACK_METRIC } from '../lib/contracts/metric-names';

const env = readEnv(['TOPIC_ARN', 'STAGE', 'SERVICE', 'AWS_REGION']);
const publisher = snsNoticePublisher(snsClient(), env.TOPIC_ARN);
const context = { stack: { service: env.SERVICE, stage: env.STAGE }, region: env.AWS_REGION };

const SnsEventSchema = v.looseObject({
  Records: v.array(v.looseObject({ Sns: v.looseObject({ Message: v.string(), MessageId: v.string() }) })).min(1),
});

export class InvalidAlarmEventError extends Error {
  override readonly name = 'InvalidAlarmEventError';
}

async function formatAlarms(event: SNSEvent | unknown): Promise<{ sent: number }> {
  const parsed = SnsEventSchema.safeParse(event);
  if (!parsed.success)
    throw new InvalidAlarmEventError(`formatAlarm expects an SNS event: ${v.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  let sent = 0;
  for (const record of parsed.data.Records) {
    const alarm = parseAlarmMessage(record.Sns.Message);
    const rendered = renderNotice(alarmNotice(alarm, context));
    await publisher.publish(rendered);
    sent += 1;
    logger.info('alarm notification sent', {
      alarmName: alarm.AlarmName,
      state: alarm.NewStateValue,
      pipeline: rendered.attributes.pipeline,
      snsMessageId: record.Sns.MessageId,
    });
  }
  metrics.addMetric(STACK_METRIC.AlarmNotificationsSent, MetricUnit.Count, sent);
  return { sent };
}

export const handler = middy(formatAlarms).use(injectLambdaContext(logger)).use(logMetrics(metrics));
