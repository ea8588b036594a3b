/**
 * The Step Functions callback operations on one task token (adapter over SFNClient).
 * Errors that mean "nobody waits for this token any more" become TaskTokenRejectedError.
 */
import { SendTaskFailureCommand, SendTaskHeartbeatCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { TaskTokenRejectedError } from './errors';
import type { TaskFailure } from './failure';

const DEAD_TOKEN_ERRORS = new Set(['TaskTimedOut', 'TaskDoesNotExist', 'InvalidToken']);

export interface TaskTokenPort {
  heartbeat(): Promise<void>;
  succeed(output: unknown): Promise<void>;
  fail(failure: TaskFailure): Promise<void>;
}

function classify(error: unknown): unknown {
  if (error instanceof Error && DEAD_TOKEN_ERRORS.has(error.name)) {
    return new TaskTokenRejectedError(`Step Functions rejected the task token: ${error.name}`, { cause: error });
  }
  return error;
}

export function taskTokenPort(sfn: SFNClient, taskToken: string): TaskTokenPort {
  const send = async (call: () => Promise<unknown>): Promise<void> => {
    try {
      await call();
    } catch (error) {
      throw classify(error);
    }
  };
  return {
    heartbeat: () => send(() => sfn.send(new SendTaskHeartbeatCommand({ taskToken }))),
    succeed: (output) => send(() => sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) }))),
    fail: ({ error, cause }) => send(() => sfn.send(new SendTaskFailureCommand({ taskToken, error, cause }))),
  };
}
