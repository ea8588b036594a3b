import './polyfill';

export * from './local-sfn';
export { startLocalStepFunctions, type LocalStepFunctionsServer, type LocalStepFunctionsServerOptions } from './server';
export {
  TaskError,
  splitResource,
  type Integrations,
  type JsonValue,
  type LocalLambda,
  type SnsPublisher,
  type TaskCall,
  type TaskResolver,
} from './integrations';
export { InvalidDefinitionError, parseDefinition, type TaskStateInfo } from './definition';
export { SfnError } from './errors';
