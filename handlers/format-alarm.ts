/**
 * CloudWatch alarms → the internal alarm topic → here → the operators' topic, rewritten in
 * the one notification format (lib/shared/notices) that run failures use too. A message that
 * is not an alarm fails the invocation (SNS retries, then the alarm formatter's DLQ).
 */
import middy from '@middy/core';
import { snsClient } from '../lib/shared/clients/sns';
import { readEnv } from '../lib/shared/config';
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics } from '../lib/shared/metrics';
import { formatAlarms } from '../lib/shared/notices/format-alarms';
import { snsRecords } from '../lib/shared/notices/sns-event';
import { snsNoticePublisher } from '../lib/shared/notices/sns-publisher';
import { logger, metrics } from '../lib/shared/observability';

export { InvalidSnsEventError as InvalidAlarmEventError } from '../lib/shared/notices/sns-event';

const env = readEnv(['TOPIC_ARN', 'STAGE', 'SERVICE', 'AWS_REGION']);
const deps = {
  publisher: snsNoticePublisher(snsClient(), env.TOPIC_ARN),
  context: { stack: { service: env.SERVICE, stage: env.STAGE }, region: env.AWS_REGION },
};

export const handler = middy(async (event: unknown) => formatAlarms(snsRecords(event, 'formatAlarm'), deps))
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
