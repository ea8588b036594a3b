/** SendMessageBatch, reporting the entries SQS did not accept. */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { MessageSender } from '../produce-messages';

export function sqsMessageSender(client: SQSClient): MessageSender {
  return {
    async sendBatch(queueUrl, entries) {
      const out = await client.send(
        new SendMessageBatchCommand({
          QueueUrl: queueUrl,
          Entries: entries.map((entry) => ({
            Id: entry.id,
            MessageBody: entry.body,
            ...(entry.groupId ? { MessageGroupId: entry.groupId, MessageDeduplicationId: entry.dedupId ?? entry.id } : {}),
          })),
        }),
      );
      return (out.Failed ?? []).map((failure) => failure.Id ?? '');
    },
  };
}
