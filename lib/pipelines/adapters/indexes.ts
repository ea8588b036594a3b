/**
 * Index names shared by resources/ingest.yml, the dynalite test helper and the adapters.
 * Batches: sparse index on openState (only batches not yet started carry it) + deadline.
 * Runs: pipeline + requestedAt, for listing a pipeline's runs and finding overdue ones.
 */
export const BATCHES_OPEN_INDEX = 'openState-deadline';
export const RUNS_BY_PIPELINE_INDEX = 'pipeline-requestedAt';
