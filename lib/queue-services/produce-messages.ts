/**
 * Loads a queue service with sample work messages.
 *
 * Primary course: build `count` messages whose work times spread evenly between
 * `minWorkMs` and `maxWorkMs`, send them in batches of 10 (the SendMessageBatch limit),
 * re-send only the entries SQS reports as failed, and report how many went out.
 */
import { randomUUID } from 'node:crypto';
import type { SampleWorkMessage } from './sample-message';

export interface MessageSender {
  /** Sends up to 10 bodies; returns the indexes that failed. */
  sendBatch(queueUrl: string, entries: Array<{ id: string; body: string; groupId?: string; dedupId?: string }>): Promise<string[]>;
}

export class ProduceMessagesError extends Error {
  override readonly name = 'ProduceMessagesError';
}

export interface ProduceInput {
  queueUrl: string;
  count: number;
  minWorkMs: number;
  maxWorkMs: number;
  /** FIFO queues: messages spread over this many message groups. */
  fifoGroups?: number;
}

export interface ProduceMessagesDeps {
  sender: MessageSender;
  clock: () => Date;
  newId?: () => string;
  maxAttempts?: number;
}

export async function produceMessages(
  input: ProduceInput,
  { sender, clock, newId = randomUUID, maxAttempts = 3 }: ProduceMessagesDeps,
): Promise<{ sent: number }> {
  const span = Math.max(0, input.maxWorkMs - input.minWorkMs);
  const messages = Array.from({ length: input.count }, (_, i) => {
    const message: SampleWorkMessage = {
      id: newId(),
      workMs: Math.round(input.minWorkMs + (input.count > 1 ? (span * i) / (input.count - 1) : 0)),
      sentAt: clock().toISOString(),
    };
    const groupId = input.fifoGroups ? `group-${i % input.fifoGroups}` : undefined;
    return { id: `m${i}`, body: JSON.stringify(message), ...(groupId ? { groupId, dedupId: message.id } : {}) };
  });
  let sent = 0;
  for (let start = 0; start < messages.length; start += 10) {
    let pending = messages.slice(start, start + 10);
    for (let attempt = 1; pending.length; attempt += 1) {
      const failed = new Set(await sender.sendBatch(input.queueUrl, pending));
      sent += pending.length - failed.size;
      pending = pending.filter((entry) => failed.has(entry.id));
      if (pending.length && attempt >= maxAttempts) {
        throw new ProduceMessagesError(`${pending.length} messages were not accepted after ${maxAttempts} attempts (${sent} sent)`);
      }
    }
  }
  return { sent };
}
