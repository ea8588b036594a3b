import registryData from '../../pipelines.yml';
import { indexRegistry, validateRegistry, type PipelineIndex } from './registry';

export * from './registry';
export * from './schema';
export { compilePattern, matchPattern, patternsOverlap } from './patterns';
export { validateScheduleExpression } from './schedule-expression';

let cached: PipelineIndex | undefined;

/** The registry bundled with the function, validated once per cold start. */
export function pipelines(): PipelineIndex {
  cached ??= indexRegistry(validateRegistry(registryData, 'pipelines.yml'));
  return cached;
}
