/**
 * Turns a failed shard's Step Functions error (name + cause) into a failure class people
 * can act on. The cause of a failed `.sync` task and of the stuck-callback guard's
 * failure is the ECS task description as JSON; exit code, stop code and stop reasons
 * decide the class. Callback containers report their own errors (plain text cause).
 */
import { mainContainer, parseEcsTaskCause } from './ecs-task';
import { TASK_STOPPED_BEFORE_CALLBACK } from './errors';

export const FAILURE_CLASSES = [
  'container-error',
  'out-of-memory',
  'image-pull',
  'capacity',
  'spot-interruption',
  'timeout',
  'heartbeat-timeout',
  'unknown',
] as const;
export type FailureClass = (typeof FAILURE_CLASSES)[number];

export interface StepFailure {
  /** Step Functions `Error`. */
  error: string;
  /** Step Functions `Cause` (JSON text for ECS task failures). */
  cause?: string | undefined;
}

export interface ClassifiedFailure {
  errorClass: FailureClass;
  /** One readable sentence for the run record and the notification. */
  message: string;
  exitCode: number | null;
  /** ECS stop code and stop reason, joined (`EssentialContainerExited: ...`), when known. */
  stopReason: string | null;
  /** What to do about it. */
  hint: string;
}

/** What to do about each class: the notification's last line. */
export const FAILURE_HINTS: Record<FailureClass, string> = {
  'container-error': "The pipeline's code failed: read the container's log stream for this task.",
  'out-of-memory': 'The container ran out of memory: raise task.memory in pipelines.yml or use more shards.',
  'image-pull':
    "ECS could not start the container: check the image tag, the execution role's ECR/log permissions and the subnets' route to ECR.",
  capacity: 'Fargate had no capacity after the retries: run again later, or raise task.retry.capacity in pipelines.yml.',
  'spot-interruption':
    'Fargate Spot took the capacity back after the retries: set task.retry.spotInterruption.fallbackToOnDemand, or task.capacity to fargate.',
  timeout: 'The task ran past task.timeoutSeconds: raise it in pipelines.yml or find the slow step.',
  'heartbeat-timeout': 'The container stopped sending heartbeats: it hung or lost its network; its log stream shows the last step.',
  unknown: 'Unclassified failure: read the execution history and the task logs.',
};

const OOM = /OutOfMemory|out of memory|OOM/i;
const IMAGE_PULL = /CannotPullContainerError|CannotPullImageManifestError|ResourceInitializationError|pull image|image manifest/i;
const CAPACITY = /capacity is unavailable|insufficient capacity|RESOURCE:(CPU|MEMORY|ENI|GPU|PORTS)|no container instances|capacity/i;

/** RunTask failure reasons that are not about capacity (ECS API failure reasons). */
const NOT_CAPACITY = /"Reason"\s*:\s*"(MISSING|INACTIVE|ATTRIBUTE)|"reason"\s*:\s*"(MISSING|INACTIVE|ATTRIBUTE)/;

const trimText = (text: string, max = 500): string => (text.length > max ? `${text.slice(0, max - 1)}…` : text);

/**
 * What a person reads of a cause the worker library sent: its `errorMessage` (the cause is the
 * JSON {errorType, errorMessage, causes, context}); any other cause as it is.
 */
function reportedMessage(cause: string): string {
  try {
    const parsed = JSON.parse(cause) as { errorMessage?: unknown };
    if (typeof parsed.errorMessage === 'string' && parsed.errorMessage) return parsed.errorMessage;
  } catch {
    // not JSON: the cause is the message
  }
  return cause;
}

function joinStop(stopCode: string | null | undefined, stoppedReason: string | null | undefined): string | null {
  const parts = [stopCode, stoppedReason].filter((p): p is string => typeof p === 'string' && p.length > 0);
  return parts.length ? parts.join(': ') : null;
}

function build(errorClass: FailureClass, message: string, exitCode: number | null, stopReason: string | null): ClassifiedFailure {
  return { errorClass, message: trimText(message), exitCode, stopReason, hint: FAILURE_HINTS[errorClass] };
}

