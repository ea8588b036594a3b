/**
 * Reading the compiled template: dead-letter queues are found by how resources use them, in
 * every place CloudFormation lets a resource name one, and generators cannot overwrite a
 * resource someone wrote.
 */
import { addOutputs, addResources, arnTargets, deadLetterQueues, StackGenerationError, type Template } from '../../../stack/template';

const queue = (properties: Record<string, unknown> = {}) => ({
  Type: 'AWS::SQS::Queue',
  Properties: { SqsManagedSseEnabled: true, ...properties },
});
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

describe('arnTargets', () => {
  it('reads both Fn::GetAtt forms and both branches of Fn::If', () => {
    expect(arnTargets(arnOf('A'))).toEqual(['A']);
    expect(arnTargets({ 'Fn::GetAtt': 'B.Arn' })).toEqual(['B']);
    expect(arnTargets({ 'Fn::If': ['Cond', arnOf('C'), { 'Fn::If': ['Other', { Ref: 'AWS::NoValue' }, arnOf('D')] }] })).toEqual([
      'C',
      'D',
    ]);
  });

  it('finds nothing in literal ARNs and in other attributes', () => {
    expect(arnTargets('arn:aws:sqs:eu-west-1:123456789012:elsewhere')).toEqual([]);
    expect(arnTargets({ 'Fn::GetAtt': ['A', 'QueueName'] })).toEqual([]);
    expect(arnTargets({ Ref: 'A' })).toEqual([]);
  });
});

describe('deadLetterQueues', () => {
  it('finds every queue something sends its failures to, whatever its name', () => {
    const template: Template = {
      Resources: {
        Source: queue({ RedrivePolicy: { deadLetterTargetArn: arnOf('Redriven'), maxReceiveCount: 3 } }),
        Redriven: queue(),
        Subscription: { Type: 'AWS::SNS::Subscription', Properties: { RedrivePolicy: { deadLetterTargetArn: arnOf('FromTopic') } } },
        FromTopic: queue(),
        Fn: { Type: 'AWS::Lambda::Function', Properties: { DeadLetterConfig: { TargetArn: { 'Fn::GetAtt': 'FromLambda.Arn' } } } },
        FromLambda: queue(),
        Mapping: {
          Type: 'AWS::Lambda::EventSourceMapping',
          Properties: { DestinationConfig: { OnFailure: { Destination: arnOf('FromStream') } } },
        },
        FromStream: queue(),
        Async: {
          Type: 'AWS::Lambda::EventInvokeConfig',
          Properties: { DestinationConfig: { OnFailure: { Destination: arnOf('FromAsync') } } },
        },
        FromAsync: queue(),
        Rule: {
          Type: 'AWS::Events::Rule',
          Properties: {
            Targets: [
              { Id: 'a', Arn: arnOf('Source') },
              { Id: 'b', Arn: arnOf('Source'), DeadLetterConfig: { Arn: arnOf('FromRule') } },
            ],
          },
        },
        FromRule: queue(),
        Schedule: {
          Type: 'AWS::Scheduler::Schedule',
          Properties: {
            Target: {
              Arn: arnOf('Source'),
              DeadLetterConfig: { Arn: { 'Fn::If': ['Cond', arnOf('FromSchedule'), { Ref: 'AWS::NoValue' }] } },
            },
          },
        },
        FromSchedule: queue(),
        Unused: queue(),
      },
    };
    expect(deadLetterQueues(template)).toEqual([
      'Redriven',
      'FromTopic',
      'FromLambda',
      'FromStream',
      'FromAsync',
      'FromRule',
      'FromSchedule',
    ]);
  });

  it('counts a queue named by several resources once', () => {
    const template: Template = {
      Resources: {
        A: queue({ RedrivePolicy: { deadLetterTargetArn: arnOf('Shared') } }),
        B: queue({ RedrivePolicy: { deadLetterTargetArn: arnOf('Shared') } }),
        Shared: queue(),
      },
    };
    expect(deadLetterQueues(template)).toEqual(['Shared']);
  });

  it('leaves out failure destinations that are not queues of this template', () => {
    const template: Template = {
      Resources: {
        ToTopic: {
          Type: 'AWS::Lambda::EventInvokeConfig',
          Properties: { DestinationConfig: { OnFailure: { Destination: { Ref: 'Topic' } } } },
        },
        ToTopicArn: {
          Type: 'AWS::Lambda::EventInvokeConfig',
          Properties: { DestinationConfig: { OnFailure: { Destination: arnOf('Topic') } } },
        },
        Topic: { Type: 'AWS::SNS::Topic' },
        Elsewhere: queue({ RedrivePolicy: { deadLetterTargetArn: 'arn:aws:sqs:eu-west-1:123456789012:other-stack-dlq' } }),
        Missing: queue({ RedrivePolicy: { deadLetterTargetArn: arnOf('NotInTemplate') } }),
      },
    };
    expect(deadLetterQueues(template)).toEqual([]);
  });
});

describe('addResources and addOutputs', () => {
  it('add what is new', () => {
    const template: Template = { Resources: { Existing: queue() } };
    addResources(template, { Added: queue() }, 'stack/x.ts');
    addOutputs(template, { AddedUrl: { Value: { Ref: 'Added' } } }, 'stack/x.ts');
    expect(Object.keys(template.Resources)).toEqual(['Existing', 'Added']);
    expect(template.Outputs).toEqual({ AddedUrl: { Value: { Ref: 'Added' } } });
  });

  it('refuse to replace a resource or output of the same name, naming the generator and the id', () => {
    const template: Template = { Resources: { AlarmTopic: { Type: 'AWS::SNS::Topic' } }, Outputs: { DashboardUrl: { Value: 'x' } } };
    expect(() => addResources(template, { AlarmTopic: queue() }, 'stack/alarms.ts')).toThrow(StackGenerationError);
    expect(() => addResources(template, { AlarmTopic: queue() }, 'stack/alarms.ts')).toThrow(
      'stack/alarms.ts generates resource AlarmTopic, but the template already has a resource of that name',
    );
    expect(() => addOutputs(template, { DashboardUrl: { Value: 'y' } }, 'stack/dashboard.ts')).toThrow(
      'stack/dashboard.ts generates output DashboardUrl',
    );
    expect(template.Resources.AlarmTopic).toEqual({ Type: 'AWS::SNS::Topic' });
  });
});
