/**
 * Runs started by an EventBridge event (pipelines.yml `trigger.events`) or by a message on the
 * pipeline's own queue (`trigger.queue`). The value at the pipeline's `batchKey` (a JSONPath
 * into the event, or into the message body) names the run: run key `<pipeline>#<value>`, so
 * a repeated or duplicated event or message meets the same run lock and the same
 * deterministic execution name as a file batch does, and starts nothing new.
 *
 * Primary course: validate the delivery → read the batch key → startPipeline with the event
 * (or the parsed body) as the run's input, which reaches the container as `ctx.event`.
 *
 * Alternatives: no pipeline of that name with that trigger, a body that is not JSON, a batch
 * key that is missing, empty or not a string or number → a named error (the caller sends the
 * event or message to the dead-letter queue with it); the run's lock is held by a start in
 * progress → RunStartInProgressError, which the caller retries.
 */
import * as v from '../../shared/validation';
import { parseJsonPath, readJsonPath } from '../../shared/json-path';
import { eventRuleName, TRIGGER_QUEUE_SUFFIX } from '../../contracts/stack-names';
import { baseRunKey } from '../batch';
import { RunStartInProgressError, UnknownPipelineError } from './errors';
import { startPipeline, type StartOutcome, type StartPipelineDeps } from './start-pipeline';

/** Longest batch key accepted: the run key is a DynamoDB key (2,048 bytes) and names logs and executions. */
export const MAX_EVENT_BATCH_KEY_CHARS = 512;

/** The event or message carries no usable batch key: it can never start a run as it is. */
export class MissingBatchKeyError extends Error {
  override readonly name = 'MissingBatchKeyError';
}

/** A delivery that is not what the trigger sends: not JSON, or not the rule's input shape. */
export class MalformedTriggerMessageError extends Error {
  override readonly name = 'MalformedTriggerMessageError';
}

/** What the pipeline's rule sends the function (its input transformer): the pipeline and the whole event. */
export const BusDeliverySchema = v.strictObject({
  pipeline: v.string().min(1),
  event: v.looseObject({ source: v.string(), 'detail-type': v.string() }),
});

/** The pipeline's `trigger.<kind>`, or UnknownPipelineError listing the pipelines that have one. */
function triggerOf(pipeline: string, kind: 'events' | 'queue', deps: StartPipelineDeps) {
  const trigger = deps.registry.get(pipeline)?.trigger?.[kind];
  if (!trigger) {
    throw new UnknownPipelineError(
      pipeline,
      deps.registry.names.filter((name) => deps.registry.get(name)?.trigger?.[kind]),
    );
  }
  return trigger;
}

/** The batch key at `path` in `document`: a non-empty string, or a number (as text). */
export function batchKeyAt(document: unknown, path: string, where: string): string {
  const value = readJsonPath(document, parseJsonPath(path));
  const text = typeof value === 'string' ? value : typeof value === 'number' && Number.isFinite(value) ? String(value) : undefined;
  if (text === undefined || text.trim() === '') {
    const found = value === undefined ? 'nothing' : JSON.stringify(value).slice(0, 100);
    throw new MissingBatchKeyError(`${where} has no batch key at ${path} (found ${found}): a run needs a non-empty string or number there`);
  }
  if (text.length > MAX_EVENT_BATCH_KEY_CHARS) {
    throw new MissingBatchKeyError(
      `${where}: the batch key at ${path} is ${text.length} characters, more than ${MAX_EVENT_BATCH_KEY_CHARS}`,
    );
  }
  return text;
}

async function startKeyed(
  pipeline: string,
  batchKey: string,
  trigger: 'events' | 'queue',
  event: unknown,
  deps: StartPipelineDeps,
): Promise<StartOutcome> {
  const runKey = baseRunKey(pipeline, batchKey);
  const outcome = await startPipeline({ pipeline, runKey, batchKey, trigger, objects: [], event }, deps);
  if (outcome.status === 'in-progress') {
    // Another delivery of the same key holds a live lease and its execution does not exist yet.
    throw new RunStartInProgressError(
      `run "${runKey}" is being started by another delivery; retry after its lease (${outcome.leaseExpiresAt})`,
    );
  }
  return outcome;
}

