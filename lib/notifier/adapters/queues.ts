/** Sends discovery output to a queue with SendMessageBatch: 10 entries and 256 KiB per call. */
import { SendMessageBatchCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { QueueSendError } from '../errors';
import type { MessageSender, OutboundMessage } from '../ports';

const MAX_ENTRIES = 10;
const MAX_BATCH_BYTES = 256 * 1024;
const MAX_ROUNDS = 3;

/** Groups messages into batches that respect both limits. */
export function packBatches(messages: readonly OutboundMessage[]): OutboundMessage[][] {
  const batches: OutboundMessage[][] = [];
  let current: OutboundMessage[] = [];
  let bytes = 0;
  for (const message of messages) {
    const size = Buffer.byteLength(message.body);
    if (size > MAX_BATCH_BYTES)
      throw new QueueSendError(`message ${message.id} is ${size} bytes, over the SQS limit of ${MAX_BATCH_BYTES}`);
    if (current.length === MAX_ENTRIES || bytes + size > MAX_BATCH_BYTES) {
      batches.push(current);
      current = [];
      bytes = 0;
    }
    current.push(message);
    bytes += size;
  }
  if (current.length) batches.push(current);
  return batches;
}

export function createQueueSender(client: SQSClient, queueUrl: string): MessageSender {
  return {
    async sendAll(messages) {
      // SQS batch entry ids allow [A-Za-z0-9_-] only, so entries are numbered per batch.
      for (const batch of packBatches(messages)) {
        let pending = batch;
        let lastReason = '';
        for (let round = 0; round < MAX_ROUNDS && pending.length; round += 1) {
          const out = await client.send(
            new SendMessageBatchCommand({
              QueueUrl: queueUrl,
              Entries: pending.map((message, index) => ({ Id: `m${index}`, MessageBody: message.body })),
            }),
          );
          const failed = new Set((out.Failed ?? []).map((entry) => entry.Id));
          lastReason = (out.Failed ?? []).map((entry) => `${entry.Code ?? '?'}: ${entry.Message ?? ''}`).join('; ');
          pending = pending.filter((_, index) => failed.has(`m${index}`));
          // Sender faults (bad entries) will not succeed on retry; stop early.
          if ((out.Failed ?? []).some((entry) => entry.SenderFault)) break;
        }
        if (pending.length) {
          throw new QueueSendError(
            `could not send ${pending.length} message(s) to ${queueUrl} (${pending.map((m) => m.id).join(', ')}): ${lastReason}`,
          );
        }
      }
    },
  };
}
