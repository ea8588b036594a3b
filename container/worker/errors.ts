/**
 * Errors the worker raises. `name` is what a Step Functions Catch matches (`ErrorEquals`)
 * and what the task's failure reports, so each name says what went wrong.
 */
export class TaskEnvError extends Error {
  override readonly name = 'TaskEnvError';
}

/** ECS is stopping the task (SIGTERM): the work did not finish. */
export class TaskStoppedError extends Error {
  override readonly name = 'TaskStopped';
}

/** Step Functions no longer waits for this token (timed out, cancelled or unknown). */
export class TaskTokenRejectedError extends Error {
  override readonly name = 'TaskTokenRejected';
}

/** The batch's object list could not be read from the Runs table. */
export class BatchObjectsError extends Error {
  override readonly name = 'BatchObjectsError';
}

/**
 * An activity worker is stopping (SIGTERM) and hands its shard back: the activity state's
 * Retry matches this name and another worker runs the shard.
 */
export class WorkerDrainingError extends Error {
  override readonly name = 'Worker.Draining';
}

/** The activity task's input is not the run context the state machine sends. */
export class ActivityInputError extends Error {
  override readonly name = 'ActivityInputError';
}