/** An EventBridge event delivered by a pipeline's rule: one run per batch key. */
export async function startEventRun(
  delivery: unknown,
  deps: StartPipelineDeps,
): Promise<StartOutcome & { batchKey: string; pipeline: string }> {
  const parsed = BusDeliverySchema.safeParse(delivery);
  if (!parsed.success) {
    throw new MalformedTriggerMessageError(
      `expected {"pipeline":"…","event":{…an EventBridge event…}} (the pipeline rule's input); got ${JSON.stringify(delivery)?.slice(0, 300)}: ${v.prettifyError(parsed.error).replace(/\n/g, '; ')}`,
    );
  }
  const { pipeline, event } = parsed.data;
  const trigger = triggerOf(pipeline, 'events', deps);
  const id = typeof event.id === 'string' ? ` ${event.id}` : '';
  const batchKey = batchKeyAt(event, trigger.batchKey, `event${id} (${event.source} / ${event['detail-type']}) for pipeline "${pipeline}"`);
  return { ...(await startKeyed(pipeline, batchKey, 'events', event, deps)), batchKey, pipeline };
}

/** One message of a pipeline's queue: its body is JSON, and one run per batch key. */
export async function startQueueRun(
  message: { pipeline: string; messageId: string; body: string },
  deps: StartPipelineDeps,
): Promise<StartOutcome & { batchKey: string; pipeline: string }> {
  const { pipeline, messageId } = message;
  const trigger = triggerOf(pipeline, 'queue', deps);
  let body: unknown;
  try {
    body = JSON.parse(message.body) as unknown;
  } catch (error) {
    throw new MalformedTriggerMessageError(
      `message ${messageId} of pipeline "${pipeline}"'s queue is not JSON (${(error as Error).message}): ${message.body.slice(0, 200)}`,
    );
  }
  const batchKey = batchKeyAt(body, trigger.batchKey, `message ${messageId} of pipeline "${pipeline}"'s queue`);
  return { ...(await startKeyed(pipeline, batchKey, 'queue', body, deps)), batchKey, pipeline };
}

/**
 * The pipeline whose queue this is: the stack names each pipeline's queue
 * `<prefix><pipeline>-runs` (`.fifo` for FIFO), prefix `<service>-<stage>-`.
 */
export function pipelineOfQueue(queueArn: string, prefix: string): string {
  const name = queueArn.slice(queueArn.lastIndexOf(':') + 1).replace(/\.fifo$/, '');
  if (!name.startsWith(prefix) || !name.endsWith(TRIGGER_QUEUE_SUFFIX)) {
    throw new MalformedTriggerMessageError(
      `queue ${queueArn} is not a pipeline's queue of this stack (${prefix}<pipeline>${TRIGGER_QUEUE_SUFFIX})`,
    );
  }
  return name.slice(prefix.length, -TRIGGER_QUEUE_SUFFIX.length);
}

/**
 * The pipeline whose rule this is: the stack names each events pipeline's rule
 * `<prefix><pipeline>` (lib/contracts/stack-names.ts eventRuleName). A rule's ARN is
 * `arn:<partition>:events:<region>:<account>:rule/<name>`, with the bus before the name
 * (`rule/<bus>/<name>`) when the rule is not on the default bus.
 */
export function pipelineOfRule(ruleArn: string, prefix: string): string {
  const match = /^arn:[^:]+:events:[^:]*:[^:]*:rule\/(?:[^/]+\/)?([^/]+)$/.exec(ruleArn);
  const name = match?.[1];
  if (!name?.startsWith(prefix) || name.length === prefix.length) {
    throw new MalformedTriggerMessageError(
      `rule ${ruleArn} is not a pipeline's rule of this stack (${eventRuleName(prefix, '<pipeline>')})`,
    );
  }
  return name.slice(prefix.length);
}
