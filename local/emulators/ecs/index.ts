/** The local ECS: tasks and services on this machine (local-ecs.ts, services.ts) and its HTTP API (server.ts). */
export * from './local-ecs';
export { LocalEcsServices, ServiceError, type CreateServiceInput, type LocalService, type UpdateServiceInput } from './services';
export { startLocalEcs, type LocalEcsServer, type LocalEcsServerOptions } from './server';
export { AwsApiError, startAwsJsonServer, type RunningServer } from '../aws-json-server';
