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
