/**
 * The stuck-callback guard: a callback task's container that stops without calling back
 * would leave its execution waiting until the state's timeout. On every STOPPED pipeline
 * task, fail the token it was given (found in the task's container overrides) with the
 * stop reason and exit code. If the container did call back, Step Functions answers that
 * the token is finished, and nothing else happens.
 */
import * as v from '../../shared/validation';
import { TASK_ENV } from '../../contracts/task-contract';
import { TASK_STOPPED_BEFORE_CALLBACK } from './errors';
import type { FailTaskOutcome, TaskCallbacks } from './task-callbacks';

/** The `detail` of an EventBridge `ECS Task State Change` event, the fields the guard reads. */
export const TaskStateChangeDetailSchema = v.looseObject({
  taskArn: v.string(),
  clusterArn: v.string(),
  lastStatus: v.string(),
  group: v.string().optional(),
  stopCode: v.string().optional(),
  stoppedReason: v.string().optional(),
  containers: v
    .array(
      v.looseObject({
        name: v.string(),
        exitCode: v.number().int().optional(),
        reason: v.string().optional(),
        lastStatus: v.string().optional(),
      }),
    )
    .default([]),
  overrides: v
    .looseObject({
      containerOverrides: v
        .array(v.looseObject({ name: v.string(), environment: v.array(v.looseObject({ name: v.string(), value: v.string() })).optional() }))
        .default([]),
    })
    .optional(),
});
export type TaskStateChangeDetail = v.Infer<typeof TaskStateChangeDetailSchema>;

export type GuardOutcome =
  | { action: 'ignored'; reason: 'not-stopped' | 'no-task-token' }
  | { action: FailTaskOutcome; taskArn: string; error: string };

/** Step Functions limits the cause to 32,768 characters; reasons are cut well below it. */
const MAX_REASON_CHARS = 1_000;
const cut = (text: string | undefined) => (text && text.length > MAX_REASON_CHARS ? `${text.slice(0, MAX_REASON_CHARS - 1)}…` : text);

export function findTaskToken(detail: TaskStateChangeDetail): string | undefined {
  for (const override of detail.overrides?.containerOverrides ?? []) {
    const token = override.environment?.find((e) => e.name === TASK_ENV.TASK_TOKEN)?.value;
    if (token) return token;
  }
  return undefined;
}

/**
 * Fails the waiting callback of a stopped task.
 * Primary course: the task stopped, its overrides carry a token, SendTaskFailure with
 * `TaskStoppedBeforeCallback` and the task's stop code, reasons and exit codes as the cause
 * (JSON in the ECS task's shape, so the run's failure classifier reads it like a .sync cause).
 */
export async function failStuckCallback(detail: TaskStateChangeDetail, deps: { callbacks: TaskCallbacks }): Promise<GuardOutcome> {
  if (detail.lastStatus !== 'STOPPED') return { action: 'ignored', reason: 'not-stopped' };
  const token = findTaskToken(detail);
  if (!token) return { action: 'ignored', reason: 'no-task-token' };

  const cause = JSON.stringify({
    taskArn: detail.taskArn,
    group: detail.group,
    stopCode: detail.stopCode,
    stoppedReason: cut(detail.stoppedReason),
    containers: detail.containers.map((c) => ({ name: c.name, exitCode: c.exitCode, reason: cut(c.reason) })),
  });
  const action = await deps.callbacks.fail(token, TASK_STOPPED_BEFORE_CALLBACK, cause);
  return { action, taskArn: detail.taskArn, error: TASK_STOPPED_BEFORE_CALLBACK };
}
