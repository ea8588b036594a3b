/**
 * Owners (pipelines.yml `owner:`) get their pipelines' notices and alarms besides the
 * operators: every notice about a pipeline is published to the operators' topic with a
 * `pipeline` message attribute (the state machine's run notices, the sweeper's batch notices,
 * the formatted alarms), so
 *   - an owner's email is one subscription to that topic whose filter policy lets through
 *     exactly the owner's pipelines (generated here into the compiled template);
 *   - an owner's own topic gets them from the forwardOwnerNotices function
 *     (functions/operations.yml), subscribed with a filter on the pipelines that have one, and
 *     allowed to publish to exactly those topics (serverless variables, before compiling).
 */
import { ownerTopics } from '../lib/shared/notices/owner-notices';
import type { Registry } from '../lib/registry/schema';
import { StackGenerationError, type Cfn, type Template } from './template';

export const OPERATORS_TOPIC_ID = 'OperatorsTopic';
export const OWNER_NOTICES_DLQ_ID = 'OwnerNoticesDeadLetterQueue';

const filterOn = (pipelines: string[]) => ({ pipeline: [...pipelines].sort() });
const pascal = (text: string): string => text.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_, __, c: string) => c.toUpperCase());

/** Owner emails → the pipelines each owns, in registry order. */
function ownerEmails(registry: Registry): Map<string, string[]> {
  const emails = new Map<string, string[]>();
  for (const [name, pipeline] of Object.entries(registry.pipelines)) {
    const email = pipeline.owner?.email;
    if (email) emails.set(email, [...(emails.get(email) ?? []), name]);
  }
  return emails;
}

/**
 * One email subscription per owner address (SNS keeps one subscription per address and
 * topic), filtered to that owner's pipelines. The address confirms it once.
 */
export function ownerSubscriptions(template: Template, registry: Registry): Record<string, Cfn> {
  const emails = ownerEmails(registry);
  if (emails.size && !template.Resources[OPERATORS_TOPIC_ID]) {
    throw new StackGenerationError(
      `stack/owners.ts subscribes owners to ${OPERATORS_TOPIC_ID} (resources/notifications.yml), and the template has none`,
    );
  }
  const resources: Record<string, Cfn> = {};
  for (const [email, pipelines] of emails) {
    let id = `Owner${pascal(email)}Subscription`;
    for (let n = 2; id in resources; n += 1) id = `Owner${pascal(email)}${n}Subscription`;
    resources[id] = {
      Type: 'AWS::SNS::Subscription',
      Properties: {
        TopicArn: { Ref: OPERATORS_TOPIC_ID },
        Protocol: 'email',
        Endpoint: email,
        FilterPolicyScope: 'MessageAttributes',
        FilterPolicy: filterOn(pipelines),
      },
    };
  }
  return resources;
}

/** What forwardOwnerNotices takes from the registry: its subscription and its grants. */
export interface OwnerNoticeParts {
  /** The function's SNS event, filtered to the pipelines with an owner topic (none: no event). */
  events: unknown[];
  statements: Cfn[];
}

export function ownerNoticeParts(registry: Registry): OwnerNoticeParts {
  const topics = ownerTopics(registry.pipelines);
  const pipelines = Object.keys(topics);
  return {
    events: pipelines.length
      ? [
          {
            sns: {
              arn: { Ref: OPERATORS_TOPIC_ID },
              topicName: 'operators',
              filterPolicyScope: 'MessageAttributes',
              filterPolicy: filterOn(pipelines),
            },
          },
        ]
      : [],
    statements: [
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': [OWNER_NOTICES_DLQ_ID, 'Arn'] } },
      ...(pipelines.length ? [{ Effect: 'Allow', Action: ['sns:Publish'], Resource: [...new Set(Object.values(topics))] }] : []),
    ],
  };
}
