/**
 * Stuck-callback guard: EventBridge `ECS Task State Change` (STOPPED, this stack's cluster,
 * pipeline task groups) → SendTaskFailure for the task's callback token, so an execution
 * never waits for a container that is gone. See lib/pipelines/runs/stuck-callback-guard.ts.
 */
import { injectLambdaContext } from '../lib/shared/logger';
import { logMetrics, MetricUnit } from '../lib/shared/metrics';
import middy from '@middy/core';
import * as v from '../lib/shared/validation';
import { sfnClient } from '../lib/shared/clients/sfn';
import { logger, metrics } from '../lib/shared/observability';
import { failStuckCallback, TaskStateChangeDetailSchema, type GuardOutcome } from '../lib/pipelines/runs/stuck-callback-guard';
import { taskCallbacks } from '../lib/pipelines/runs/task-callbacks';

export const TaskStateChangeEventSchema = v.looseObject({
  source: v.literal('aws.ecs'),
  'detail-type': v.literal('ECS Task State Change'),
  detail: TaskStateChangeDetailSchema,
});

export class InvalidTaskStateChangeError extends Error {
  override readonly name = 'InvalidTaskStateChangeError';
}

const deps = { callbacks: taskCallbacks(sfnClient()) };

export const handler = middy(async (event: unknown): Promise<GuardOutcome> => {
  const parsed = TaskStateChangeEventSchema.safeParse(event);
  if (!parsed.success) {
    throw new InvalidTaskStateChangeError(
      `task-stopped-guard expects an ECS Task State Change event: ${v.prettifyError(parsed.error).replace(/\n/g, '; ')}`,
    );
  }
  const outcome = await failStuckCallback(parsed.data.detail, deps);
  logger.info('stopped task checked', { taskArn: parsed.data.detail.taskArn, group: parsed.data.detail.group, ...outcome });
  if (outcome.action === 'failed') metrics.addMetric('StuckCallbacksFailed', MetricUnit.Count, 1);
  return outcome;
})
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics));
