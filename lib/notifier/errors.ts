/** The notifier's errors; handlers match them with instanceof in one place. */

export class ClusterNotAllowedError extends Error {
  override readonly name = 'ClusterNotAllowedError';
}

/** DescribeServices / DescribeTasks answered with `failures` for something we asked about. */
export class EcsLookupError extends Error {
  override readonly name = 'EcsLookupError';
}

/** A queue rejected some entries of a SendMessageBatch; the whole record is retried. */
export class QueueSendError extends Error {
  override readonly name = 'QueueSendError';
}

/** Another consumer holds a live claim on this task's delivery: try again after its lease. */
export class DeliveryInProgressError extends Error {
  override readonly name = 'DeliveryInProgressError';
}

/** The task answered a 4xx other than 429: not retried in this receive. */
export class NotifyRejectedError extends Error {
  override readonly name = 'NotifyRejectedError';
}

/** Connection errors, timeouts, 5xx or 429 on every attempt. */
export class NotifyFailedError extends Error {
  override readonly name = 'NotifyFailedError';
}

export class SigningKeyError extends Error {
  override readonly name = 'SigningKeyError';
}

/** Renders an error and its causes on one line, for the audit's lastError. */
export function describeError(error: unknown): string {
  const parts: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 4; depth += 1) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      parts.push(`${current.name}${typeof code === 'string' ? `(${code})` : ''}: ${current.message}`);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(' <- ').slice(0, 1000);
}
