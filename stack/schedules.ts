/**
 * EventBridge Scheduler schedules of the pipelines (pipelines.yml `schedule:`), generated at
 * package time: one AWS::Scheduler::Schedule per scheduled pipeline, read in its time zone
 * (so `cron(0 6 * * ? *)` in Europe/Berlin fires at 06:00 local time on both sides of a
 * daylight-saving change), invoking startPipeline with the scheduled time; a retry policy, a
 * dead-letter queue for firings that could not be delivered, and one execution role that may
 * invoke that one function and write to that one queue. No schedule, no resources.
 *
 * A pure function of the registry: the caller adds what it returns to the template.
 */
import type { Registry } from '../lib/registry/schema';

type Resource = { Type: string; Properties: Record<string, unknown>; Condition?: string };

export interface ScheduleRefs {
  service: string;
  stage: string;
  /** Logical id of the function every schedule invokes. */
  targetFunction: string;
}

export const SCHEDULE_ROLE = 'PipelineSchedulesRole';
export const SCHEDULE_DLQ = 'PipelineSchedulesDeadLetterQueue';
/** Scheduler's names: at most 64 characters of [0-9a-zA-Z-_.]. */
export const MAX_SCHEDULE_NAME = 64;
/** How long Scheduler keeps retrying a firing it could not deliver (an hour late is still this morning's run). */
export const SCHEDULE_RETRY = { MaximumEventAgeInSeconds: 3600, MaximumRetryAttempts: 20 } as const;

const pascal = (name: string) => name.replace(/(^|-)([a-z0-9])/g, (_m, _dash, c: string) => c.toUpperCase());

/** `InventorySnapshotSchedule` for pipeline `inventory-snapshot`. */
export const scheduleLogicalId = (pipeline: string): string => `${pascal(pipeline)}Schedule`;

/** The input startPipeline gets: the scheduled time, not the moment of delivery, names the firing. */
export const scheduleInput = (pipeline: string): string =>
  JSON.stringify({ pipeline, trigger: 'schedule', time: '<aws.scheduler.scheduled-time>' });

export function scheduleResources(registry: Registry, refs: ScheduleRefs): Record<string, Resource> {
  const scheduled = Object.entries(registry.pipelines).filter(([, pipeline]) => pipeline.schedule);
  if (scheduled.length === 0) return {};
  const prefix = `${refs.service}-${refs.stage}-`;
  const target = { 'Fn::GetAtt': [refs.targetFunction, 'Arn'] };
  const resources: Record<string, Resource> = {
    // Firings Scheduler could not deliver after its retries (the function's own failures go to its start DLQ).
    [SCHEDULE_DLQ]: {
      Type: 'AWS::SQS::Queue',
      Properties: { MessageRetentionPeriod: 1_209_600, SqsManagedSseEnabled: true },
    },
    [`${SCHEDULE_DLQ}TlsOnly`]: {
      Type: 'AWS::SQS::QueuePolicy',
      Properties: {
        Queues: [{ Ref: SCHEDULE_DLQ }],
        PolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyInsecureTransport',
              Effect: 'Deny',
              Principal: '*',
              Action: 'sqs:*',
              Resource: { 'Fn::GetAtt': [SCHEDULE_DLQ, 'Arn'] },
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        },
      },
    },
    // Assumed by Scheduler for this stack's schedules only (confused-deputy conditions), and
    // allowed exactly the one target and the one dead-letter queue.
    [SCHEDULE_ROLE]: {
      Type: 'AWS::IAM::Role',
      Properties: {
        AssumeRolePolicyDocument: {
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Principal: { Service: 'scheduler.amazonaws.com' },
              Action: 'sts:AssumeRole',
              Condition: {
                StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
                ArnLike: {
                  'aws:SourceArn': {
                    'Fn::Sub': `arn:\${AWS::Partition}:scheduler:\${AWS::Region}:\${AWS::AccountId}:schedule/default/${prefix}*`,
                  },
                },
              },
            },
          ],
        },
        Policies: [
          {
            PolicyName: 'start-scheduled-runs',
            PolicyDocument: {
              Version: '2012-10-17',
              Statement: [
                { Sid: 'InvokeStartPipeline', Effect: 'Allow', Action: 'lambda:InvokeFunction', Resource: target },
                {
                  Sid: 'UndeliveredFirings',
                  Effect: 'Allow',
                  Action: 'sqs:SendMessage',
                  Resource: { 'Fn::GetAtt': [SCHEDULE_DLQ, 'Arn'] },
                },
              ],
            },
          },
        ],
      },
    },
  };
  for (const [pipeline, { schedule }] of scheduled) {
    const name = `${prefix}${pipeline}`;
    if (name.length > MAX_SCHEDULE_NAME) {
      throw new Error(
        `schedule name "${name}" of pipeline "${pipeline}" is longer than ${MAX_SCHEDULE_NAME} characters: shorten the service, stage or pipeline name`,
      );
    }
    resources[scheduleLogicalId(pipeline)] = {
      Type: 'AWS::Scheduler::Schedule',
      Properties: {
        Name: name,
        Description: `Scheduled run of pipeline ${pipeline} (${schedule!.expression}, ${schedule!.timezone})`,
        ScheduleExpression: schedule!.expression,
        ScheduleExpressionTimezone: schedule!.timezone,
        State: schedule!.enabled ? 'ENABLED' : 'DISABLED',
        FlexibleTimeWindow: { Mode: 'OFF' },
        Target: {
          Arn: target,
          RoleArn: { 'Fn::GetAtt': [SCHEDULE_ROLE, 'Arn'] },
          Input: scheduleInput(pipeline),
          RetryPolicy: { ...SCHEDULE_RETRY },
          DeadLetterConfig: { Arn: { 'Fn::GetAtt': [SCHEDULE_DLQ, 'Arn'] } },
        },
      },
    };
  }
  return resources;
}
