/** The stuck-callback guard: its use case, its SFN adapter and its handler, on the real ECS event sample. */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { SendTaskFailureCommand, SFNClient, TaskDoesNotExist, TaskTimedOut, InvalidToken } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import 'aws-sdk-client-mock-jest';
import { handler, InvalidTaskStateChangeError } from '../../../../handlers/task-stopped-guard';
import { failStuckCallback, TaskStateChangeDetailSchema } from '../../../../lib/pipelines/runs/stuck-callback-guard';
import { taskCallbacks } from '../../../../lib/pipelines/runs/task-callbacks';

const sfn = mockClient(SFNClient);
const load = (name: string) => JSON.parse(readFileSync(path.join(__dirname, '../../../events/ecs', name), 'utf8'));
const stopped = load('ecs-task-stopped-callback.json');
const running = load('ecs-task-state-change.json');
const TOKEN = stopped.detail.overrides.containerOverrides[0].environment.find((e: { name: string }) => e.name === 'TASK_TOKEN').value;
const context = { awsRequestId: 'r-1', functionName: 'ecs-pipelines-dev-taskStoppedGuard' } as never;

beforeEach(() => {
  sfn.reset();
});

describe('stuck-callback guard', () => {
  it('fails the token of a stopped callback task with the stop reason and exit code', async () => {
    // Prepare
    sfn.on(SendTaskFailureCommand).resolves({});

    // Act
    const outcome = await handler(stopped, context);

    // Assess
    expect(outcome).toEqual({ action: 'failed', taskArn: stopped.detail.taskArn, error: 'TaskStoppedBeforeCallback' });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 1);
    const input = sfn.commandCalls(SendTaskFailureCommand)[0]!.args[0].input;
    expect(input.taskToken).toBe(TOKEN);
    expect(input.error).toBe('TaskStoppedBeforeCallback');
    expect(JSON.parse(input.cause!)).toEqual({
      taskArn: stopped.detail.taskArn,
      group: 'pipeline:orders-daily:orders-daily-2026-11-20-3f9a1c2b',
      stopCode: 'EssentialContainerExited',
      stoppedReason: 'Essential container in task exited',
      containers: [{ name: 'pipeline', exitCode: 1 }],
    });
  });

  it.each([
    ['TaskDoesNotExist', new TaskDoesNotExist({ message: 'Task Token does not exist', $metadata: {} })],
    ['TaskTimedOut', new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} })],
    ['InvalidToken', new InvalidToken({ message: 'Invalid Token', $metadata: {} })],
  ])('treats %s (the task already finished) as done, not as an error', async (_name, error) => {
    sfn.on(SendTaskFailureCommand).rejects(error);
    await expect(handler(stopped, context)).resolves.toMatchObject({ action: 'already-finished' });
  });

  it('lets other Step Functions errors fail the invocation, so EventBridge/Lambda retry it', async () => {
    const throttled = Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' });
    sfn.on(SendTaskFailureCommand).rejects(throttled);
    await expect(
      failStuckCallback(TaskStateChangeDetailSchema.parse(stopped.detail), { callbacks: taskCallbacks(new SFNClient({})) }),
    ).rejects.toThrow('Rate exceeded');
  });

  it('ignores tasks that are not stopped, and stopped tasks without a token (.sync launches)', async () => {
    await expect(handler(running, context)).resolves.toEqual({ action: 'ignored', reason: 'not-stopped' });
    const syncTask = structuredClone(stopped);
    syncTask.detail.overrides.containerOverrides[0].environment = syncTask.detail.overrides.containerOverrides[0].environment.filter(
      (e: { name: string }) => e.name !== 'TASK_TOKEN',
    );
    await expect(handler(syncTask, context)).resolves.toEqual({ action: 'ignored', reason: 'no-task-token' });
    expect(sfn).toHaveReceivedCommandTimes(SendTaskFailureCommand, 0);
  });

  it('rejects an event that is not an ECS Task State Change, naming the problem', async () => {
    await expect(handler({ source: 'aws.s3', 'detail-type': 'Object Created', detail: {} }, context)).rejects.toThrow(
      InvalidTaskStateChangeError,
    );
  });
});
