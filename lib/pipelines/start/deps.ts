/**
 * The start-pipeline use case wired to AWS: the dependencies every entry that starts runs
 * shares (fan-in, schedules and manual starts, re-runs, DLQ redrive). Handlers pass the
 * configuration they read; this module reads no environment itself.
 */
import { batchesTable } from '../adapters/batches-table';
import { runQueue } from '../adapters/run-queue';
import type { DispatchDeps } from './run-control';
import type { StartPipelineDeps } from './start-pipeline';
import { runsTable } from '../adapters/runs-table';
import { stepFunctions } from '../adapters/step-functions';
import { dynamoDocumentClient } from '../../shared/clients/dynamodb';
import { sfnClient } from '../../shared/clients/sfn';
import { snsClient } from '../../shared/clients/sns';
import { snsNoticePublisher } from '../../shared/notices/sns-publisher';
import { pipelines, type PipelineIndex } from '../../registry';

export interface StartPipelineConfig {
  BATCHES_TABLE: string;
  RUNS_TABLE: string;
  STATE_MACHINE_ARN: string;
  RUN_LEASE_SECONDS: number;
  MAX_CONCURRENT_RUNS: number;
  STAGE: string;
  SERVICE: string;
}

/** Runs started by an event or a queue message (event-trigger.ts): no batch to read, only the lock and the state machine. */
export const START_KEYED_RUN_ENV = [
  'RUNS_TABLE',
  'STATE_MACHINE_ARN',
  'RUN_LEASE_SECONDS',
  'MAX_CONCURRENT_RUNS',
  'STAGE',
  'SERVICE',
] as const;

/** Runs of a batch of files (or a schedule, or by hand): the keyed run's settings and the Batches table. */
export const START_PIPELINE_ENV = ['BATCHES_TABLE', ...START_KEYED_RUN_ENV] as const;

export function startPipelineDeps(
  config: StartPipelineConfig,
  registry: PipelineIndex = pipelines(),
  clock: () => Date = () => new Date(),
) {
  return {
    runs: runsTable(dynamoDocumentClient(), config.RUNS_TABLE),
    batches: batchesTable(dynamoDocumentClient(), config.BATCHES_TABLE),
    sfn: stepFunctions(sfnClient(), config.STATE_MACHINE_ARN),
    clock,
    registry,
    leaseSeconds: config.RUN_LEASE_SECONDS,
    service: config.SERVICE,
    stage: config.STAGE,
    runControl: { queue: runQueue(dynamoDocumentClient(), config.RUNS_TABLE), stackLimit: config.MAX_CONCURRENT_RUNS },
  };
}

/** Schedule firings also tell the operators about batches incomplete at fire time. */
export const START_FROM_EVENT_ENV = [...START_PIPELINE_ENV, 'TOPIC_ARN'] as const;

export function startFromEventDeps(
  config: StartPipelineConfig & { TOPIC_ARN: string },
  registry: PipelineIndex = pipelines(),
  clock: () => Date = () => new Date(),
) {
  return { ...startPipelineDeps(config, registry, clock), notices: snsNoticePublisher(snsClient(), config.TOPIC_ARN) };
}

/** The dispatcher of queued runs: the Runs table, the state machine and the stack-wide limit. */
export const DISPATCH_ENV = ['RUNS_TABLE', 'STATE_MACHINE_ARN', 'RUN_LEASE_SECONDS', 'MAX_CONCURRENT_RUNS'] as const;

export function dispatchDeps(
  config: Pick<StartPipelineConfig, 'RUNS_TABLE' | 'STATE_MACHINE_ARN' | 'RUN_LEASE_SECONDS' | 'MAX_CONCURRENT_RUNS'>,
  registry: PipelineIndex = pipelines(),
  clock: () => Date = () => new Date(),
): DispatchDeps {
  return {
    runs: runsTable(dynamoDocumentClient(), config.RUNS_TABLE),
    sfn: stepFunctions(sfnClient(), config.STATE_MACHINE_ARN),
    clock,
    registry,
    leaseSeconds: config.RUN_LEASE_SECONDS,
    runControl: { queue: runQueue(dynamoDocumentClient(), config.RUNS_TABLE), stackLimit: config.MAX_CONCURRENT_RUNS },
  };
}

export function startKeyedRunDeps(
  config: Omit<StartPipelineConfig, 'BATCHES_TABLE'>,
  registry: PipelineIndex = pipelines(),
  clock: () => Date = () => new Date(),
): StartPipelineDeps {
  return { ...dispatchDeps(config, registry, clock), service: config.SERVICE, stage: config.STAGE };
}
