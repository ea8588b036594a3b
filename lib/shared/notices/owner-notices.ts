/**
 * A pipeline's notices and alarms reach its owner as well as the operators: an owner's email
 * is subscribed to the operators' topic with a filter on the `pipeline` message attribute
 * (stack/owners.ts); an owner's own topic (pipelines.yml owner.topicArn) gets each notice
 * published again by the forwardOwnerNotices function, through this use case.
 */
import { logger } from '../observability';
import type { RenderedNotice } from './notice';
import { type SnsRecord, stringAttributes } from './sns-event';

export interface OwnerNoticeDeps {
  /** The owner's topic of a pipeline, if it has one. */
  ownerTopicOf: (pipeline: string) => string | undefined;
  publish: (topicArn: string, notice: RenderedNotice) => Promise<{ messageId: string }>;
}

export type ForwardOutcome = { forwarded: true; topicArn: string; messageId: string } | { forwarded: false; reason: string };

/**
 * Publishes one operators' notice to its pipeline's owner topic.
 * Primary course: read the pipeline from the notice's attributes, find its owner's topic,
 * publish the notice there unchanged (subject, message, attributes).
 */
export async function forwardToOwner(notice: RenderedNotice, deps: OwnerNoticeDeps): Promise<ForwardOutcome> {
  const pipeline = notice.attributes.pipeline;
  if (!pipeline) return { forwarded: false, reason: 'the notice names no pipeline' };
  const topicArn = deps.ownerTopicOf(pipeline);
  if (!topicArn) return { forwarded: false, reason: `pipeline ${pipeline} has no owner topic` };
  const { messageId } = await deps.publish(topicArn, notice);
  return { forwarded: true, topicArn, messageId };
}

/** Pipeline → owner topic, for the pipelines of the registry that name one. */
export function ownerTopics(pipelines: Record<string, { owner?: { topicArn?: string | undefined } | undefined }>): Record<string, string> {
  return Object.fromEntries(
    Object.entries(pipelines).flatMap(([name, pipeline]) => (pipeline.owner?.topicArn ? [[name, pipeline.owner.topicArn]] : [])),
  );
}

/** Every notice of an SNS event forwarded to its pipeline's owner's topic, each logged. */
export async function forwardOwnerNotices(records: SnsRecord[], deps: OwnerNoticeDeps): Promise<{ forwarded: number }> {
  let forwarded = 0;
  for (const { Sns } of records) {
    const attributes = stringAttributes({ Sns });
    const outcome = await forwardToOwner({ subject: Sns.Subject ?? '', message: Sns.Message, attributes }, deps);
    if (outcome.forwarded) {
      forwarded += 1;
      logger.info('notice forwarded to its owner', {
        pipeline: attributes.pipeline,
        topicArn: outcome.topicArn,
        snsMessageId: Sns.MessageId,
      });
    } else {
      logger.warn('notice not forwarded', { reason: outcome.reason, snsMessageId: Sns.MessageId });
    }
  }
  return { forwarded };
}
