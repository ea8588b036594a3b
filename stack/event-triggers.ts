/**
 * What the registry's events and queue triggers need (pipelines.yml `trigger.events`,
 * `trigger.queue`), generated at package time:
 *
 * - per events pipeline: an EventBridge rule with the pipeline's pattern on its bus (the
 *   default bus, a bus the stack creates for a name, or an existing bus by ARN), whose one
 *   target is startFromEvent with the pipeline's name and the whole event as input, a retry
 *   policy and the events dead-letter queue; and the permission for that rule alone to invoke it;
 * - per queue pipeline: its own queue `<service>-<stage>-<pipeline>-runs` (FIFO optional) with
 *   a dead-letter queue and redrive after `maxReceiveCount` receives, and an event source
 *   mapping to startFromQueue that reports batch item failures;
 * - shared: the key every one of these queues is encrypted with (EventBridge may use it for
 *   this stack's rules only), the events dead-letter queue (which only these rules may write),
 *   and TLS-only policies on every queue.
 *
 * The functions and their grants are in functions/event-triggers.yml and
 * functions/queue-triggers.yml (the queue ARNs come from stack/variables.ts). Every
 * dead-letter queue here is alarmed by stack/alarms.ts like any other. opsRedriveDlq, which
 * replays the events dead-letter queue, is given its URL by stack/variables.ts and its access
 * to it here (grantEventsRedrive), where the queue is made.
 */
import type { Registry } from '../lib/registry/schema';
import { EVENT_BUS_ARN } from '../lib/registry/schema';
import { eventRuleName, TRIGGER_QUEUE_SUFFIX, triggerNamePrefix, triggerQueueName } from '../lib/contracts/stack-names';
import { StackGenerationError, type Cfn, type Template } from './template';

export const TRIGGERS_KEY = 'PipelineTriggersKey';
export const EVENTS_DLQ = 'PipelineEventsDeadLetterQueue';
/** The functions serverless compiles from functions/event-triggers.yml and functions/queue-triggers.yml. */
export const START_FROM_EVENT_FUNCTION = 'StartFromEventLambdaFunction';
export const START_FROM_QUEUE_FUNCTION = 'StartFromQueueLambdaFunction';
/** The operating command that replays dead-letter queues (functions/operations.yml opsRedriveDlq). */
export const REDRIVE_FUNCTION = 'OpsRedriveDlqLambdaFunction';
/** How long EventBridge keeps retrying a delivery to startFromEvent, and how often. */
export const EVENT_TARGET_RETRY = { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 } as const;
/** Lambda's advice: a queue's visibility timeout at least six times its consumer's timeout (30 s). */
export const TRIGGER_QUEUE_VISIBILITY_SECONDS = 180;
const RETENTION_14_DAYS = 1_209_600;

const ref = (id: string): Cfn => ({ Ref: id });
const getAtt = (id: string, attribute = 'Arn'): Cfn => ({ 'Fn::GetAtt': [id, attribute] });
const sub = (text: string): Cfn => ({ 'Fn::Sub': text });
const pascal = (name: string) => name.replace(/(^|[-._])([a-zA-Z0-9])/g, (_m, _sep, c: string) => c.toUpperCase());

export const eventRuleLogicalId = (pipeline: string): string => `${pascal(pipeline)}EventRule`;
export const runsQueueLogicalId = (pipeline: string): string => `${pascal(pipeline)}RunsQueue`;
export const runsDeadLetterQueueLogicalId = (pipeline: string): string => `${pascal(pipeline)}RunsDeadLetterQueue`;
export const eventBusLogicalId = (bus: string): string => `${pascal(bus)}EventBus`;

const eventPipelines = (registry: Registry) =>
  Object.entries(registry.pipelines).flatMap(([name, pipeline]) =>
    pipeline.trigger?.events ? [[name, pipeline.trigger.events] as const] : [],
  );
const queuePipelines = (registry: Registry) =>
  Object.entries(registry.pipelines).flatMap(([name, pipeline]) =>
    pipeline.trigger?.queue ? [[name, pipeline.trigger.queue] as const] : [],
  );

export const hasEventTriggers = (registry: Registry): boolean => eventPipelines(registry).length > 0;
export const hasQueueTriggers = (registry: Registry): boolean => queuePipelines(registry).length > 0;

/** The ARNs of the pipelines' queues, for startFromQueue's grant (stack/variables.ts). */
export const runsQueueArns = (registry: Registry): Cfn[] => queuePipelines(registry).map(([name]) => getAtt(runsQueueLogicalId(name)));

const tlsOnly = (resources: Cfn[]): Cfn => ({
  Sid: 'DenyInsecureTransport',
  Effect: 'Deny',
  Principal: '*',
  Action: 'sqs:*',
  Resource: resources,
  Condition: { Bool: { 'aws:SecureTransport': 'false' } },
});

