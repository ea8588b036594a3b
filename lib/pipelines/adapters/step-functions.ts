/** Starting executions of the pipeline state machine. */
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  StartExecutionCommand,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { executionArnOf } from '../execution-name';

export interface StartedExecution {
  executionArn: string;
  /** The name was already taken: an earlier attempt of this run started it. */
  alreadyExisted: boolean;
}

export interface StepFunctions {
  startExecution(request: { name: string; input: string }): Promise<StartedExecution>;
  /** The execution ARN when an execution of this name exists, else undefined. */
  findExecution(name: string): Promise<string | undefined>;
  /** RUNNING, SUCCEEDED, FAILED, TIMED_OUT or ABORTED; undefined when no execution has this name. */
  executionStatus(name: string): Promise<string | undefined>;
}

export function stepFunctions(client: SFNClient, stateMachineArn: string): StepFunctions {
  return {
    async startExecution({ name, input }) {
      try {
        const result = await client.send(new StartExecutionCommand({ stateMachineArn, name, input }));
        if (!result.executionArn) throw new Error(`StartExecution of ${name} returned no executionArn`);
        return { executionArn: result.executionArn, alreadyExisted: false };
      } catch (error) {
        // Standard executions keep their names for 90 days: the name being taken means this
        // run was started before (a retry after a crash, or a duplicate), which is success.
        if (error instanceof ExecutionAlreadyExists || (error as Error).name === 'ExecutionAlreadyExists') {
          return { executionArn: executionArnOf(stateMachineArn, name), alreadyExisted: true };
        }
        throw error;
      }
    },
    async executionStatus(name) {
      try {
        const out = await client.send(new DescribeExecutionCommand({ executionArn: executionArnOf(stateMachineArn, name) }));
        return out.status;
      } catch (error) {
        if (error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      }
    },
    async findExecution(name) {
      const executionArn = executionArnOf(stateMachineArn, name);
      try {
        await client.send(new DescribeExecutionCommand({ executionArn }));
        return executionArn;
      } catch (error) {
        if (error instanceof ExecutionDoesNotExist || (error as Error).name === 'ExecutionDoesNotExist') return undefined;
        throw error;
      }
    },
  };
}
