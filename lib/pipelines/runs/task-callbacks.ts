/**
 * Step Functions task-token callbacks, as the stuck-callback guard uses them (adapter over
 * SFNClient). A token whose task already finished is reported, not thrown: the container
 * called back before it stopped, or the state timed out first.
 */
import { SendTaskFailureCommand, type SFNClient } from '@aws-sdk/client-sfn';

/** SendTaskFailure errors that mean "nobody waits for this token any more". */
const FINISHED_TOKEN_ERRORS = new Set(['TaskDoesNotExist', 'TaskTimedOut', 'InvalidToken']);

export type FailTaskOutcome = 'failed' | 'already-finished';

export interface TaskCallbacks {
  fail(taskToken: string, error: string, cause: string): Promise<FailTaskOutcome>;
}

export function taskCallbacks(client: SFNClient): TaskCallbacks {
  return {
    async fail(taskToken, error, cause) {
      try {
        await client.send(new SendTaskFailureCommand({ taskToken, error, cause }));
        return 'failed';
      } catch (thrown) {
        if (thrown instanceof Error && FINISHED_TOKEN_ERRORS.has(thrown.name)) return 'already-finished';
        throw thrown;
      }
    },
  };
}
