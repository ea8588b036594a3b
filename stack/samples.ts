/**
 * What a stage deploys of the registry: everything, less the entries marked `sample: true`
 * unless the stage asks for samples (param samples). Today that is the sample queue service,
 * whose service keeps Fargate tasks running all day; the sample pipelines cost nothing idle
 * and stay (their task definition and grants are generated like any pipeline's).
 */
import { indexRegistry, type PipelineIndex } from '../lib/registry/registry';

export function deployedIndex(index: PipelineIndex, options: { samples: boolean }): PipelineIndex {
  if (options.samples || !index.registry.queueServices) return index;
  const queueServices = Object.fromEntries(Object.entries(index.registry.queueServices).filter(([, service]) => !service.sample));
  return indexRegistry({ ...index.registry, queueServices });
}
