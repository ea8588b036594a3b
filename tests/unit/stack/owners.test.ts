/**
 * Owners reach their pipelines' notices: one filtered email subscription per address on the
 * operators' topic, and the forwarder's subscription and grants for owner topics only.
 */
import { parseRegistry } from '../../../lib/registry/parse-registry';
import { ownerNoticeParts, ownerSubscriptions } from '../../../stack/owners';
import { StackGenerationError } from '../../../stack/template';

const task = { container: 'app', image: 'example.com/app:1', cpu: 256, memory: 512, launch: 'sync', timeoutSeconds: 600 };
const withOwner = (owner?: Record<string, string>) => ({ schedule: { expression: 'rate(1 hour)' }, task, ...(owner ? { owner } : {}) });
const registry = parseRegistry(
  JSON.stringify({
    pipelines: {
      orders: withOwner({ team: 'orders', email: 'orders@example.com', topicArn: 'arn:aws:sns:eu-west-1:123456789012:orders' }),
      refunds: withOwner({ team: 'orders', email: 'orders@example.com' }),
      returns: withOwner({ team: 'returns', email: 'returns@example.com', topicArn: 'arn:aws:sns:eu-west-1:123456789012:returns' }),
      unowned: withOwner(),
    },
  }),
);
const template = { Resources: { OperatorsTopic: { Type: 'AWS::SNS::Topic' } } };

describe('ownerSubscriptions', () => {
  it("subscribes each owner address once, filtered on the pipeline attribute to that owner's pipelines", () => {
    expect(ownerSubscriptions(template, registry)).toEqual({
      OwnerOrdersExampleComSubscription: {
        Type: 'AWS::SNS::Subscription',
        Properties: {
          TopicArn: { Ref: 'OperatorsTopic' },
          Protocol: 'email',
          Endpoint: 'orders@example.com',
          FilterPolicyScope: 'MessageAttributes',
          FilterPolicy: { pipeline: ['orders', 'refunds'] },
        },
      },
      OwnerReturnsExampleComSubscription: {
        Type: 'AWS::SNS::Subscription',
        Properties: {
          TopicArn: { Ref: 'OperatorsTopic' },
          Protocol: 'email',
          Endpoint: 'returns@example.com',
          FilterPolicyScope: 'MessageAttributes',
          FilterPolicy: { pipeline: ['returns'] },
        },
      },
    });
  });

  it("fails naming the operators' topic when the template lacks it", () => {
    expect(() => ownerSubscriptions({ Resources: {} }, registry)).toThrow(StackGenerationError);
    expect(() => ownerSubscriptions({ Resources: {} }, registry)).toThrow('stack/owners.ts subscribes owners to OperatorsTopic');
  });
});

describe('ownerNoticeParts', () => {
  it('subscribes the forwarder to the pipelines with an owner topic, and lets it publish to exactly those topics', () => {
    const parts = ownerNoticeParts(registry);
    expect(parts.events).toEqual([
      {
        sns: {
          arn: { Ref: 'OperatorsTopic' },
          topicName: 'operators',
          filterPolicyScope: 'MessageAttributes',
          filterPolicy: { pipeline: ['orders', 'returns'] },
        },
      },
    ]);
    expect(parts.statements).toEqual([
      { Effect: 'Allow', Action: ['sqs:SendMessage'], Resource: { 'Fn::GetAtt': ['OwnerNoticesDeadLetterQueue', 'Arn'] } },
      {
        Effect: 'Allow',
        Action: ['sns:Publish'],
        Resource: ['arn:aws:sns:eu-west-1:123456789012:orders', 'arn:aws:sns:eu-west-1:123456789012:returns'],
      },
    ]);
  });

  it('gives the forwarder no subscription and no publish grant when no owner has a topic', () => {
    const parts = ownerNoticeParts(parseRegistry(JSON.stringify({ pipelines: { unowned: withOwner() } })));
    expect(parts.events).toEqual([]);
    expect(parts.statements.map((s) => (s as { Action: string[] }).Action)).toEqual([['sqs:SendMessage']]);
  });
});
