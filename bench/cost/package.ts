/**
 * The stage's packaged template for the cost model: `sls package` offline (no AWS account),
 * cached under .cost/package/ by a hash of every input that decides the template (the stage,
 * region and parameters included), so a second `npm run cost` reads it at once.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { cachedPackage, packageInputsHash, slsPackage } from '../../scripts/package-stage';
import type { Template } from './template';

export interface PackageRequest {
  root: string;
  stage: string;
  region: string;
  params: Record<string, string>;
  log?: (line: string) => void;
}

export async function packagedTemplate(request: PackageRequest): Promise<Template> {
  const { root, stage, region, params } = request;
  const dir = await cachedPackage({
    cacheRoot: join(root, '.cost', 'package'),
    name: stage,
    hash: packageInputsHash(root, [stage, region, Object.entries(params).sort()]),
    log: request.log,
    reason: `packaging the ${stage} stage (sls package, offline; cached in .cost/package until its inputs change)`,
    build: (workDir) => slsPackage({ root, stage, region, params, outDir: workDir }),
  });
  return JSON.parse(readFileSync(join(dir, 'cloudformation-template-update-stack.json'), 'utf8')) as Template;
}
