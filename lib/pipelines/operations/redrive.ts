/**
 * Redrive a dead-letter queue after a fix, each queue by its nature:
 *  - watcher and start DLQs hold Lambda async-invoke failure records: the original event is
 *    `requestPayload`, handed again to the function's use case;
 *  - the fan-in DLQ holds Kinesis batch metadata (shard, first and last sequence number):
 *    the records are re-read from the stream (while it still retains them) and processed
 *    through the fan-in's use case;
 *  - the events DLQ holds startFromEvent's async failures (`requestPayload` is the rule's
 *    `{"pipeline":…,"event":…}`) and events a pipeline's rule could not deliver (the event,
 *    with the rule in the RULE_ARN message attribute, whose name gives the pipeline): each goes
 *    through startFromEvent's use case, never back onto the bus (every other rule there
 *    would see the event again).
 * A message whose redrive succeeded is deleted; any other stays, with the reason reported.
 */
import * as v from '../../shared/validation';
import type { DeadLetterQueue, DlqMessage, StreamReader, StreamRecord } from '../adapters/dead-letter-queues';
import { BusDeliverySchema, pipelineOfRule } from '../start/event-trigger';

export const DLQ_NAMES = ['watcher', 'fan-in', 'start', 'events'] as const;
export type DlqName = (typeof DLQ_NAMES)[number];

export const RedriveInputSchema = v.strictObject({
  queue: v.enum(DLQ_NAMES),
  /** Stop after this many messages (default 50). */
  max: v.number().int().min(1).max(1000).default(50),
  /** Only report what would be redriven. */
  dryRun: v.boolean().default(false),
});
export type RedriveInput = v.Infer<typeof RedriveInputSchema>;

/** A Lambda asynchronous invocation's failure record (on-failure destination). */
export const AsyncFailureRecordSchema = v.looseObject({
  requestContext: v
    .looseObject({ functionArn: v.string().optional(), condition: v.string().optional(), approximateInvokeCount: v.number().optional() })
    .optional(),
  requestPayload: v.unknown(),
  responsePayload: v.unknown().optional(),
});

/** A Kinesis event source mapping's failure record: where the failed batch is on the stream. */
export const KinesisFailureRecordSchema = v.looseObject({
  requestContext: v.looseObject({ condition: v.string().optional() }).optional(),
  KinesisBatchInfo: v.looseObject({
    shardId: v.string(),
    startSequenceNumber: v.string(),
    endSequenceNumber: v.string(),
    streamArn: v.string().optional(),
    batchSize: v.number().optional(),
  }),
});
export type KinesisBatchInfo = v.Infer<typeof KinesisFailureRecordSchema>['KinesisBatchInfo'];

export interface RedriveDeps {
  /** The events DLQ exists only where a pipeline has trigger.events. */
  queues: Record<Exclude<DlqName, 'events'>, DeadLetterQueue> & { events?: DeadLetterQueue };
  /** The watcher's use case on an original event. */
  watcher: (event: unknown) => Promise<void>;
  /** The start-pipeline use case on an original event. */
  start: (event: unknown) => Promise<void>;
  /** startFromEvent's use case on a rule's delivery {"pipeline":…,"event":…}. */
  events: (delivery: unknown) => Promise<void>;
  /** `<service>-<stage>-`: the prefix of the pipelines' rule names. */
  ruleNamePrefix: string;
  /** The fan-in's use case on one stream record. */
  fanIn: (record: StreamRecord) => Promise<void>;
  stream: StreamReader;
}

export interface RedriveReport {
  queue: DlqName;
  redriven: string[];
  /** Left in the queue, with why. */
  kept: Array<{ messageId: string; reason: string }>;
  dryRun: boolean;
}

export class RedriveMessageError extends Error {
  override readonly name = 'RedriveMessageError';
}

/** The command names a queue this stage does not have. */
export class RedriveQueueMissingError extends Error {
  override readonly name = 'RedriveQueueMissingError';
}

function parseBody<T>(schema: v.Schema<T>, body: string, what: string): T {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new RedriveMessageError(`not JSON (${(error as Error).message}); not a ${what}`, { cause: error });
  }
  const parsed = schema.safeParse(json);
  if (!parsed.success)
    throw new RedriveMessageError(`not a ${what}: ${v.prettifyError(parsed.error).replace(/\n/g, '; ')}`, { cause: parsed.error });
  return parsed.data;
}

/** An EventBridge event, as a rule's dead-letter queue holds one it could not deliver. */
const BusEventSchema = v.looseObject({ source: v.string(), 'detail-type': v.string() });

/**
 * The delivery startFromEvent was (or was to be) given for one events DLQ message:
 *  - a failed invocation's record: its requestPayload;
 *  - an event a rule could not deliver: EventBridge documents the body as the event and names
 *    the rule in RULE_ARN; the pipeline is the rule's (`<service>-<stage>-<pipeline>`). Should
 *    the body be the rule's transformed input instead, it is taken as it is, as long as it
 *    names the same pipeline as the rule.
 */
