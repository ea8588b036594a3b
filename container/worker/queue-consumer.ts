/**
 * The worker library's queue mode: a long-running consumer of one SQS queue.
 *
 * - Long-polls ReceiveMessage in batches (WaitTimeSeconds 20, up to 10 messages, never
 *   more than the free concurrency) and runs the handler once per message.
 * - While a message is worked on, its visibility is extended every `heartbeatFraction`
 *   of the visibility timeout, so a slow message is not handed to another task.
 * - Success: the message is deleted (DeleteMessageBatch, up to 10 receipts a call).
 *   Failure: the message is left alone; it becomes visible again when its lease ends and,
 *   after maxReceiveCount receives, SQS moves it to the dead-letter queue.
 * - Each attempt's processing duration goes to stdout as one EMF line: CloudWatch Logs
 *   turns it into a metric, with no PutMetricData call per message.
 * - SIGTERM (ECS stopping the task): stop receiving, finish what is in flight, exit. A long
 *   poll already under way is not cut short: SQS may lease messages to it whatever the client
 *   does with the connection, and a client that dropped it would never see them (they would wait
 *   out the visibility timeout). It returns within `waitTimeSeconds`, and what it brings is
 *   handed back unstarted (visibility 0: another task receives it at once)
 *   before the deadline; work still unfinished at the deadline is aborted and its
 *   messages made visible at once, so another task picks them up without waiting.
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  ReceiveMessageCommand,
  type Message,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import {
  PROCESSING_DURATION_METRIC as PROCESSING_DURATION,
  QUEUE_METRICS_NAMESPACE as QUEUE_NAMESPACE,
  QUEUE_SERVICE_DIMENSION,
} from '../../lib/contracts/metric-names';
import { errorFields, type LineSink, type Log } from './log';

export { PROCESSING_DURATION, QUEUE_NAMESPACE };

export interface QueueMessage {
  messageId: string;
  body: string;
  /** How many times SQS has handed this message out, this time included. */
  receiveCount: number;
  attributes: Record<string, string>;
}

export interface HandlerContext {
  /** Aborted when the drain deadline passes: stop work and throw. */
  signal: AbortSignal;
}

export type MessageHandler = (message: QueueMessage, context: HandlerContext) => Promise<void>;

export type StopSignal = 'SIGTERM' | 'SIGINT';
export interface SignalSource {
  on(event: StopSignal, listener: () => void): unknown;
  off(event: StopSignal, listener: () => void): unknown;
}

export interface QueueConsumerOptions {
  sqs: SQSClient;
  queueUrl: string;
  handler: MessageHandler;
  /** The queue's visibility timeout: each heartbeat extends the lease to this again. */
  visibilityTimeoutSeconds: number;
  /** Messages worked on at once (default 1). */
  concurrency?: number;
  /** Heartbeat period as a fraction of the visibility timeout (default 0.5). */
  heartbeatFraction?: number;
  waitTimeSeconds?: number;
  /** After SIGTERM, how long in-flight work may take (default 25 s, inside ECS' 30 s stopTimeout). */
  drainDeadlineMs?: number;
  /** How long a successful receipt may wait for others to share a DeleteMessageBatch call. */
  deleteDelayMs?: number;
  /** EMF dimension value identifying the service (`<stack>-<queue service>`). */
  metricDimension: string;
  namespace?: string;
  log: Log;
  /** Where EMF lines go (stdout). */
  sink: LineSink;
  signals?: SignalSource;
  now?: () => number;
}

export interface DrainResult {
  processed: number;
  failed: number;
  /** Messages still in flight at the deadline, released for another task. */
  released: number;
  /** Messages a receive returned after the stop, handed back unstarted. */
  handedBack: number;
}

export class QueueConsumerError extends Error {
  override readonly name = 'QueueConsumerError';
}

interface InFlight {
  message: Message;
  controller: AbortController;
  done: Promise<void>;
}

const pause = (ms: number, signal?: AbortSignal) =>
  new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(timer);
        resolve();
      },
      { once: true },
    );
  });

/** One EMF document for one attempt: duration in milliseconds, by queue service. */
export function processingEmf(
  namespace: string,
  dimension: string,
  durationMs: number,
  outcome: 'success' | 'failure',
  timestamp: number,
  messageId: string,
): string {
  return JSON.stringify({
    _aws: {
      Timestamp: timestamp,
      CloudWatchMetrics: [
        {
          Namespace: namespace,
          Dimensions: [[QUEUE_SERVICE_DIMENSION]],
          Metrics: [
            { Name: PROCESSING_DURATION, Unit: 'Milliseconds' },
            { Name: 'MessagesFailed', Unit: 'Count' },
          ],
        },
      ],
    },
    [QUEUE_SERVICE_DIMENSION]: dimension,
    [PROCESSING_DURATION]: durationMs,
    MessagesFailed: outcome === 'failure' ? 1 : 0,
    // Properties, not dimensions: searchable in Logs Insights without per-message metrics.
    outcome,
    messageId,
  });
}

