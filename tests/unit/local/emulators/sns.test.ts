/** The local SNS: filter policies on attributes and on the body, deliveries recorded per subscription. */
import { LocalSns, type Deliverer } from '../../../../local/emulators/sns/local-sns';
import { matchesPattern } from '../../../../lib/shared/event-pattern';

const delivered: Array<{ endpoint: string; message: string }> = [];
const record: Deliverer = async (subscription, notification) =>
  void delivered.push({ endpoint: subscription.endpoint, message: notification.Message });
const failing: Deliverer = async () => {
  throw new Error('queue is gone');
};

function topicWithSubscriptions() {
  const sns = new LocalSns('us-east-1', '000000000000', { lambda: record, sqs: failing }, matchesPattern);
  const { topicArn } = sns.createTopic('operators');
  sns.subscribe({
    topicArn,
    protocol: 'lambda',
    endpoint: 'failures-only',
    filterPolicy: { kind: ['run-failed'], severity: [{ 'anything-but': 'info' }] },
  });
  sns.subscribe({
    topicArn,
    protocol: 'lambda',
    endpoint: 'big-runs',
    filterPolicyScope: 'MessageBody',
    filterPolicy: { records: [{ numeric: ['>', 1000] }] },
  });
  sns.subscribe({ topicArn, protocol: 'sqs', endpoint: 'arn:aws:sqs:us-east-1:000000000000:archive' });
  sns.subscribe({ topicArn, protocol: 'email', endpoint: 'oncall@example.com' });
  return { sns, topicArn };
}

beforeEach(() => void delivered.splice(0));

test('a message reaches the subscriptions whose filter policy matches, and says what happened to each', async () => {
  // Prepare
  const { sns, topicArn } = topicWithSubscriptions();
  // Act
  const { delivered: done } = sns.publish({
    TopicArn: topicArn,
    Subject: 'run failed',
    Message: JSON.stringify({ records: 5 }),
    MessageAttributes: { kind: { DataType: 'String', StringValue: 'run-failed' }, severity: { DataType: 'String', StringValue: 'high' } },
  });
  await done;
  // Assess
  expect(delivered.map((d) => d.endpoint)).toEqual(['failures-only']);
  const [message] = sns.messages;
  expect(message!.deliveries.map((d) => [d.endpoint, d.status, d.detail])).toEqual(
    expect.arrayContaining([
      ['failures-only', 'delivered', undefined],
      ['big-runs', 'filtered-out', undefined],
      ['arn:aws:sqs:us-east-1:000000000000:archive', 'failed', 'queue is gone'],
      ['oncall@example.com', 'not-sent', 'the local cloud does not send email messages'],
    ]),
  );
});

test('a body filter policy matches on the JSON message', async () => {
  const { sns, topicArn } = topicWithSubscriptions();
  await sns.publish({ TopicArn: topicArn, Message: JSON.stringify({ records: 5000 }) }).delivered;
  expect(delivered.map((d) => d.endpoint)).toEqual(['big-runs']);
});

test('publishing to a topic the stack does not have is NotFound, naming the topics there are', () => {
  const { sns } = topicWithSubscriptions();
  expect(() => sns.publish({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:nope', Message: 'x' })).toThrow(
    /Topic does not exist: .*nope \(local topics: operators\)/,
  );
  expect(() => sns.publish({ TopicArn: 'arn:aws:sns:us-east-1:000000000000:operators', Message: 'x', Subject: 'two\nlines' })).toThrow(
    /Subject/,
  );
});
