/**
 * The project root (the folder with serverless.yml), found by walking up from here. The entry
 * points run bundled (scripts/run-ts.mjs) or under jest, so a fixed number of '..' would
 * depend on how they were started.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

export function findProjectRoot(start: string = __dirname): string {
  for (let dir = start; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'serverless.yml'))) return dir;
    if (dirname(dir) === dir) throw new Error(`no serverless.yml in ${start} or any folder above it: run this from inside the project`);
  }
}

export const projectRoot = findProjectRoot();
