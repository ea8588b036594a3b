/** Test helpers for the pipeline registry. */
import { parseRegistry } from '../../lib/registry/parse-registry';
import { RegistryError } from '../../lib/registry/registry';

/** The problems a registry text is rejected with; fails the test if it is accepted. */
export function registryProblems(text: string): string[] {
  try {
    parseRegistry(text);
  } catch (error) {
    if (error instanceof RegistryError) return error.problems;
    throw error;
  }
  throw new Error('registry was accepted');
}

/** A valid pipeline entry with the fields a pipeline needs and no more: one file, a sync task. */
export function minimalPipeline(): Record<string, any> {
  return {
    trigger: { files: { orders: 'in/orders-{date}.csv' }, windowMinutes: 60 },
    task: {
      taskDefinition: 'sample',
      container: 'app',
      image: 'example.com/app:1',
      cpu: 256,
      memory: 512,
      launch: 'sync',
      timeoutSeconds: 600,
    },
  };
}
