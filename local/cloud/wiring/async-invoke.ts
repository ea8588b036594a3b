/**
 * Asynchronous (Event) invocation, as Lambda does it for S3 notifications, EventBridge rules
 * and schedules: the caller does not wait; failures are retried MaximumRetryAttempts times
 * (AWS::Lambda::EventInvokeConfig, default 2) and then go to the on-failure destination.
 */
import { SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { randomUUID } from 'node:crypto';
import type { LocalFunction } from './functions';

export interface AsyncInvokeConfig {
  maximumRetryAttempts: number;
  onFailureQueueUrl?: string;
}

export class AsyncInvoker {
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly sqs: SQSClient,
    private readonly configOf: (fn: LocalFunction) => AsyncInvokeConfig,
    /** Lambda waits about 1 and 2 minutes between attempts; the local cloud scales that down. */
    private readonly retryDelayMs: number,
    private readonly onFailure: (fn: LocalFunction, error: Error, attempts: number) => void = () => undefined,
  ) {}

  invoke(fn: LocalFunction, event: unknown): void {
    const run = this.run(fn, event).finally(() => this.inFlight.delete(run));
    this.inFlight.add(run);
  }

  private async run(fn: LocalFunction, event: unknown): Promise<void> {
    const config = this.configOf(fn);
    let attempt = 0;
    for (;;) {
      attempt++;
      try {
        await fn.invoke(event);
        return;
      } catch (error) {
        if (attempt <= config.maximumRetryAttempts) {
          await new Promise((resolve) => setTimeout(resolve, this.retryDelayMs * attempt));
          continue;
        }
        const failure = error instanceof Error ? error : new Error(String(error));
        this.onFailure(fn, failure, attempt);
        if (config.onFailureQueueUrl) {
          // The record Lambda sends to an on-failure destination of an asynchronous invocation.
          const record = {
            version: '1.0',
            timestamp: new Date().toISOString(),
            requestContext: {
              requestId: randomUUID(),
              functionArn: `${fn.spec.arn}:$LATEST`,
              condition: 'RetriesExhausted',
              approximateInvokeCount: attempt,
            },
            requestPayload: event,
            responseContext: { statusCode: 200, executedVersion: '$LATEST', functionError: 'Unhandled' },
            responsePayload: { errorType: (failure as { errorType?: string }).errorType ?? failure.name, errorMessage: failure.message },
          };
          await this.sqs.send(new SendMessageCommand({ QueueUrl: config.onFailureQueueUrl, MessageBody: JSON.stringify(record) }));
        }
        return;
      }
    }
  }

  /** Resolves when every accepted event has been handled (for tests and shutdown). */
  async drain(): Promise<void> {
    while (this.inFlight.size) await Promise.all([...this.inFlight]);
  }
}
