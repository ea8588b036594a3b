/**
 * The operators' topic → here (only notices of pipelines whose owner has a topic: the
 * subscription's filter policy) → the owner's topic, unchanged. A failed publish fails the
 * invocation: SNS's asynchronous invoke retries it, then the function's dead-letter queue keeps it.
 */
import { injectLambdaContext } from '../lib/shared/logger';
import middy from '@middy/core';
import type { SNSEvent } from 'aws-lambda';
import * as v from '../lib/shared/validation';
import { pipelines } from '../lib/registry';
import { snsClient } from '../lib/shared/clients/sns';
import { forwardToOwner, ownerTopics } from '../lib/shared/notices/owner-notices';
import { snsNoticePublisher } from '../lib/shared/notices/sns-publisher';
import { logger } from '../lib/shared/observability';

const SnsEventSchema = v.looseObject({
  Records: v
    .array(
      v.looseObject({
        Sns: v.looseObject({
          MessageId: v.string(),
          Message: v.string(),
          Subject: v.string().nullish(),
          MessageAttributes: v.record(v.string(), v.looseObject({ Type: v.string(), Value: v.string() })).optional(),
        }),
      }),
    )
    .min(1),
});

export class InvalidOwnerNoticeEventError extends Error {
  override readonly name = 'InvalidOwnerNoticeEventError';
}

const topics = ownerTopics(pipelines().registry.pipelines);
const deps = {
  ownerTopicOf: (pipeline: string) => topics[pipeline],
  publish: (topicArn: string, notice: Parameters<ReturnType<typeof snsNoticePublisher>['publish']>[0]) =>
    snsNoticePublisher(snsClient(), topicArn).publish(notice),
};

async function forwardOwnerNotices(event: SNSEvent | unknown): Promise<{ forwarded: number }> {
  const parsed = SnsEventSchema.safeParse(event);
  if (!parsed.success)
    throw new InvalidOwnerNoticeEventError(
      `forwardOwnerNotices expects an SNS event: ${v.prettifyError(parsed.error).replace(/\n/g, '; ')}`,
    );
  let forwarded = 0;
  for (const { Sns } of parsed.data.Records) {
    const attributes = Object.fromEntries(
      Object.entries(Sns.MessageAttributes ?? {}).flatMap(([name, value]) => (value.Type === 'String' ? [[name, value.Value]] : [])),
    );
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

export const handler = middy(forwardOwnerNotices).use(injectLambdaContext(logger));
