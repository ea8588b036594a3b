/** The Summarize Run step wired to its stack: names, task logs and the region's prices. */
import { logger } from '../../shared/observability';
import { regionPrices, type RegionPrices } from '../../shared/pricing/prices';

export const SUMMARIZE_RUN_ENV = ['SERVICE', 'STAGE', 'AWS_REGION', 'TASK_LOG_GROUP'] as const;

function pricesFor(region: string): { prices?: RegionPrices } {
  try {
    return { prices: regionPrices(region) };
  } catch (error) {
    // A region the price table lacks leaves runs without a cost estimate; it never fails a run.
    logger.warn('runs carry no cost estimate: no prices for this region', { region, error: error as Error });
    return {};
  }
}

export function summarizeRunDeps(config: { SERVICE: string; STAGE: string; AWS_REGION: string; TASK_LOG_GROUP: string }) {
  return {
    clock: (): Date => new Date(),
    stack: { service: config.SERVICE, stage: config.STAGE },
    taskLogs: { region: config.AWS_REGION, logGroup: config.TASK_LOG_GROUP },
    ...pricesFor(config.AWS_REGION),
  };
}
