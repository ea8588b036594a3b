/**
 * The packaged CloudFormation template of the local stage: the one source of the local
 * cloud's resources and wiring. `sls package --stage local` takes seconds, so the result
 * is cached under .local-cloud/package/<hash of the inputs> and reused until serverless.yml,
 * functions/, resources/, statemachines/, stack/ (the generators), lib/registry/, pipelines.yml,
 * scripts/, patches/ or package.json change. Another registry (PIPELINES_FILE, or the cloud's
 * `pipelinesFile`) is packaged into a cache entry of its own.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import * as z from 'zod';

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

export class PackageError extends Error {
  override readonly name = 'PackageError';
}

/** Files whose content decides the template: a change to any re-packages. */
const INPUTS = [
  'serverless.yml',
  'pipelines.yml',
  'functions',
  'resources',
  'statemachines',
  'stack',
  'lib/registry',
  'scripts',
  'patches',
  'package.json',
];

function listFiles(root: string, entry: string): string[] {
  const path = join(root, entry);
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((child) => listFiles(root, relative(root, join(path, child.name))))
    .sort();
}

export function inputsHash(root: string, stage: string, registryFile?: string): string {
  const hash = createHash('sha256').update(stage);
  if (registryFile) hash.update(registryFile).update(readFileSync(registryFile));
  for (const file of INPUTS.flatMap((entry) => listFiles(root, entry))) {
    hash.update(relative(root, file)).update(readFileSync(file));
  }
  return hash.digest('hex').slice(0, 16);
}

function runPackage(root: string, stage: string, outDir: string, registryFile?: string): Promise<void> {
  const sls = join(root, 'node_modules', '.bin', 'sls');
  return new Promise((resolve, reject) => {
    execFile(
      sls,
      ['package', '--stage', stage, '--package', outDir],
      {
        cwd: root,
        // The stack and the functions' bundles take the registry from PIPELINES_FILE.
        env: {
          ...process.env,
          SLS_TELEMETRY_DISABLED: '1',
          SLS_NOTIFICATIONS_MODE: 'off',
          ...(registryFile ? { PIPELINES_FILE: registryFile } : {}),
        },
        maxBuffer: 16 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) {
          reject(
            new PackageError(
              `sls package --stage ${stage} failed (fix serverless.yml or pipelines.yml, then retry):\n${[stdout, stderr].join('\n').trim()}`,
              { cause: error },
            ),
          );
        } else resolve();
      },
    );
  });
}

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
  const cacheRoot = join(root, '.local-cloud', 'package');
  // One cache entry per stage and registry: clouds of other registries keep theirs.
  const prefix = registryFile ? `${stage}-registry-${createHash('sha256').update(registryFile).digest('hex').slice(0, 8)}-` : `${stage}-`;
  const dir = join(cacheRoot, `${prefix}${inputsHash(root, stage, registryFile)}`);
  if (!existsSync(join(dir, 'serverless-state.json'))) {
    log(
      `packaging the service (sls package --stage ${stage}); cached until serverless.yml, functions/, resources/ or pipelines.yml change`,
    );
    const work = `${dir}.tmp-${process.pid}-${Date.now()}`;
    mkdirSync(cacheRoot, { recursive: true });
    try {
      await runPackage(root, stage, work, registryFile);
      // Another process may have finished the same package first: either copy is fine.
      if (!existsSync(dir)) renameSync(work, dir);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
    for (const old of readdirSync(cacheRoot)) {
      const sameRegistry = registryFile ? old.startsWith(prefix) : old.startsWith(prefix) && !old.startsWith(`${stage}-registry-`);
      if (sameRegistry && join(cacheRoot, old) !== dir && !old.includes('.tmp-'))
        rmSync(join(cacheRoot, old), { recursive: true, force: true });
    }
  }
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