/** The bus a rule goes on: the default bus, a bus created here (its name), or the ARN of an existing one. */
function busOf(bus: string): { eventBusName?: Cfn | string; create?: string } {
  if (bus === 'default') return {};
  if (EVENT_BUS_ARN.test(bus)) return { eventBusName: bus };
  return { eventBusName: ref(eventBusLogicalId(bus)), create: bus };
}

export interface TriggerRefs {
  service: string;
  stage: string;
}

export function eventTriggerResources(template: Template, registry: Registry, refs: TriggerRefs): Record<string, Cfn> {
  const events = eventPipelines(registry);
  const queues = queuePipelines(registry);
  if (events.length === 0 && queues.length === 0) return {};
  const prefix = triggerNamePrefix(refs.service, refs.stage);
  for (const [needed, fn, file] of [
    [events.length > 0, START_FROM_EVENT_FUNCTION, 'functions/event-triggers.yml startFromEvent'],
    [queues.length > 0, START_FROM_QUEUE_FUNCTION, 'functions/queue-triggers.yml startFromQueue'],
  ] as const) {
    if (needed && template.Resources[fn]?.Type !== 'AWS::Lambda::Function') {
      throw new StackGenerationError(
        `pipelines.yml declares ${fn === START_FROM_EVENT_FUNCTION ? 'events' : 'queue'} triggers, but the template has no function ${fn} (${file})`,
      );
    }
  }
  const ruleArns = events.map(([name]) => getAtt(eventRuleLogicalId(name)));
  const resources: Record<string, Cfn> = {
    // One key for the triggers' queues. EventBridge encrypts what it sends to the events DLQ
    // with it, for this stack's rules only; the functions use it through their IAM grants.
    [TRIGGERS_KEY]: {
      Type: 'AWS::KMS::Key',
      Properties: {
        Description: `${refs.service} ${refs.stage} pipeline trigger queues`,
        EnableKeyRotation: true,
        KeyPolicy: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'AccountAdministers',
              Effect: 'Allow',
              Principal: { AWS: sub('arn:${AWS::Partition}:iam::${AWS::AccountId}:root') },
              Action: 'kms:*',
              Resource: '*',
            },
            ...(events.length
              ? [
                  {
                    Sid: 'EventBridgeDeadLettersOfThisStacksRules',
                    Effect: 'Allow',
                    Principal: { Service: 'events.amazonaws.com' },
                    Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
                    Resource: '*',
                    Condition: {
                      StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') },
                      ArnLike: {
                        'aws:SourceArn': sub(`arn:\${AWS::Partition}:events:\${AWS::Region}:\${AWS::AccountId}:rule/*${prefix}*`),
                      },
                    },
                  },
                ]
              : []),
          ],
        },
      },
    },
  };
  const encrypted = { KmsMasterKeyId: ref(TRIGGERS_KEY), KmsDataKeyReusePeriodSeconds: 300 };

  if (events.length) {
    // Events the rules could not deliver (after their retry policy), and events startFromEvent
    // failed on after Lambda's retries (its on-failure destination): with the error, to redrive.
    resources[EVENTS_DLQ] = { Type: 'AWS::SQS::Queue', Properties: { MessageRetentionPeriod: RETENTION_14_DAYS, ...encrypted } };
    resources[`${EVENTS_DLQ}Policy`] = {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [ref(EVENTS_DLQ)],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'PipelineRulesDeadLetters',
              Effect: 'Allow',
              Principal: { Service: 'events.amazonaws.com' },
              Action: 'sqs:SendMessage',
              Resource: getAtt(EVENTS_DLQ),
              Condition: { ArnEquals: { 'aws:SourceArn': ruleArns } },
            },
            tlsOnly([getAtt(EVENTS_DLQ)]),
          ],
        },
      },
    };
  }
  const createdBuses = new Set<string>();
  for (const [name, trigger] of events) {
    const bus = busOf(trigger.bus);
    if (bus.create && !createdBuses.has(bus.create)) {
      createdBuses.add(bus.create);
      resources[eventBusLogicalId(bus.create)] = { Type: 'AWS::Events::EventBus', Properties: { Name: bus.create } };
    }
    const rule = eventRuleLogicalId(name);
    resources[rule] = {
      Type: 'AWS::Events::Rule',
      Properties: {
        Name: eventRuleName(prefix, name),
        Description: `Events that start runs of pipeline ${name} (one per ${trigger.batchKey})`,
        ...(bus.eventBusName ? { EventBusName: bus.eventBusName } : {}),
        EventPattern: trigger.pattern,
        State: 'ENABLED',
        Targets: [
          {
            Id: 'start-run',
            Arn: getAtt(START_FROM_EVENT_FUNCTION),
            // The pipeline's name and the whole event (aws.events.event.json: with its detail).
            InputTransformer: { InputTemplate: `{"pipeline":${JSON.stringify(name)},"event":<aws.events.event.json>}` },
            RetryPolicy: { ...EVENT_TARGET_RETRY },
            DeadLetterConfig: { Arn: getAtt(EVENTS_DLQ) },
          },
        ],
      },
    };
    resources[`${rule}Permission`] = {
      Type: 'AWS::Lambda::Permission',
      Properties: {
        Action: 'lambda:InvokeFunction',
        FunctionName: getAtt(START_FROM_EVENT_FUNCTION),
        Principal: 'events.amazonaws.com',
        SourceArn: getAtt(rule),
      },
    };
  }

  for (const [name, trigger] of queues) {
    const queue = runsQueueLogicalId(name);
    const dlq = runsDeadLetterQueueLogicalId(name);
    const fifo = trigger.fifo ? { FifoQueue: true } : {};
    resources[dlq] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: `${prefix}${name}${TRIGGER_QUEUE_SUFFIX}-dlq${trigger.fifo ? '.fifo' : ''}`,
        MessageRetentionPeriod: RETENTION_14_DAYS,
        ...fifo,
        ...encrypted,
      },
    };
    resources[queue] = {
      Type: 'AWS::SQS::Queue',
      Properties: {
        QueueName: triggerQueueName(prefix, name, trigger.fifo),
        VisibilityTimeout: TRIGGER_QUEUE_VISIBILITY_SECONDS,
        MessageRetentionPeriod: RETENTION_14_DAYS,
        RedrivePolicy: { deadLetterTargetArn: getAtt(dlq), maxReceiveCount: trigger.maxReceiveCount },
        // FIFO: a message sent twice within five minutes (same body) is delivered once.
        ...(trigger.fifo ? { FifoQueue: true, ContentBasedDeduplication: true } : {}),
        ...encrypted,
      },
    };
    resources[`${queue}Policy`] = {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [ref(queue), ref(dlq)],
        PolicyDocument: { Version: '2012-10-17', Statement: [tlsOnly([getAtt(queue), getAtt(dlq)])] },
      },
    };
    const role = 'StartFromQueueIamRoleLambdaExecution';
    resources[`${queue}EventSourceMapping`] = {
      Type: 'AWS::Lambda::EventSourceMapping',
      // The mapping checks at creation that the function's role may read the queue.
      ...(template.Resources[role] ? { DependsOn: [role] } : {}),
      Properties: {
        EventSourceArn: getAtt(queue),
        FunctionName: ref(START_FROM_QUEUE_FUNCTION),
        BatchSize: 10,
        Enabled: true,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
      },
    };
  }
  return resources;
}

