/**
 * What serverless needs from pipelines.yml before it compiles the functions and resources:
 * function events and environment, IAM resources, the bucket's notifications. Resolved as
 * `${self:custom.registry.<name>}` (serverless.yml's custom.registry, stack/serverless-variables.cjs).
 * Resources that depend on what the compiled template holds come from stack/generate.ts instead.
 */
import type { PipelineIndex } from '../lib/registry/registry';
import { ownerNoticeParts, type OwnerNoticeParts } from './owners';
import { queueServiceFunctionParts, type QueueServiceFunctionParts } from './queue-services';
import type { Cfn } from './template';
import { uploadRouting, type UploadRouting } from './uploads';

export interface RegistryVariables extends UploadRouting {
  queueServices: QueueServiceFunctionParts;
  ownerNotices: OwnerNoticeParts;
}

export function registryVariables(index: PipelineIndex, options: { existingBucket: string }): RegistryVariables {
  return {
    ...uploadRouting(index, options.existingBucket),
    queueServices: queueServiceFunctionParts(index.registry.queueServices),
    ownerNotices: ownerNoticeParts(index.registry),
  };
}
