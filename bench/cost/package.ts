/**
 * The stage's packaged template for the cost model: `sls package` offline (no AWS account),
 * cached under .cost/package/ by a hash of every input that decides the template (the stage,
 * region and parameters included), so a second `npm run cost` reads it at once.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { promisify } from 'node:util';
import type { Template } from './template';

const run = promisify(execFile);

/** What decides the template: serverless.yml and everything it reads or runs. */
const INPUTS = [
  'serverless.yml',
  'pipelines.yml',
  'functions',
  'resources',
  'statemachines',
  'stack',
  'lib',
  'handlers',
  'scripts',
  'patches',
  'package-lock.json',
];

function files(root: string, entry: string): string[] {
  const path = join(root, entry);
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [path];
  return readdirSync(path)
    .sort()
    .flatMap((child) => files(root, join(entry, child)));
}

export interface PackageRequest {
  root: string;
  stage: string;
  region: string;
  params: Record<string, string>;
  log?: (line: string) => void;
}

export function packageKey(request: Omit<PackageRequest, 'log'>): string {
  const hash = createHash('sha256').update(JSON.stringify([request.stage, request.region, Object.entries(request.params).sort()]));
  for (const file of INPUTS.flatMap((entry) => files(request.root, entry)))
    hash.update(relative(request.root, file)).update(readFileSync(file));
  return hash.digest('hex').slice(0, 16);
}

export async function packagedTemplate(request: PackageRequest): Promise<Template> {
  const cacheRoot = join(request.root, '.cost', 'package');
  const dir = join(cacheRoot, `${request.stage}-${packageKey(request)}`);
  const templateFile = join(dir, 'cloudformation-template-update-stack.json');
  if (!existsSync(templateFile)) {
    request.log?.(`packaging the ${request.stage} stage (sls package, offline; cached in .cost/package until its inputs change)`);
    mkdirSync(cacheRoot, { recursive: true });
    const work = `${dir}.tmp-${process.pid}`;
    const params = Object.entries(request.params).flatMap(([name, value]) => ['--param', `${name}=${value}`]);
    try {
      await run(
        join(request.root, 'node_modules', '.bin', 'sls'),
        ['package', '--stage', request.stage, '--region', request.region, '--package', work, ...params],
        {
          cwd: request.root,
          env: {
            ...process.env,
            SLS_TELEMETRY_DISABLED: '1',
            SLS_NOTIFICATIONS_MODE: 'off',
            SLS_ESBUILD_WORK_FOLDER: `.esbuild-cost-${process.pid}`,
          },
          maxBuffer: 64 * 1024 * 1024,
        },
      ).catch((error: Error & { stdout?: string; stderr?: string }) => {
        throw new Error(`sls package --stage ${request.stage} failed:\n${[error.stdout, error.stderr].filter(Boolean).join('\n').trim()}`, {
          cause: error,
        });
      });
      if (!existsSync(dir)) renameSync(work, dir);
      // One package per stage is kept: older inputs' packages only take space.
      for (const old of readdirSync(cacheRoot)) {
        if (old.startsWith(`${request.stage}-`) && !old.includes('.tmp-') && join(cacheRoot, old) !== dir)
          rmSync(join(cacheRoot, old), { recursive: true, force: true });
      }
    } finally {
      rmSync(work, { recursive: true, force: true });
      rmSync(join(request.root, `.esbuild-cost-${process.pid}`), { recursive: true, force: true });
    }
  }
  return JSON.parse(readFileSync(templateFile, 'utf8')) as Template;
}
