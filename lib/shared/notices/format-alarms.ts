/**
 * CloudWatch alarm messages (from the internal alarm topic) rewritten in the one notice format
 * and published to the operators' topic, each logged and counted.
 */
import { STACK_METRIC } from '../../contracts/metric-names';
import { MetricUnit } from '../metrics';
import { logger, metrics } from '../observability';
import { alarmNotice, parseAlarmMessage } from './alarm-notice';
import { renderNotice } from './notice';
import type { SnsRecord } from './sns-event';

export interface FormatAlarmsDeps {
  publisher: { publish: (notice: ReturnType<typeof renderNotice>) => Promise<unknown> };
  context: Parameters<typeof alarmNotice>[1];
}

export async function formatAlarms(records: SnsRecord[], deps: FormatAlarmsDeps): Promise<{ sent: number }> {
  let sent = 0;
  for (const record of records) {
    const alarm = parseAlarmMessage(record.Sns.Message);
    const rendered = renderNotice(alarmNotice(alarm, deps.context));
    await deps.publisher.publish(rendered);
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
