/**
 * The sample queue service's work: parse the message, "process" it for the time it asks
 * (an abortable wait standing in for real work), fail it when it says so.
 */
import { SampleWorkMessageSchema } from '../../lib/queue-services/sample-message';
import type { MessageHandler } from '../worker/queue-consumer';

export class SampleMessageError extends Error {
  override readonly name = 'SampleMessageError';
}

export function sampleHandler(
  onDone?: (result: { id: string; workMs: number; latencyMs: number }) => void,
  now: () => number = Date.now,
): MessageHandler {
  return async (message, { signal }) => {
    let body: unknown;
    try {
      body = JSON.parse(message.body);
    } catch (error) {
      throw new SampleMessageError(`message ${message.messageId} is not JSON`, { cause: error });
    }
    const parsed = SampleWorkMessageSchema.safeParse(body);
    if (!parsed.success)
      throw new SampleMessageError(
        `message ${message.messageId}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
      );
    if (parsed.data.fail) throw new SampleMessageError(`message ${parsed.data.id} asks to fail`);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(resolve, parsed.data.workMs);
      signal.addEventListener(
        'abort',
        () => {
          clearTimeout(timer);
          reject(new SampleMessageError(`message ${parsed.data.id} aborted at the drain deadline`));
        },
        { once: true },
      );
    });
    onDone?.({ id: parsed.data.id, workMs: parsed.data.workMs, latencyMs: now() - Date.parse(parsed.data.sentAt) });
  };
}
