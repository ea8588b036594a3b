/**
 * forwardOwnerNotices: a notice from the operators' topic is published again, unchanged, to
 * the owner's topic of the pipeline it names; a failed publish fails the invocation (Lambda's
 * asynchronous retries, then the dead-letter queue).
 */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { indexRegistry, parseRegistry } from '../../../lib/registry/parse-registry';
import { forwardToOwner, ownerTopics } from '../../../lib/shared/notices/owner-notices';

const ORDERS_TOPIC = 'arn:aws:sns:eu-west-1:123456789012:orders-alerts';
const task = { container: 'app', image: 'example.com/app:1', cpu: 256, memory: 512, launch: 'sync', timeoutSeconds: 600 };
const registry = parseRegistry(
  JSON.stringify({
    pipelines: {
      orders: { schedule: { expression: 'rate(1 hour)' }, task, owner: { team: 'orders', topicArn: ORDERS_TOPIC } },
      returns: { schedule: { expression: 'rate(1 hour)' }, task, owner: { team: 'returns', email: 'returns@example.com' } },
    },
  }),
);

// The handler reads the registry bundled with it: this one instead of the shipped pipelines.yml.
jest.mock('../../../lib/registry', () => ({ pipelines: () => indexRegistry(registry) }));

const sns = mockClient(SNSClient);
const context = { functionName: 'forwardOwnerNotices', awsRequestId: 'req-1' } as Context;
let handler: (event: unknown, context: Context) => Promise<{ forwarded: number }>;

beforeAll(() => {
  ({ handler } = require('../../../handlers/forward-owner-notice') as { handler: typeof handler });
});
beforeEach(() => {
  sns.reset();
  sns.on(PublishCommand).resolves({ MessageId: 'forwarded-1' });
});

const snsEvent = (pipeline: string) => ({
  Records: [
    {
      EventSource: 'aws:sns',
      Sns: {
        MessageId: 'm-1',
        TopicArn: 'arn:aws:sns:eu-west-1:123456789012:operators',
        Subject: `[ecs-pipelines dev] ALARM: ${pipeline} 2026-11-20: run FAILED`,
        Message: 'Pipeline:       orders\nWhat happened:  the run failed',
        MessageAttributes: {
          pipeline: { Type: 'String', Value: pipeline },
          severity: { Type: 'String', Value: 'ALARM' },
          kind: { Type: 'String', Value: 'run-failed' },
        },
      },
    },
  ],
});

describe('forwardOwnerNotices', () => {
  it("publishes the notice unchanged to the owner's topic of its pipeline", async () => {
    const outcome = await handler(snsEvent('orders'), context);

    expect(outcome).toEqual({ forwarded: 1 });
    expect(sns.commandCalls(PublishCommand).map((call) => call.args[0].input)).toEqual([
      {
        TopicArn: ORDERS_TOPIC,
        Subject: '[ecs-pipelines dev] ALARM: orders 2026-11-20: run FAILED',
        Message: 'Pipeline:       orders\nWhat happened:  the run failed',
        MessageAttributes: {
          pipeline: { DataType: 'String', StringValue: 'orders' },
          severity: { DataType: 'String', StringValue: 'ALARM' },
          kind: { DataType: 'String', StringValue: 'run-failed' },
        },
      },
    ]);
  });

  it('publishes nothing for a pipeline whose owner has no topic', async () => {
    expect(await handler(snsEvent('returns'), context)).toEqual({ forwarded: 0 });
    expect(sns.commandCalls(PublishCommand)).toEqual([]);
  });

  it("fails the invocation when the owner's topic refuses the notice, so it is retried", async () => {
    sns
      .on(PublishCommand)
      .rejects(Object.assign(new Error('User is not authorized to perform: SNS:Publish'), { name: 'AuthorizationErrorException' }));
    await expect(handler(snsEvent('orders'), context)).rejects.toThrow('not authorized');
  });

  it('refuses an event that is not from SNS', async () => {
    await expect(handler({ Records: [{ body: '{}' }] }, context)).rejects.toThrow('forwardOwnerNotices expects an SNS event');
  });
});

describe('forwardToOwner', () => {
  it('says why a notice without a pipeline is not forwarded', async () => {
    const publish = jest.fn();
    expect(
      await forwardToOwner({ subject: 's', message: 'm', attributes: { kind: 'alarm' } }, { ownerTopicOf: () => ORDERS_TOPIC, publish }),
    ).toEqual({ forwarded: false, reason: 'the notice names no pipeline' });
    expect(publish).not.toHaveBeenCalled();
  });

  it("knows the owner topics of the registry's pipelines", () => {
    expect(ownerTopics(registry.pipelines)).toEqual({ orders: ORDERS_TOPIC });
  });
});
