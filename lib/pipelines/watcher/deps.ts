/**
 * The watcher use case wired to AWS: used by the s3UploadWatcher handler and by the DLQ
 * redrive (which sends a failed watcher event through the same use case).
 */
import { kinesisClient } from '../../shared/clients/kinesis';
import { logger, metrics, perPipeline } from '../../shared/observability';
import { pipelines, type PipelineIndex } from '../../registry';
import { createKinesisPublisher } from '../adapters/kinesis-publisher';
import type { WatchUploadsDeps } from './watch-uploads';

export const WATCHER_ENV = ['STREAM_NAME', 'UPLOADS_BUCKET'] as const;

export interface WatcherConfig {
  STREAM_NAME: string;
  UPLOADS_BUCKET: string;
}

export function watcherDeps(config: WatcherConfig, registry: PipelineIndex = pipelines()): WatchUploadsDeps {
  return {
    publisher: createKinesisPublisher(kinesisClient(), { streamName: config.STREAM_NAME }),
    registry,
    uploadsBucket: config.UPLOADS_BUCKET,
    log: logger,
    metrics,
    perPipeline,
  };
}
