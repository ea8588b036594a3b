/**
 * The packaged CloudFormation template of the local stage: the one source of the local
 * cloud's resources and wiring. `sls package --stage local` takes seconds, so the result
 * is cached under .local-cloud/package/<hash of the inputs> and reused until serverless.yml,
 * functions/, resources/, statemachines/, stack/ (the generators), lib/ (what they import),
 * pipelines.yml, scripts/, patches/ or the packages change. Another registry (PIPELINES_FILE, or the cloud's
 * `pipelinesFile`) is packaged into a cache entry of its own.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as z from 'zod';
import { cachedPackage, PACKAGE_INPUTS, PackageError, packageInputsHash, slsPackage } from '../../scripts/package-stage';

export const ResourceSchema = z.looseObject({
  Type: z.string(),
  Properties: z.record(z.string(), z.unknown()).optional(),
  Condition: z.string().optional(),
});
export const TemplateSchema = z.looseObject({
  Resources: z.record(z.string(), ResourceSchema),
  Conditions: z.record(z.string(), z.unknown()).optional(),
  Mappings: z.record(z.string(), z.unknown()).optional(),
  Outputs: z.record(z.string(), z.unknown()).optional(),
});
export type Template = z.infer<typeof TemplateSchema>;
export type TemplateResource = z.infer<typeof ResourceSchema>;

export interface PackagedService {
  template: Template;
  service: string;
  stage: string;
  region: string;
  stackName: string;
  /** Where the package lives (zips, state, template). */
  dir: string;
}

export { PackageError };

/**
 * Files whose content decides the local stage's template: the stack's generators import lib/
 * (registry, contracts, notices); handlers/ only decide bundles, which the local cloud does not
 * use (it runs the handlers from source).
 */
const LOCAL_INPUTS = PACKAGE_INPUTS.filter((entry) => entry !== 'handlers');

function readPackage(dir: string, stage: string): PackagedService {
  const templateFile = join(dir, 'cloudformation-template-update-stack.json');
  const template = TemplateSchema.parse(JSON.parse(readFileSync(templateFile, 'utf8')));
  const state = z
    .looseObject({ service: z.looseObject({ service: z.string(), provider: z.looseObject({ region: z.string(), stage: z.string() }) }) })
    .parse(JSON.parse(readFileSync(join(dir, 'serverless-state.json'), 'utf8')));
  const service = state.service.service;
  return { template, service, stage, region: state.service.provider.region, stackName: `${service}-${stage}`, dir };
}

/**
 * The packaged template for the stage, packaging only when the inputs changed since the last
 * time. `registryFile`: another registry than pipelines.yml.
 */
export async function loadPackagedService(
  root: string,
  stage = 'local',
  log: (line: string) => void = () => undefined,
  registryFile?: string,
): Promise<PackagedService> {
  // One cache entry per stage and registry: clouds of other registries keep theirs.
  const name = registryFile ? `${stage}-registry-${createHash('sha256').update(registryFile).digest('hex').slice(0, 8)}` : stage;
  const registry = registryFile ? readFileSync(registryFile, 'utf8') : undefined;
  const dir = await cachedPackage({
    cacheRoot: join(root, '.local-cloud', 'package'),
    name,
    hash: packageInputsHash(root, [stage, registryFile, registry], LOCAL_INPUTS),
    log,
    reason: `packaging the service (sls package --stage ${stage}); cached until serverless.yml, functions/, resources/, stack/, lib/ or pipelines.yml change`,
    // The stack and the functions' bundles take the registry from PIPELINES_FILE.
    build: (workDir) => slsPackage({ root, stage, outDir: workDir, env: registryFile ? { PIPELINES_FILE: registryFile } : {} }),
  });
  return readPackage(dir, stage);
}

/** Per logical id, properties to merge into the resource (objects merge, anything else replaces). */
export type ResourceOverrides = Record<string, { Properties?: Record<string, unknown> }>;

function merge(base: unknown, patch: unknown): unknown {
  if (
    patch === null ||
    typeof patch !== 'object' ||
    Array.isArray(patch) ||
    base === null ||
    typeof base !== 'object' ||
    Array.isArray(base)
  )
    return patch;
  const out: Record<string, unknown> = { ...(base as Record<string, unknown>) };
  for (const [key, value] of Object.entries(patch)) out[key] = merge(out[key], value);
  return out;
}

/** A copy of the template with the overrides merged in; naming a resource it lacks is an error. */
export function applyResourceOverrides(template: Template, overrides: ResourceOverrides): Template {
  const resources = { ...template.Resources };
  for (const [id, override] of Object.entries(overrides)) {
    const resource = resources[id];
    if (!resource) throw new Error(`resourceOverrides names ${id}, which is not a logical id of the packaged template`);
    resources[id] = merge(resource, override) as TemplateResource;
  }
  return { ...template, Resources: resources };
}
