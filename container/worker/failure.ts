/**
 * Turns a thrown error into SendTaskFailure's `error` and `cause`, within the API's
 * limits (error <= 256 characters, cause <= 32,768): a longer value would make the
 * call itself fail and leave the execution waiting for its timeout.
 */
export const MAX_ERROR_CHARS = 256;
export const MAX_CAUSE_CHARS = 32_768;

export interface TaskFailure {
  error: string;
  cause: string;
}

/** Cuts `value` to at most `max` UTF-16 units without splitting a surrogate pair, marking the cut. */
export function truncate(value: string, max: number): string {
  if (value.length <= max) return value;
  const marker = `...[${value.length - max} more chars]`;
  let end = Math.max(0, max - marker.length);
  const code = value.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end -= 1;
  return value.slice(0, end) + marker;
}

function messageChain(error: unknown): string[] {
  const chain: string[] = [];
  let current: unknown = error;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth += 1) {
    if (current instanceof Error) {
      chain.push(`${current.name}: ${current.message}`);
      current = current.cause;
    } else {
      chain.push(String(current));
      break;
    }
  }
  return chain;
}

/**
 * The cause is JSON (like the ECS integration's own causes) so the state machine can parse it:
 * `{ errorMessage, errorType, causes, context }`. The message is shortened, not the JSON, so
 * the cause stays parseable at any length.
 */
export function toTaskFailure(error: unknown, context: Record<string, unknown>): TaskFailure {
  const name = error instanceof Error && error.name ? error.name : 'Error';
  const [first = 'unknown error', ...causes] = messageChain(error);
  const message = error instanceof Error ? error.message : first;
  const build = (msg: string, rest: string[]) => JSON.stringify({ errorType: name, errorMessage: msg, causes: rest, context });
  let cause = build(message, causes);
  let msg = message;
  let rest = causes.map((c) => truncate(c, 2_000));
  for (let attempt = 0; cause.length > MAX_CAUSE_CHARS && attempt < 8; attempt += 1) {
    rest = [];
    // JSON escaping can lengthen the text, so shrink by the overshoot plus a margin and re-check.
    msg = truncate(msg, Math.max(0, msg.length - (cause.length - MAX_CAUSE_CHARS) - 64));
    cause = build(msg, rest);
  }
  return { error: truncate(name, MAX_ERROR_CHARS), cause: truncate(cause, MAX_CAUSE_CHARS) };
}
