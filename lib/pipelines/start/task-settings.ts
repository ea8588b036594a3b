/** The run's task settings, resolved once from the registry into the execution input. */
import type { ExecutionInput, RunTaskSettings } from '../../contracts/messages';
import { ec2CapacityProviderName } from '../../contracts/stack-names';
import { taskDefinitionOf } from '../../registry/pipeline-index';
import type { Pipeline } from '../../registry/schema';

export interface StackNames {
  service: string;
  stage: string;
}

export function resolveTaskSettings(
  name: string,
  pipeline: Pipeline,
  { service, stage }: StackNames,
): Pick<ExecutionInput, 'task' | 'shards' | 'alarms'> {
  const { task } = pipeline;
  const settings: RunTaskSettings = {
    taskDefinition: `${service}-${stage}-${taskDefinitionOf(name, pipeline)}`,
    container: task.container,
    ...(task.command ? { command: task.command } : {}),
    cpu: task.cpu,
    memory: task.memory,
    shards: task.shards,
    maxConcurrency: task.maxConcurrency ?? task.shards,
    launch: task.launch,
    timeoutSeconds: task.timeoutSeconds,
    // Sync tasks have no heartbeat of their own; the registry requires one for callbacks.
    heartbeatSeconds: task.heartbeatSeconds ?? task.timeoutSeconds,
    architecture: task.architecture,
    capacity: task.capacity,
    capacityProvider:
      task.capacity === 'ec2' ? ec2CapacityProviderName(service, stage) : task.capacity === 'fargate-spot' ? 'FARGATE_SPOT' : 'FARGATE',
    ...(task.placement ? { placement: task.placement } : {}),
    environment: Object.entries(task.environment).map(([name, value]) => ({ name, value })),
    retry: task.retry,
  };
  return {
    task: settings,
    shards: Array.from({ length: task.shards }, (_, index) => ({ index, count: task.shards })),
    alarms: {
      ...(pipeline.alarms.maxRuntimeSeconds !== undefined ? { maxRuntimeSeconds: pipeline.alarms.maxRuntimeSeconds } : {}),
      ...(pipeline.alarms.maxRecordsAffected !== undefined ? { maxRecordsAffected: pipeline.alarms.maxRecordsAffected } : {}),
      ...(pipeline.alarms.maxRunCostUsd !== undefined ? { maxRunCostUsd: pipeline.alarms.maxRunCostUsd } : {}),
    },
  };
}
