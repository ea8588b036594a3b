/**
 * What the fan-in reports about each record: per-pipeline outcome counts (names in
 * lib/contracts/metric-names.ts) and one log line whose level says whether anyone should look.
 */
import { MetricUnit } from '../../shared/metrics';
import { PIPELINE_METRIC, STACK_METRIC } from '../../contracts/metric-names';
import { correlatedLogger, logger, metrics, perPipeline } from '../../shared/observability';
import type { FileArrival } from '../../contracts/messages';
import type { ArrivalOutcome } from './record-arrival';

export function countOutcome(pipeline: string, outcome: ArrivalOutcome): void {
  switch (outcome.kind) {
    case 'started':
      perPipeline.count(pipeline, PIPELINE_METRIC.BatchesCompleted);
      perPipeline.count(pipeline, PIPELINE_METRIC.RunsStarted);
      if (outcome.late) perPipeline.count(pipeline, PIPELINE_METRIC.LateBatchesCompleted);
      break;
    case 'queued':
      perPipeline.count(pipeline, PIPELINE_METRIC.BatchesCompleted);
      if (outcome.late) perPipeline.count(pipeline, PIPELINE_METRIC.LateBatchesCompleted);
      break;
    case 'already-started':
      perPipeline.count(pipeline, PIPELINE_METRIC.BatchesCompleted);
      perPipeline.count(pipeline, PIPELINE_METRIC.DuplicateStartsSuppressed);
      break;
    case 'duplicate':
      perPipeline.count(pipeline, PIPELINE_METRIC.DuplicateStartsSuppressed);
      break;
    case 'reupload-ignored':
      perPipeline.count(pipeline, PIPELINE_METRIC.ReuploadsIgnored);
      break;
    case 'waiting':
    case 'ignored':
      break;
  }
}

/** Every line about one file carries its correlation keys (and the run's, once known). */
export function arrivalLog(arrival: FileArrival, sequenceNumber: string) {
  const log = correlatedLogger({ pipeline: arrival.pipeline, batchKey: arrival.batchKey, objectKey: arrival.key });
  const where = { file: arrival.file, etag: arrival.etag, sequenceNumber };
  return {
    recorded(outcome: ArrivalOutcome): void {
      countOutcome(arrival.pipeline, outcome);
      const run =
        'runKey' in outcome ? { runKey: outcome.runKey, ...('executionArn' in outcome ? { executionArn: outcome.executionArn } : {}) } : {};
      if (outcome.kind === 'ignored')
        log.warn('file not listed in its batch manifest: ignored, not part of the batch', { ...where, outcome });
      else if ('notInManifest' in outcome && outcome.notInManifest)
        log.warn('files not listed in the batch manifest were left out of its run', {
          ...where,
          ...run,
          notInManifest: outcome.notInManifest,
        });
      if (outcome.kind === 'ignored') return;
      if (outcome.kind === 'duplicate' || outcome.kind === 'reupload-ignored')
        log.warn(`arrival for a batch that already ran: ${outcome.kind}`, { ...where, ...run, outcome });
      else if ('late' in outcome && outcome.late)
        log.warn('late batch completed: its run started after the batch was reported overdue', { ...where, ...run, outcome });
      else log.info(`arrival recorded: ${outcome.kind}`, { ...where, ...run, outcome });
    },
    failed(error: unknown): void {
      log.error('arrival record failed', { ...where, error: error as Error });
      metrics.addMetric(STACK_METRIC.ArrivalRecordsFailed, MetricUnit.Count, 1);
    },
  };
}

export function reportInvalidRecord(sequenceNumber: string, partitionKey: string, problem: string): void {
  logger.error('invalid arrival record', { sequenceNumber, partitionKey, problem });
  metrics.addMetric(STACK_METRIC.InvalidArrivalRecords, MetricUnit.Count, 1);
}