/**
 * opsRedriveDlq replays the events dead-letter queue: with events pipelines, its role may
 * receive, release (ChangeMessageVisibility) and delete that queue's messages and decrypt them
 * with the triggers' key, and nothing more of either. Added to the role serverless compiled
 * (functions/operations.yml), as the queue exists only where a pipeline has trigger.events.
 */
export function grantEventsRedrive(template: Template, registry: Registry): void {
  if (!hasEventTriggers(registry)) return;
  type Compiled = { Role?: { 'Fn::GetAtt'?: unknown[] }; Policies?: Array<{ PolicyDocument?: { Statement?: unknown } }> };
  const role = (template.Resources[REDRIVE_FUNCTION]?.Properties as Compiled | undefined)?.Role?.['Fn::GetAtt']?.[0];
  const statements =
    typeof role === 'string'
      ? (template.Resources[role]?.Properties as Compiled | undefined)?.Policies?.[0]?.PolicyDocument?.Statement
      : undefined;
  if (!Array.isArray(statements)) {
    throw new StackGenerationError(
      `pipelines.yml declares events triggers, but the template has no role of ${REDRIVE_FUNCTION} with a policy to let it replay their dead-letter queue (functions/operations.yml opsRedriveDlq)`,
    );
  }
  statements.push(
    {
      Effect: 'Allow',
      Action: ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility'],
      Resource: getAtt(EVENTS_DLQ),
    },
    { Effect: 'Allow', Action: ['kms:Decrypt'], Resource: getAtt(TRIGGERS_KEY) },
  );
}

/**
 * The events dead-letter queue's entry in opsRedriveDlq's DEAD_LETTER_QUEUES JSON
 * (`,"events":"<url>"`), or nothing without events pipelines (stack/variables.ts).
 */
export const eventsRedriveQueueEntry = (registry: Registry): Cfn | string =>
  hasEventTriggers(registry) ? { 'Fn::Join': ['', [',"events":"', ref(EVENTS_DLQ), '"']] } : '';
