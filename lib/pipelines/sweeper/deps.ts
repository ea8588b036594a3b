/**
 * The sweeper wired to AWS: its table queries, the operators' topic, and the start use case
 * for batches whose quiet period passed (trigger.complete.quietMinutes).
 */
import { dynamoDocumentClient } from '../../shared/clients/dynamodb';
import { snsClient } from '../../shared/clients/sns';
import { snsNoticePublisher } from '../../shared/notices/sns-publisher';
import { logger, perPipeline } from '../../shared/observability';
import { pipelines, type PipelineIndex } from '../../registry';
import { batchesSweepTable } from '../adapters/batches-sweep-table';
import { runsIndex } from '../adapters/runs-index';
import { START_PIPELINE_ENV, startPipelineDeps, type StartPipelineConfig } from '../start/deps';
import { startPipeline } from '../start/start-pipeline';
import { DEFAULT_RUN_LOOKBACK_HOURS, DEFAULT_STUCK_AFTER_SECONDS, type SweepDeps } from './sweep';

export const SWEEP_ENV = [...START_PIPELINE_ENV, 'TOPIC_ARN'] as const;

export function sweepDeps(
  config: StartPipelineConfig & { TOPIC_ARN: string },
  registry: PipelineIndex = pipelines(),
  clock: () => Date = () => new Date(),
): SweepDeps {
  const startDeps = startPipelineDeps(config, registry, clock);
  return {
    batches: batchesSweepTable(dynamoDocumentClient(), config.BATCHES_TABLE),
    runs: runsIndex(dynamoDocumentClient(), config.RUNS_TABLE),
    registry,
    publisher: snsNoticePublisher(snsClient(), config.TOPIC_ARN),
    clock,
    metrics: perPipeline,
    log: logger,
    stack: { service: config.SERVICE, stage: config.STAGE },
    stuckAfterSeconds: DEFAULT_STUCK_AFTER_SECONDS,
    runLookbackHours: DEFAULT_RUN_LOOKBACK_HOURS,
    quiet: { start: (request) => startPipeline(request, startDeps), markStarted: startDeps.batches.markStarted },
  };
}
