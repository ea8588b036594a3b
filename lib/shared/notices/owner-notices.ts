/**
 * A pipeline's notices and alarms reach its owner as well as the operators: an owner's email
 * is subscribed to the operators' topic with a filter on the `pipeline` message attribute
 * (stack/owners.ts); an owner's own topic (pipelines.yml owner.topicArn) gets each notice
 * published again by the forwardOwnerNotices function, through this use case.
 */
import type { RenderedNotice } from './notice';

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
