/**
 * The registry from YAML text: for package time (stack/index.ts, and the esbuild plugin that
 * bundles it into functions already validated: scripts/esbuild-plugins.cjs) and tests.
 */
import { parse as parseYaml } from 'yaml';
import { RegistryError, validateRegistry } from './registry';
import type { Registry } from './schema';

export { indexRegistry } from './registry';

/** Parses and validates registry YAML; `source` names the file in messages. */
export function parseRegistry(text: string, source = 'pipelines.yml'): Registry {
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    throw new RegistryError(`${source}: not valid YAML: ${(error as Error).message}`, undefined, { cause: error });
  }
  return validateRegistry(raw, source);
}
