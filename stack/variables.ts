/**
 * What serverless needs from pipelines.yml before it compiles the functions and resources:
 * function events and environment, IAM resources, the bucket's notifications. Resolved as
 * `${self:custom.registry.<name>}` (serverless.yml's custom.registry, stack/serverless-variables.cjs).
 * Resources that depend on what the compiled template holds come from stack/generate.ts instead.
 */
import type { PipelineIndex } from '../lib/registry/registry';
import { ownerNoticeParts, type OwnerNoticeParts } from './owners';
import { queueServiceFunctionParts, type QueueServiceFunctionParts } from './queue-services';
import { eventsRedriveQueueEntry, runsQueueArns } from './event-triggers';
import { completionReadStatements, uploadsListStatement } from './task-access';
import type { Cfn } from './template';
import { uploadRouting, type UploadRouting } from './uploads';

export interface RegistryVariables extends UploadRouting {
  /** opsBackfill's s3:ListBucket on the watched prefixes (a statement that allows nothing when no pipeline has files). */
  uploadsListStatement: Cfn;
  /** The fan-in's s3:GetObject on manifests and s3:ListBucket on marker folders (statements that allow nothing without such rules). */
  completionReadStatement: Cfn;
  completionListStatement: Cfn;
  queueServices: QueueServiceFunctionParts;
  ownerNotices: OwnerNoticeParts;
  /** startFromQueue (functions/queue-triggers.yml): the pipelines' queues it reads. */
  queueTriggers: { queueArns: Cfn[] };
  /** opsRedriveDlq (functions/operations.yml): the events dead-letter queue's entry in DEAD_LETTER_QUEUES, '' without one. */
  eventTriggers: { redriveQueueEntry: Cfn | string };
}

export function registryVariables(index: PipelineIndex, options: { existingBucket: string }): RegistryVariables {
  const completion = completionReadStatements(index.registry);
  return {
    completionReadStatement: completion.read ?? { Effect: 'Deny', Action: ['s3:GetObject'], Resource: '*' },
    completionListStatement: completion.list ?? { Effect: 'Deny', Action: ['s3:ListBucket'], Resource: '*' },
    uploadsListStatement: uploadsListStatement(index.registry) ?? { Effect: 'Deny', Action: ['s3:ListBucket'], Resource: '*' },
    ...uploadRouting(index, options.existingBucket),
    queueServices: queueServiceFunctionParts(index.registry.queueServices),
    ownerNotices: ownerNoticeParts(index.registry),
    queueTriggers: { queueArns: runsQueueArns(index.registry) },
    eventTriggers: { redriveQueueEntry: eventsRedriveQueueEntry(index.registry) },
  };
}