function eventsDelivery(message: DlqMessage, prefix: string): unknown {
  let json: unknown;
  try {
    json = JSON.parse(message.body);
  } catch (error) {
    throw new RedriveMessageError(`not JSON (${(error as Error).message}); not a failed startFromEvent invocation nor an event`, {
      cause: error,
    });
  }
  const ruleArn = message.attributes?.RULE_ARN;
  if (!ruleArn) {
    const record = AsyncFailureRecordSchema.safeParse(json);
    if (record.success && record.data.requestPayload !== undefined) return record.data.requestPayload;
    throw new RedriveMessageError(
      'neither a failed startFromEvent invocation (no requestPayload) nor an undelivered event (no RULE_ARN message attribute): its pipeline is unknown',
    );
  }
  const pipeline = pipelineOfRule(ruleArn, prefix);
  const transformed = BusDeliverySchema.safeParse(json);
  if (transformed.success) {
    if (transformed.data.pipeline !== pipeline) {
      throw new RedriveMessageError(
        `the delivery names pipeline "${transformed.data.pipeline}", its rule ${ruleArn} pipeline "${pipeline}"`,
      );
    }
    return transformed.data;
  }
  const event = BusEventSchema.safeParse(json);
  if (!event.success) {
    throw new RedriveMessageError(
      `the undelivered message of rule ${ruleArn} is not an EventBridge event: ${v.prettifyError(event.error).replace(/\n/g, '; ')}`,
    );
  }
  return { pipeline, event: event.data };
}

const describe = (error: unknown): string => (error instanceof Error ? `${error.name}: ${error.message}` : String(error));

async function redriveOne(queue: DlqName, message: DlqMessage, deps: RedriveDeps, dryRun: boolean): Promise<void> {
  if (queue === 'fan-in') {
    const { KinesisBatchInfo: info } = parseBody(KinesisFailureRecordSchema, message.body, 'Kinesis failure record (KinesisBatchInfo)');
    const records = await deps.stream.read(info.shardId, info.startSequenceNumber, info.endSequenceNumber);
    if (records.length === 0) {
      throw new RedriveMessageError(
        `shard ${info.shardId} no longer holds ${info.startSequenceNumber}..${info.endSequenceNumber} (past the stream's retention?)`,
      );
    }
    if (dryRun) return;
    const failed: string[] = [];
    for (const record of records) {
      try {
        await deps.fanIn(record);
      } catch (error) {
        failed.push(`${record.sequenceNumber}: ${describe(error)}`);
      }
    }
    // Records that did succeed are idempotent on the next redrive (set ADD, run lock).
    if (failed.length)
      throw new RedriveMessageError(`${failed.length} of ${records.length} record(s) failed again: ${failed.slice(0, 3).join('; ')}`);
    return;
  }
  if (queue === 'events') {
    const delivery = eventsDelivery(message, deps.ruleNamePrefix);
    if (dryRun) return;
    await deps.events(delivery);
    return;
  }
  const record = parseBody(AsyncFailureRecordSchema, message.body, 'Lambda async failure record (requestPayload)');
  if (record.requestPayload === undefined) throw new RedriveMessageError('the failure record has no requestPayload');
  if (dryRun) return;
  await (queue === 'watcher' ? deps.watcher : deps.start)(record.requestPayload);
}

/**
 * Primary course: receive up to `max` messages, redrive each through its use case, delete
 * the redriven ones. Alternatives: a message that fails again (or cannot be read) is made
 * visible again and reported with its reason; `dryRun` checks and reports without changes.
 */
export async function redriveDeadLetters(input: RedriveInput, deps: RedriveDeps): Promise<RedriveReport> {
  const queue = deps.queues[input.queue];
  if (!queue)
    throw new RedriveQueueMissingError(`this stage has no ${input.queue} dead-letter queue (no pipeline has trigger.${input.queue})`);
  const report: RedriveReport = { queue: input.queue, redriven: [], kept: [], dryRun: input.dryRun };
  const seen = new Set<string>();
  while (report.redriven.length + report.kept.length < input.max) {
    const received = await queue.receive(Math.min(10, input.max - report.redriven.length - report.kept.length));
    // A kept message released above comes back in a later receive, hidden again: release it
    // again, or it stays hidden for the redrive's visibility timeout (a dry run then a redrive
    // would find nothing).
    for (const message of received) if (seen.has(message.messageId)) await queue.release(message);
    const batch = received.filter((m) => !seen.has(m.messageId));
    if (batch.length === 0) break;
    for (const message of batch) {
      seen.add(message.messageId);
      try {
        await redriveOne(input.queue, message, deps, input.dryRun);
        if (input.dryRun) {
          report.kept.push({ messageId: message.messageId, reason: 'dry run: would be redriven' });
          await queue.release(message);
        } else {
          await queue.delete(message);
          report.redriven.push(message.messageId);
        }
      } catch (error) {
        report.kept.push({ messageId: message.messageId, reason: describe(error) });
        await queue.release(message);
      }
    }
  }
  return report;
}
