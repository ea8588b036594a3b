/**
 * Index names shared by resources/ingest.yml, the dynalite test helper and the adapters.
 * Batches: sparse index on openState (only batches not yet started carry it) + deadline; and
 * pipeline + batchKey (keys only), for the batches a schedule or a backfill selects.
 * Runs: pipeline + requestedAt, for listing a pipeline's runs and finding overdue ones; and
 * queue + queueSeq (sparse: only runs waiting for a slot, or taken from the queue and not yet
 * started, carry `queue`), the arrival order of waiting runs.
 */
export const BATCHES_OPEN_INDEX = 'openState-deadline';
export const BATCHES_BY_PIPELINE_INDEX = 'pipeline-batchKey';
export const RUNS_BY_PIPELINE_INDEX = 'pipeline-requestedAt';
export const RUNS_QUEUE_INDEX = 'queue-queueSeq';
