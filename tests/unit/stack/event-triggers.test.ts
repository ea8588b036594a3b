/** stack/event-triggers.ts as a pure function of the registry and the compiled template. */
import { indexRegistry, parseRegistry } from '../../../lib/registry/parse-registry';
import {
  eventsRedriveQueueEntry,
  eventTriggerResources,
  grantEventsRedrive,
  REDRIVE_FUNCTION,
  START_FROM_EVENT_FUNCTION,
  START_FROM_QUEUE_FUNCTION,
} from '../../../stack/event-triggers';
import type { Template } from '../../../stack/template';

const TASK = '{ container: app, image: example.com/app:1, cpu: 256, memory: 512, launch: sync, timeoutSeconds: 600 }';
const registry = (pipelines: Record<string, string>) =>
  indexRegistry(
    parseRegistry(
      `pipelines:\n${Object.entries(pipelines)
        .map(([name, trigger]) => `  ${name}:\n    trigger: ${trigger}\n    task: ${TASK}`)
        .join('\n')}`,
    ),
  ).registry;
const events = (bus: string, source = 'com.acme') => `{ events: { bus: "${bus}", pattern: { source: [${source}] }, batchKey: $.id } }`;
const withFunctions: Template = {
  Resources: {
    [START_FROM_EVENT_FUNCTION]: { Type: 'AWS::Lambda::Function' },
    [START_FROM_QUEUE_FUNCTION]: { Type: 'AWS::Lambda::Function' },
  },
};
const refs = { service: 'ecs-pipelines', stage: 'dev' };
const ofType = (resources: Record<string, unknown>, type: string) =>
  Object.entries(resources as Record<string, { Type: string; Properties: Record<string, unknown> }>).filter(([, r]) => r.Type === type);

test('default bus: no EventBusName; a bus name: created once for every pipeline naming it; an ARN: used as it is', () => {
  const arn = 'arn:aws:events:us-east-1:123456789012:event-bus/shared';
  const resources = eventTriggerResources(
    withFunctions,
    registry({ a: events('default'), b: events('payments'), c: events('payments', 'com.other'), d: events(arn) }),
    refs,
  );
  expect(ofType(resources, 'AWS::Events::EventBus')).toEqual([
    ['PaymentsEventBus', { Type: 'AWS::Events::EventBus', Properties: { Name: 'payments' } }],
  ]);
  const busOf = (id: string) => (resources[id] as { Properties: { EventBusName?: unknown } }).Properties.EventBusName;
  expect([busOf('AEventRule'), busOf('BEventRule'), busOf('CEventRule'), busOf('DEventRule')]).toEqual([
    undefined,
    { Ref: 'PaymentsEventBus' },
    { Ref: 'PaymentsEventBus' },
    arn,
  ]);
});

test('no events or queue pipeline: nothing at all (no idle key or queue)', () => {
  expect(eventTriggerResources(withFunctions, registry({ files: "{ files: { a: 'in/a-{date}.csv' }, windowMinutes: 5 }" }), refs)).toEqual(
    {},
  );
});

test('queue pipelines only: the key, the queues and the mapping, no events DLQ', () => {
  const resources = eventTriggerResources(withFunctions, registry({ requests: '{ queue: { batchKey: $.batch } }' }), refs);
  expect(Object.keys(resources).sort()).toEqual(
    [
      'PipelineTriggersKey',
      'RequestsRunsDeadLetterQueue',
      'RequestsRunsQueue',
      'RequestsRunsQueueEventSourceMapping',
      'RequestsRunsQueuePolicy',
    ].sort(),
  );
  expect((resources.RequestsRunsQueue as { Properties: Record<string, unknown> }).Properties).toMatchObject({
    QueueName: 'ecs-pipelines-dev-requests-runs',
    RedrivePolicy: { maxReceiveCount: 3 },
  });
  expect((resources.RequestsRunsQueue as { Properties: Record<string, unknown> }).Properties).not.toHaveProperty('FifoQueue');
});

test('a template without the function a trigger needs fails packaging, naming the file to include', () => {
  expect(() => eventTriggerResources({ Resources: {} }, registry({ a: events('default') }), refs)).toThrow(
    'pipelines.yml declares events triggers, but the template has no function StartFromEventLambdaFunction (functions/event-triggers.yml startFromEvent)',
  );
});

describe('opsRedriveDlq and the events dead-letter queue', () => {
  const compiled = (): Template => ({
    Resources: {
      [REDRIVE_FUNCTION]: {
        Type: 'AWS::Lambda::Function',
        Properties: { Role: { 'Fn::GetAtt': ['OpsRedriveDlqIamRoleLambdaExecution', 'Arn'] } },
      },
      OpsRedriveDlqIamRoleLambdaExecution: {
        Type: 'AWS::IAM::Role',
        Properties: {
          Policies: [
            { PolicyName: 'p', PolicyDocument: { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Action: 'x:Y', Resource: 'r' }] } },
          ],
        },
      },
    },
  });
  const statements = (template: Template) =>
    (
      template.Resources.OpsRedriveDlqIamRoleLambdaExecution!.Properties as {
        Policies: Array<{ PolicyDocument: { Statement: unknown[] } }>;
      }
    ).Policies[0]!.PolicyDocument.Statement;

  test('with events pipelines: receive, release and delete on that queue, decrypt with the key; its URL in DEAD_LETTER_QUEUES', () => {
    const template = compiled();
    grantEventsRedrive(template, registry({ a: events('default') }));
    expect(statements(template)).toEqual([
      { Effect: 'Allow', Action: 'x:Y', Resource: 'r' },
      {
        Effect: 'Allow',
        Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
        Resource: { 'Fn::GetAtt': ['PipelineEventsDeadLetterQueue', 'Arn'] },
      },
      { Effect: 'Allow', Action: ['kms:Decrypt'], Resource: { 'Fn::GetAtt': ['PipelineTriggersKey', 'Arn'] } },
    ]);
    expect(eventsRedriveQueueEntry(registry({ a: events('default') }))).toEqual({
      'Fn::Join': ['', [',"events":"', { Ref: 'PipelineEventsDeadLetterQueue' }, '"']],
    });
  });

  test('without events pipelines: no grant and no entry (there is no such queue)', () => {
    const template = compiled();
    const queueOnly = registry({ requests: '{ queue: { batchKey: $.batch } }' });
    grantEventsRedrive(template, queueOnly);
    expect(statements(template)).toEqual([{ Effect: 'Allow', Action: 'x:Y', Resource: 'r' }]);
    expect(eventsRedriveQueueEntry(queueOnly)).toBe('');
  });

  test('a template without its role fails packaging, naming the function', () => {
    expect(() => grantEventsRedrive({ Resources: {} }, registry({ a: events('default') }))).toThrow(
      'pipelines.yml declares events triggers, but the template has no role of OpsRedriveDlqLambdaFunction',
    );
  });
});
