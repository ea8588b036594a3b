/**
 * The parts of an ECS task description the run steps read: exit codes and stop reasons, and
 * what its cost is estimated from (size, capacity provider, architecture, billed times).
 * Step Functions hands it over in PascalCase (the `.sync` output and the `Cause` of a
 * failed `.sync` task), EventBridge and the ECS API in camelCase; both are accepted.
 */
import * as v from '../../shared/validation';

const ContainerSchema = v.looseObject({
  name: v.string().optional(),
  exitCode: v.number().int().nullish(),
  reason: v.string().nullish(),
  lastStatus: v.string().nullish(),
});

export const EcsTaskSchema = v.looseObject({
  taskArn: v.string().optional(),
  group: v.string().optional(),
  lastStatus: v.string().optional(),
  stopCode: v.string().nullish(),
  stoppedReason: v.string().nullish(),
  containers: v.array(ContainerSchema).default([]),
  /** CPU units and MiB, as strings ("512") in the API; numbers are accepted too. */
  cpu: v.union([v.string(), v.number()]).nullish(),
  memory: v.union([v.string(), v.number()]).nullish(),
  capacityProviderName: v.string().nullish(),
  /** Epoch milliseconds (Step Functions), or ISO text (EventBridge, the API as JSON). */
  createdAt: v.union([v.number(), v.string()]).nullish(),
  pullStartedAt: v.union([v.number(), v.string()]).nullish(),
  startedAt: v.union([v.number(), v.string()]).nullish(),
  stoppedAt: v.union([v.number(), v.string()]).nullish(),
  attributes: v.array(v.looseObject({ name: v.string(), value: v.string().nullish() })).nullish(),
});
export type EcsTask = v.Infer<typeof EcsTaskSchema>;
export type EcsContainer = v.Infer<typeof ContainerSchema>;

/** `StoppedReason` → `stoppedReason`, recursively: one schema for both casings. */
export function camelCaseKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(camelCaseKeys);
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value as Record<string, unknown>).map(([key, inner]) => [
      key.charAt(0).toLowerCase() + key.slice(1),
      camelCaseKeys(inner),
    ]),
  );
}

/** The task description in `value`, or undefined when it is not one (no task fields at all). */
export function parseEcsTask(value: unknown): EcsTask | undefined {
  const normalized = camelCaseKeys(value);
  if (normalized === null || typeof normalized !== 'object' || Array.isArray(normalized)) return undefined;
  const fields = normalized as Record<string, unknown>;
  if (!('containers' in fields) && !('stopCode' in fields) && !('stoppedReason' in fields) && !('taskArn' in fields)) return undefined;
  const parsed = EcsTaskSchema.safeParse(normalized);
  return parsed.success ? parsed.data : undefined;
}

/** A Step Functions error `Cause` is a string; for ECS failures it holds the task as JSON. */
export function parseEcsTaskCause(cause: string | undefined): EcsTask | undefined {
  if (!cause) return undefined;
  try {
    return parseEcsTask(JSON.parse(cause));
  } catch {
    // Not JSON: a plain-text cause (a container's own SendTaskFailure, a timeout). Not a task.
    return undefined;
  }
}

/** The pipeline's container, or the first container that failed, or the first one. */
export function mainContainer(task: EcsTask, containerName?: string): EcsContainer | undefined {
  return (
    task.containers.find((c) => containerName !== undefined && c.name === containerName) ??
    task.containers.find((c) => typeof c.exitCode === 'number' && c.exitCode !== 0) ??
    task.containers[0]
  );
}

/** A task timestamp in epoch milliseconds (numbers below 1e11 are taken as seconds). */
export function taskTime(value: number | string | null | undefined): number | undefined {
  if (value === null || value === undefined) return undefined;
  if (typeof value === 'number') return value < 1e11 ? value * 1000 : value;
  const parsed = Date.parse(value);
  return Number.isNaN(parsed) ? undefined : parsed;
}

/** The task's CPU architecture from its `ecs.cpu-architecture` attribute, when it has one. */
export function taskArchitecture(task: EcsTask): 'ARM64' | 'X86_64' | undefined {
  const value = task.attributes?.find((a) => a.name === 'ecs.cpu-architecture')?.value?.toLowerCase();
  return value === 'arm64' ? 'ARM64' : value === 'x86_64' ? 'X86_64' : undefined;
}