export class QueueConsumer {
  private readonly options: Required<Omit<QueueConsumerOptions, 'signals'>> & { signals?: SignalSource };
  private readonly inFlight = new Map<string, InFlight>();
  /** Cuts the pause after a failed receive short on stop (never a receive: see the header). */
  private readonly pauseController = new AbortController();
  private stopping = false;
  private stoppedAt = 0;
  private slotFreed: (() => void) | undefined;
  private pendingDeletes: Array<{ Id: string; ReceiptHandle: string }> = [];
  private deleteTimer: NodeJS.Timeout | undefined;
  private deletes: Promise<void> = Promise.resolve();
  private counts = { processed: 0, failed: 0 };
  private stopRequested: Promise<void>;
  private requestStop!: () => void;

  constructor(options: QueueConsumerOptions) {
    if (!(options.visibilityTimeoutSeconds >= 1)) {
      throw new QueueConsumerError(`visibilityTimeoutSeconds must be at least 1, got ${options.visibilityTimeoutSeconds}`);
    }
    const fraction = options.heartbeatFraction ?? 0.5;
    if (!(fraction > 0 && fraction < 1)) throw new QueueConsumerError(`heartbeatFraction must be between 0 and 1, got ${fraction}`);
    this.options = {
      concurrency: 1,
      heartbeatFraction: fraction,
      waitTimeSeconds: 20,
      drainDeadlineMs: 25_000,
      deleteDelayMs: 200,
      namespace: QUEUE_NAMESPACE,
      now: Date.now,
      ...options,
    };
    this.stopRequested = new Promise((resolve) => (this.requestStop = resolve));
  }

  /** Stop receiving and drain; `run()` resolves once drained. Safe to call more than once. */
  stop(): void {
    if (this.stopping) return;
    this.stopping = true;
    this.stoppedAt = this.options.now();
    this.options.log.info('stop requested: draining', { inFlight: this.inFlight.size });
    this.pauseController.abort();
    this.slotFreed?.();
    this.requestStop();
  }

  /** Receives and works until stopped, then drains. */
  async run(): Promise<DrainResult> {
    const onSignal = () => this.stop();
    this.options.signals?.on('SIGTERM', onSignal);
    this.options.signals?.on('SIGINT', onSignal);
    try {
      let handedBack = 0;
      while (!this.stopping) {
        const free = this.options.concurrency - this.inFlight.size;
        if (free <= 0) {
          await new Promise<void>((resolve) => (this.slotFreed = resolve));
          continue;
        }
        const messages = await this.receive(Math.min(10, free));
        if (this.stopping) {
          handedBack = await this.handBack(messages);
          break;
        }
        for (const message of messages) this.start(message);
      }
      return await this.drain(handedBack);
    } finally {
      this.options.signals?.off('SIGTERM', onSignal);
      this.options.signals?.off('SIGINT', onSignal);
    }
  }

