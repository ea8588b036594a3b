/** Visible and in-flight messages of a queue through one GetQueueAttributes call. */
import { GetQueueAttributesCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { BacklogSource } from './autoscaler';

/**
 * `emulatorCountsInFlight`: local-aws-sqs reports ApproximateNumberOfMessages including
 * in-flight messages (real SQS does not), so the local cloud subtracts them.
 */
export function sqsBacklog(client: SQSClient, queueUrl: string, emulatorCountsInFlight = true): BacklogSource {
  const depth = async () => {
    const { Attributes } = await client.send(
      new GetQueueAttributesCommand({
        QueueUrl: queueUrl,
        AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
      }),
    );
    const total = Number(Attributes?.ApproximateNumberOfMessages ?? 0);
    const inFlight = Number(Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0);
    return { visible: emulatorCountsInFlight ? Math.max(0, total - inFlight) : total, inFlight };
  };
  return {
    depth,
    async visibleMessages() {
      return (await depth()).visible;
    },
  };
}
