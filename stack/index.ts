/**
 * What `sls package` runs from stack/ (bundled in memory by stack/load.cjs): the registry
 * read and validated with the zod schema the functions use, the variables serverless
 * resolves from it, and the generator that completes the compiled template.
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { indexRegistry, parseRegistry } from '../lib/registry/parse-registry';
import type { PipelineIndex } from '../lib/registry/registry';

export { generateStack } from './generate';
export { checkNameLengths, functionRoleNames } from './names';
export { registryVariables } from './variables';
export { deployedIndex } from './samples';

/** pipelines.yml (or the file given), validated; a bad registry throws RegistryError naming pipeline and field. */
export function loadRegistry(file: string, root: string): PipelineIndex {
  return indexRegistry(parseRegistry(readFileSync(file, 'utf8'), relative(root, file) || file));
}
