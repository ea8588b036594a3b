/**
 * The fan-in use case wired to AWS: used by the kinesisFanIn handler and by the DLQ redrive
 * (which re-reads a failed record range from the stream and records it again).
 */
import { pipelines, type PipelineIndex } from '../../registry';
import { START_PIPELINE_ENV, startPipelineDeps, type StartPipelineConfig } from '../start/deps';
import { startPipeline } from '../start/start-pipeline';
import type { RecordArrivalDeps } from './record-arrival';
import { uploadedObjects } from '../adapters/uploaded-objects';
import { s3Client } from '../../shared/clients/s3';

export const FAN_IN_ENV = [...START_PIPELINE_ENV, 'BATCH_TTL_DAYS'] as const;

export interface FanInConfig extends StartPipelineConfig {
  BATCH_TTL_DAYS: number;
}

export function fanInDeps(
  config: FanInConfig,
  registry: PipelineIndex = pipelines(),
  clock: () => Date = () => new Date(),
): RecordArrivalDeps {
  const startDeps = startPipelineDeps(config, registry, clock);
  return {
    batches: startDeps.batches,
    registry,
    clock,
    ttlDays: config.BATCH_TTL_DAYS,
    start: (request) => startPipeline(request, startDeps),
    // Batches of unknown size: manifests are read and markers' folders listed.
    objects: uploadedObjects(s3Client()),
  };
}