  private async receive(max: number): Promise<Message[]> {
    try {
      const out = await this.options.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.options.queueUrl,
          MaxNumberOfMessages: max,
          WaitTimeSeconds: this.options.waitTimeSeconds,
          MessageSystemAttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'],
          // The older spelling too: SQS accepts both, and local-aws-sqs reads only this one.
          AttributeNames: ['ApproximateReceiveCount', 'SentTimestamp', 'MessageGroupId'] as never,
        }),
      );
      return out.Messages ?? [];
    } catch (error) {
      if (this.stopping) return [];
      this.options.log.error('receive failed; retrying', errorFields(error));
      await pause(1000, this.pauseController.signal);
      return [];
    }
  }

  /** Makes messages received after the stop visible again at once; returns how many. */
  private async handBack(messages: Message[]): Promise<number> {
    if (!messages.length) return 0;
    this.options.log.info('stopping: handing back messages received after the stop', { count: messages.length });
    await Promise.all(messages.map((message) => this.makeVisible(message)));
    return messages.length;
  }

  /** Visible again now rather than after the lease: another task takes over at once. */
  private makeVisible(message: Message): Promise<unknown> {
    return this.options.sqs
      .send(
        new ChangeMessageVisibilityCommand({ QueueUrl: this.options.queueUrl, ReceiptHandle: message.ReceiptHandle, VisibilityTimeout: 0 }),
      )
      .catch((error: unknown) =>
        this.options.log.warn('release failed; the lease will expire instead', { messageId: message.MessageId, ...errorFields(error) }),
      );
  }

  private start(message: Message): void {
    const id = message.MessageId ?? message.ReceiptHandle ?? String(this.inFlight.size);
    const controller = new AbortController();
    const done = this.work(message, controller.signal).finally(() => {
      this.inFlight.delete(id);
      this.slotFreed?.();
      this.slotFreed = undefined;
    });
    this.inFlight.set(id, { message, controller, done });
  }

  private async work(message: Message, signal: AbortSignal): Promise<void> {
    const { options } = this;
    const started = options.now();
    const queued: QueueMessage = {
      messageId: message.MessageId ?? '',
      body: message.Body ?? '',
      receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? '1'),
      attributes: { ...message.Attributes },
    };
    const heartbeat = setInterval(() => void this.extend(message), options.visibilityTimeoutSeconds * options.heartbeatFraction * 1000);
    let outcome: 'success' | 'failure' = 'success';
    try {
      await options.handler(queued, { signal });
      if (signal.aborted) throw new QueueConsumerError('handler returned after the drain deadline');
      this.counts.processed += 1;
      this.scheduleDelete(message);
    } catch (error) {
      outcome = 'failure';
      this.counts.failed += 1;
      // Left on the queue: visible again when the lease ends, then retried or dead-lettered.
      options.log.error('message failed; left for retry', {
        messageId: queued.messageId,
        receiveCount: queued.receiveCount,
        ...errorFields(error),
      });
    } finally {
      clearInterval(heartbeat);
    }
    const finished = options.now();
    options.sink(processingEmf(options.namespace, options.metricDimension, finished - started, outcome, finished, queued.messageId));
  }

  private async extend(message: Message): Promise<void> {
    try {
      await this.options.sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: this.options.queueUrl,
          ReceiptHandle: message.ReceiptHandle,
          VisibilityTimeout: this.options.visibilityTimeoutSeconds,
        }),
      );
    } catch (error) {
      // Not fatal to the work: the next beat retries; if the lease does lapse, the
      // message is delivered again, which handlers must tolerate anyway (at-least-once).
      this.options.log.warn('visibility extension failed', { messageId: message.MessageId, ...errorFields(error) });
    }
  }

  private scheduleDelete(message: Message): void {
    this.pendingDeletes.push({ Id: String(this.pendingDeletes.length), ReceiptHandle: message.ReceiptHandle ?? '' });
    if (this.pendingDeletes.length >= 10) this.flushDeletes();
    else this.deleteTimer ??= setTimeout(() => this.flushDeletes(), this.options.deleteDelayMs);
  }

  private flushDeletes(): void {
    clearTimeout(this.deleteTimer);
    this.deleteTimer = undefined;
    const entries = this.pendingDeletes.splice(0, 10).map((entry, index) => ({ ...entry, Id: String(index) }));
    if (this.pendingDeletes.length) this.deleteTimer = setTimeout(() => this.flushDeletes(), 0);
    if (!entries.length) return;
    this.deletes = this.deletes.then(async () => {
      try {
        const out = await this.options.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: this.options.queueUrl, Entries: entries }));
        for (const failure of out.Failed ?? []) {
          this.options.log.error('delete failed: the message will be delivered again', { code: failure.Code, reason: failure.Message });
        }
      } catch (error) {
        this.options.log.error('delete batch failed: these messages will be delivered again', {
          count: entries.length,
          ...errorFields(error),
        });
      }
    });
  }

  private async drain(handedBack: number): Promise<DrainResult> {
    const all = Promise.all([...this.inFlight.values()].map((entry) => entry.done));
    // The deadline counts from the stop: the last receive's wait came out of it.
    const left = Math.max(0, this.options.drainDeadlineMs - (this.options.now() - this.stoppedAt));
    const deadline = new Promise<'deadline'>((resolve) => {
      const timer = setTimeout(() => resolve('deadline'), left);
      void all.then(() => clearTimeout(timer));
    });
    let released = 0;
    if ((await Promise.race([all.then(() => 'drained' as const), deadline])) === 'deadline') {
      const late = [...this.inFlight.values()];
      released = late.length;
      this.options.log.warn('drain deadline passed: releasing unfinished messages', { count: released });
      for (const entry of late) entry.controller.abort();
      await Promise.all(late.map((entry) => this.makeVisible(entry.message)));
    }
    this.flushDeletes();
    await this.deletes;
    const result = { ...this.counts, released, handedBack };
    this.options.log.info('drained', { ...result });
    return result;
  }

  /** Resolves when stop() has been called (for callers that wait on it). */
  stopped(): Promise<void> {
    return this.stopRequested;
  }
}
