/** Errors of starting runs; names are what logs, DLQ messages and `ErrorEquals` see. */

export class UnknownPipelineError extends Error {
  override readonly name = 'UnknownPipelineError';
  constructor(pipeline: string, known: string[]) {
    super(`unknown pipeline "${pipeline}": pipelines.yml declares ${known.map((n) => `"${n}"`).join(', ') || 'none'}`);
  }
}

export class BatchNotFoundError extends Error {
  override readonly name = 'BatchNotFoundError';
  constructor(pipeline: string, batchKey: string) {
    super(`batch "${batchKey}" of pipeline "${pipeline}" not found: no file of it arrived (Batches key "${pipeline}#${batchKey}")`);
  }
}

export class NotScheduledError extends Error {
  override readonly name = 'NotScheduledError';
  constructor(pipeline: string) {
    super(`pipeline "${pipeline}" declares no schedule in pipelines.yml, yet a scheduled start arrived for it`);
  }
}

/** A forced run asked for while the previous attempt has not finished. */
export class RunNotFinishedError extends Error {
  override readonly name = 'RunNotFinishedError';
  constructor(runKey: string, attempt: number, status: string, executionArn?: string) {
    super(
      `run "${runKey}" attempt ${attempt} is ${status}${executionArn ? ` (${executionArn})` : ''}: ` +
        'force starts a fresh attempt only after the previous one SUCCEEDED or FAILED',
    );
  }
}

export class StartExecutionError extends Error {
  override readonly name = 'StartExecutionError';
}

/** Another invocation holds a live lease on the run: retry later (the lease then lets it take over). */
export class RunStartInProgressError extends Error {
  override readonly name = 'RunStartInProgressError';
}
