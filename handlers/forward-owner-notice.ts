/**
 * The operators' topic → here (only notices of pipelines whose owner has a topic: the
 * subscription's filter policy) → the owner's topic, unchanged. A failed publish fails the
 * invocation: SNS's asynchronous invoke retries it, then the function's dead-letter queue keeps it.
 */
import middy from '@middy/core';
import { pipelines } from '../lib/registry';
import { snsClient } from '../lib/shared/clients/sns';
import { injectLambdaContext } from '../lib/shared/logger';
import { forwardOwnerNotices, ownerTopics } from '../lib/shared/notices/owner-notices';
import { snsRecords } from '../lib/shared/notices/sns-event';
import { snsNoticePublisher } from '../lib/shared/notices/sns-publisher';
import { logger } from '../lib/shared/observability';

export { InvalidSnsEventError as InvalidOwnerNoticeEventError } from '../lib/shared/notices/sns-event';

const topics = ownerTopics(pipelines().registry.pipelines);
const deps = {
  ownerTopicOf: (pipeline: string) => topics[pipeline],
  publish: (topicArn: string, notice: Parameters<ReturnType<typeof snsNoticePublisher>['publish']>[0]) =>
    snsNoticePublisher(snsClient(), topicArn).publish(notice),
};

export const handler = middy(async (event: unknown) => forwardOwnerNotices(snsRecords(event, 'forwardOwnerNotices'), deps)).use(
  injectLambdaContext(logger),
);
