/** Errors of the run steps. Each `name` is what a state machine Catch or a log search matches. */

/** The Lambda step's input is not what the state machine sends: a definition/contract mismatch. */
export class RunStepInputError extends Error {
  override readonly name = 'RunStepInputError';
}

/** The container overrides of a shard would exceed ECS's 8,192-character limit. */
export class OverridesTooLargeError extends Error {
  override readonly name = 'OverridesTooLargeError';
}

/** A pipeline's own environment tries to set a variable the state machine owns (lib/contracts/task-contract.ts). */
export class ReservedEnvironmentError extends Error {
  override readonly name = 'ReservedEnvironmentError';
}

/** The Step Functions error name the stuck-callback guard fails a waiting task with. */
export const TASK_STOPPED_BEFORE_CALLBACK = 'TaskStoppedBeforeCallback';
