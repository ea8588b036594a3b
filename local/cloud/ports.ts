/**
 * Where each local service listens. `npm run local` uses fixed ports from a base
 * (LOCAL_CLOUD_PORT_BASE, default 4580) so `sls invoke local --stage local` and the AWS CLI
 * find them; tests pass base 0 and get free ports.
 */
/**
 * `monitoring` serves SNS, CloudWatch and Application Auto Scaling (local/emulators/monitoring-server.ts);
 * `events` the EventBridge API (PutEvents, local/emulators/eventbridge).
 */
export const SERVICE_ORDER = [
  's3',
  'kinesis',
  'dynamodb',
  'sqs',
  'sfn',
  'ecs',
  'console',
  'secretsmanager',
  'monitoring',
  'events',
] as const;
export type LocalService = (typeof SERVICE_ORDER)[number];

export const DEFAULT_PORT_BASE = 4580;

export function portsFrom(base: number): Record<LocalService, number> {
  return Object.fromEntries(SERVICE_ORDER.map((service, i) => [service, base === 0 ? 0 : base + i])) as Record<LocalService, number>;
}

export function portBaseFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const raw = env.LOCAL_CLOUD_PORT_BASE;
  if (raw === undefined || raw === '') return DEFAULT_PORT_BASE;
  const base = Number(raw);
  if (!Number.isInteger(base) || base < 0 || base > 65535 - SERVICE_ORDER.length) {
    throw new Error(`LOCAL_CLOUD_PORT_BASE="${raw}" must be a port number (0 picks free ports)`);
  }
  return base;
}
