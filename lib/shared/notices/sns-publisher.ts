/** Publishing a rendered notice to an SNS topic (the operators' topic). */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import type { RenderedNotice } from './notice';

export interface NoticePublisher {
  publish(notice: RenderedNotice): Promise<{ messageId: string }>;
}

export function snsNoticePublisher(client: SNSClient, topicArn: string): NoticePublisher {
  return {
    async publish({ subject, message, attributes }) {
      const result = await client.send(
        new PublishCommand({
          TopicArn: topicArn,
          // SNS refuses an empty subject; email then uses its default.
          ...(subject ? { Subject: subject } : {}),
          Message: message,
          MessageAttributes: Object.fromEntries(
            Object.entries(attributes).map(([name, value]) => [name, { DataType: 'String', StringValue: value }]),
          ),
        }),
      );
      return { messageId: result.MessageId ?? '' };
    },
  };
}