/** Classifies one failure; `containerName` picks the pipeline's container in multi-container tasks. */
export function classifyFailure(failure: StepFailure, containerName?: string): ClassifiedFailure {
  const { error } = failure;
  const cause = failure.cause ?? '';

  if (error === 'States.HeartbeatTimeout') {
    return build('heartbeat-timeout', 'no heartbeat from the container within HeartbeatSeconds', null, null);
  }
  if (error === 'States.Timeout') {
    return build('timeout', 'the task did not finish within its TimeoutSeconds', null, null);
  }

  const task = parseEcsTaskCause(failure.cause);
  if (task) {
    const container = mainContainer(task, containerName);
    const exitCode = typeof container?.exitCode === 'number' ? container.exitCode : null;
    const stopReason = joinStop(task.stopCode, task.stoppedReason);
    const reasons = [container?.reason, task.stoppedReason, task.stopCode].filter(Boolean).join(' | ');
    const name = container?.name ? `container "${container.name}"` : 'the container';
    const where = stopReason ? ` (${stopReason})` : '';
    const beforeCallback = error === TASK_STOPPED_BEFORE_CALLBACK ? ' before it called back' : '';

    if (exitCode === 137 || OOM.test(container?.reason ?? '') || OOM.test(task.stoppedReason ?? '')) {
      return build(
        'out-of-memory',
        `${name} was killed for running out of memory${beforeCallback}, exit code ${exitCode ?? 'none'}${where}`,
        exitCode,
        stopReason,
      );
    }
    if (IMAGE_PULL.test(reasons)) {
      return build(
        'image-pull',
        `${name} could not be started: ${container?.reason ?? task.stoppedReason ?? task.stopCode}`,
        exitCode,
        stopReason,
      );
    }
    if (task.stopCode === 'SpotInterruption') {
      return build(
        'spot-interruption',
        `Fargate Spot interrupted the task${beforeCallback}${exitCode !== null ? `, exit code ${exitCode}` : ''}${where}`,
        exitCode,
        stopReason,
      );
    }
    if (exitCode === null && CAPACITY.test(reasons)) {
      return build('capacity', `the task lost its capacity${beforeCallback}${where}`, exitCode, stopReason);
    }
    if (exitCode !== null && exitCode !== 0) {
      return build('container-error', `${name} exited with code ${exitCode}${beforeCallback}${where}`, exitCode, stopReason);
    }
    if (exitCode === 0) {
      return build(
        'container-error',
        `${name} exited with code 0${beforeCallback || ' but the task failed'}${where}`,
        exitCode,
        stopReason,
      );
    }
    return build('unknown', `the task stopped${beforeCallback}${where}`, exitCode, stopReason);
  }

  // RunTask answered with `failures` (AmazonECS.Unknown): placement reasons are capacity; MISSING
  // (no such task definition) and the like are not, and retrying them would not help.
  if (error === 'AmazonECS.Unknown' && NOT_CAPACITY.test(cause) && !CAPACITY.test(cause)) {
    return build('unknown', `ECS refused to run the task: ${trimText(cause, 300)}`, null, null);
  }
  if (error === 'AmazonECS.Unknown' || (error.startsWith('ECS.') && CAPACITY.test(cause))) {
    return build('capacity', `ECS could not place the task after the retries: ${trimText(cause || error, 300)}`, null, null);
  }
  if (error.startsWith('ECS.') || error.startsWith('States.') || error.startsWith('Lambda.') || error.startsWith('DynamoDB.')) {
    return build('unknown', `${error}${cause ? `: ${trimText(cause, 300)}` : ''}`, null, null);
  }
  // Anything else is an error the container reported itself through SendTaskFailure.
  return build(
    'container-error',
    `the container reported ${error}${cause ? `: ${trimText(reportedMessage(cause), 300)}` : ''}`,
    null,
    null,
  );
}
