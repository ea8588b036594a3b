/** Local ECS services for the notifier demo and tests; see registry.ts, api.ts, server.ts, processes.ts. */
export { LocalEcsRegistry } from './registry';
export type { LocalContainerDefinition, LocalService, LocalTask, LocalTaskDefinition } from './registry';
export { ecsServicesRoute, ECS_TARGET_PREFIX, SERVED_OPERATIONS, LocalEcsError } from './api';
export { startLocalEcsServicesServer } from './server';
export type { LocalEcsServicesServer } from './server';
export { startServiceProcesses, loopbackAllocator } from './processes';
export type { RunningService, ServiceProcessSpec } from './processes';
