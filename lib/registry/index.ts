/**
 * The registry as functions see it: pipelines.yml validated when the function was bundled
 * (scripts/esbuild-plugins.cjs runs validateRegistry and ships its result, defaults filled
 * in), so a bad registry fails `sls package` and a cold start only indexes it.
 */
import registryData from '../../pipelines.yml';
import { indexRegistry, type PipelineIndex } from './pipeline-index';
import type { Registry } from './schema';

export * from './pipeline-index';
export type * from './schema';

let cached: PipelineIndex | undefined;

/** The registry bundled with the function, indexed once per cold start. */
export function pipelines(): PipelineIndex {
  // Validated at build time: the bundler and the test transform ship validateRegistry's output.
  cached ??= indexRegistry(registryData as Registry);
  return cached;
}
