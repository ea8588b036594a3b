/**
 * The keys that let an operator follow one file to one run across every log line of the
 * flow: the same names in every function, the worker library and the notifications.
 * Values that must never reach a log (task tokens, credentials, row data) are dropped by
 * `safeLogAttributes` wherever a whole payload is logged.
 */
export interface CorrelationKeys {
  pipeline?: string | undefined;
  batchKey?: string | undefined;
  /** The S3 object key (decoded). */
  objectKey?: string | undefined;
  runKey?: string | undefined;
  executionArn?: string | undefined;
  /** ECS task ARN. */
  taskArn?: string | undefined;
}

export const CORRELATION_KEY_NAMES = [
  'pipeline',
  'batchKey',
  'objectKey',
  'runKey',
  'executionArn',
  'taskArn',
] as const satisfies ReadonlyArray<keyof CorrelationKeys>;

/** The keys that are known, without undefined values (Powertools would print them as null-ish noise). */
export function correlationKeys(keys: CorrelationKeys): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of CORRELATION_KEY_NAMES) {
    const value = keys[name];
    if (typeof value === 'string' && value.length > 0) out[name] = value;
  }
  return out;
}

/** Attribute names whose values are secrets or data, never logged (compared case-insensitively, `_`/`-` ignored). */
const SECRET_NAMES = new Set([
  'tasktoken',
  'token',
  'password',
  'secret',
  'secretaccesskey',
  'sessiontoken',
  'authorization',
  'credentials',
  'rows',
  'records',
  'data',
]);
const normalize = (name: string): string => name.toLowerCase().replace(/[_-]/g, '');
export const REDACTED = '[redacted]';

/**
 * A copy of `value` with secret-named fields replaced, at any depth; `{name, value}` pairs
 * (ECS environment overrides) are matched on their `name`.
 */
export function safeLogAttributes<T>(value: T): T {
  const visit = (node: unknown, depth: number): unknown => {
    if (depth > 12 || node === null || typeof node !== 'object') return node;
    if (Array.isArray(node)) return node.map((item) => visit(item, depth + 1));
    const record = node as Record<string, unknown>;
    const pairName = typeof record.name === 'string' ? record.name : typeof record.Name === 'string' ? record.Name : undefined;
    const out: Record<string, unknown> = {};
    for (const [key, inner] of Object.entries(record)) {
      if (SECRET_NAMES.has(normalize(key))) out[key] = REDACTED;
      else if (pairName !== undefined && (key === 'value' || key === 'Value') && SECRET_NAMES.has(normalize(pairName))) out[key] = REDACTED;
      else out[key] = visit(inner, depth + 1);
    }
    return out;
  };
  return visit(value, 0) as T;
}
