export * from './local-ecs';
export { startLocalEcs, type LocalEcsServer, type LocalEcsServerOptions } from './server';
export { AwsApiError, startAwsJsonServer, type RunningServer } from '../aws-json-server';
