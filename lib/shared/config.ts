/**
 * Environment read once, validated (lib/shared/validation.ts); a missing variable fails the cold start
 * with its name. Each function asks only for the variables it uses, so a function's
 * environment in serverless.yml is exactly what its code needs.
 */
import * as v from './validation';

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

export const ENV = {
  STAGE: v.string().min(1),
  SERVICE: v.string().min(1),
  BATCHES_TABLE: v.string().min(1),
  RUNS_TABLE: v.string().min(1),
  STREAM_NAME: v.string().min(1),
  STATE_MACHINE_ARN: v.string().min(1),
  UPLOADS_BUCKET: v.string().min(1),
  TOPIC_ARN: v.string().min(1),
  /** Pipeline queues (trigger.queue) are named `<this prefix><pipeline>-runs`: `<service>-<stage>-`. */
  TRIGGER_QUEUE_PREFIX: v.string().min(1),
  RUN_LEASE_SECONDS: v.coerce.number().int().positive(),
  /** Runs of the whole stack at once (stage param maxConcurrentRuns); 0: no stack-wide limit. */
  MAX_CONCURRENT_RUNS: v.coerce.number().int().min(0),
  BATCH_TTL_DAYS: v.coerce.number().int().positive(),
  /** The ECS cluster queue services run in (its name). */
  CLUSTER_NAME: v.string().min(1),
  /** JSON: queue service name → its deployed ECS service, scaling policy, metric dimension and queue URL. */
  QUEUE_SERVICES: v.string().min(1),
  /** Notifier: the service queue (one message per labelled service) and the task queue (one per task). */
  NOTIFY_SERVICE_QUEUE_URL: v.string().min(1),
  NOTIFY_TASK_QUEUE_URL: v.string().min(1),
  /** Notifier: the delivery audit table and how long its items live. */
  NOTIFY_AUDIT_TABLE: v.string().min(1),
  NOTIFY_AUDIT_TTL_DAYS: v.coerce.number().int().positive(),
  /** Notifier: the Secrets Manager secret (ARN or name) holding the HMAC key, and its cache TTL. */
  NOTIFY_SECRET_ID: v.string().min(1),
  NOTIFY_KEY_CACHE_SECONDS: v.coerce.number().int().positive(),
  /** Notifier: per-attempt HTTP timeout and attempts per delivery (first try included). */
  NOTIFY_TIMEOUT_MS: v.coerce.number().int().positive(),
  NOTIFY_MAX_ATTEMPTS: v.coerce.number().int().min(1).max(10),
  /** Pipeline tasks' awsvpc settings: comma-separated subnet ids, security group ids, ENABLED/DISABLED. */
  TASK_SUBNETS: v.string().min(1),
  TASK_SECURITY_GROUPS: v.string().min(1),
  TASK_ASSIGN_PUBLIC_IP: v.enum(['ENABLED', 'DISABLED']),
  /** Region of the stack (Lambda sets AWS_REGION): console links in notifications. */
  AWS_REGION: v.string().min(1),
  /** Operations: the dead-letter queue URLs, JSON {"fan-in":url,"watcher":url,"start":url,"events"?:url}. */
  DEAD_LETTER_QUEUES: v.string().min(1),
  /** Operations and notices: the pipeline tasks' awslogs log group (streams `ecs/<container>/<task id>`). */
  TASK_LOG_GROUP: v.string().min(1),
} as const;

export type EnvName = keyof typeof ENV;

/** Reads and validates the named variables; throws ConfigError naming each one at fault. */
export function readEnv<K extends EnvName>(
  names: readonly K[],
  env: NodeJS.ProcessEnv = process.env,
): { [P in K]: v.Infer<(typeof ENV)[P]> } {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const name of names) {
    const raw = env[name];
    if (raw === undefined || raw === '') {
      problems.push(`${name} is not set`);
      continue;
    }
    const parsed = ENV[name].safeParse(raw);
    if (parsed.success) values[name] = parsed.data;
    else problems.push(`${name}="${raw}": ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  }
  if (problems.length) throw new ConfigError(`environment is incomplete: ${problems.join('; ')}`);
  return values as { [P in K]: v.Infer<(typeof ENV)[P]> };
}
