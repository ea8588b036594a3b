/**
 * `sls package` of one stage, offline (no AWS account), and a cache of its result keyed by a
 * hash of every input that decides it: the one packaging used by the local cloud
 * (local/cloud/template.ts), the cost model (bench/cost) and the template tests
 * (tests/helpers/package-service.ts). Packaging takes seconds to a minute; the same inputs
 * give the same template, so each of them packages once per change of its inputs.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

/** Files and folders (relative to the project) whose content decides a packaging's result. */
export const PACKAGE_INPUTS = [
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
  'package.json',
  'package-lock.json',
];

function filesUnder(root: string, entry: string): string[] {
  const path = join(root, entry);
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [entry];
  return readdirSync(path)
    .sort()
    .flatMap((child) => filesUnder(root, join(entry, child)));
}

/**
 * A hash of the inputs' paths and contents and of `settings` (stage, region, parameters, the
 * registry file's path: anything else the result depends on).
 */
export function packageInputsHash(root: string, settings: unknown, inputs: readonly string[] = PACKAGE_INPUTS): string {
  const hash = createHash('sha256').update(JSON.stringify(settings));
  for (const file of inputs.flatMap((entry) => filesUnder(root, entry))) hash.update(file).update(readFileSync(join(root, file)));
  return hash.digest('hex').slice(0, 16);
}

export interface SlsPackageOptions {
  root: string;
  stage: string;
  /** Where the package goes (`sls package --package`). */
  outDir: string;
  region?: string;
  params?: Record<string, string>;
  /** More command-line arguments (`--config <file>`). */
  args?: string[];
  /** Merged over the process' environment. */
  env?: NodeJS.ProcessEnv;
}

export class PackageError extends Error {
  override readonly name = 'PackageError';
}

/** Runs `sls package`; a failure carries serverless' own explanation (what failed to resolve or validate). */
export function slsPackage(options: SlsPackageOptions): Promise<void> {
  const params = Object.entries(options.params ?? {}).flatMap(([name, value]) => ['--param', `${name}=${value}`]);
  const args = [
    'package',
    '--stage',
    options.stage,
    ...(options.region ? ['--region', options.region] : []),
    '--package',
    options.outDir,
    ...params,
    ...(options.args ?? []),
  ];
  // Its own esbuild work folder, so packagings running at once in one project do not collide.
  const workFolder = `.esbuild-package-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
  return new Promise<void>((resolve, reject) => {
    execFile(
      join(options.root, 'node_modules', '.bin', 'sls'),
      args,
      {
        cwd: options.root,
        env: {
          ...process.env,
          SLS_TELEMETRY_DISABLED: '1',
          SLS_NOTIFICATIONS_MODE: 'off',
          SLS_ESBUILD_WORK_FOLDER: workFolder,
          ...options.env,
        },
        maxBuffer: 64 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        rmSync(join(options.root, workFolder), { recursive: true, force: true });
        if (!error) return resolve();
        const told = [stdout, stderr].join('\n').trim();
        reject(
          new PackageError(`sls package --stage ${options.stage} failed (fix serverless.yml or pipelines.yml, then retry):\n${told}`, {
            cause: error,
          }),
        );
      },
    );
  });
}

export interface CachedPackageOptions {
  /** The folder holding the cache's entries. */
  cacheRoot: string;
  /** The entry's name before its hash; older entries of the same name are removed. */
  name: string;
  /** The inputs' hash (packageInputsHash). */
  hash: string;
  /** Packages into the folder given (slsPackage, and whatever else belongs with the result). */
  build: (workDir: string) => Promise<void>;
  log?: (line: string) => void;
  /** Shown before packaging. */
  reason?: string;
}

/**
 * The cache entry's folder, built first when it is not there. Built in a folder of its own and
 * renamed whole: a reader sees a complete package or none, and processes packaging the same
 * inputs at once both succeed (either copy is kept).
 */
export async function cachedPackage(options: CachedPackageOptions): Promise<string> {
  const dir = join(options.cacheRoot, `${options.name}-${options.hash}`);
  if (existsSync(dir)) return dir;
  options.log?.(options.reason ?? `packaging (sls package); cached in ${options.cacheRoot} until its inputs change`);
  mkdirSync(options.cacheRoot, { recursive: true });
  const work = `${dir}.tmp-${process.pid}-${Date.now()}`;
  try {
    await options.build(work);
    if (!existsSync(dir)) renameSync(work, dir);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  // One entry per name: older inputs' packages only take space.
  const entry = /^(.*)-[0-9a-f]{16}$/;
  for (const old of readdirSync(options.cacheRoot)) {
    if (old.match(entry)?.[1] === options.name && join(options.cacheRoot, old) !== dir)
      rmSync(join(options.cacheRoot, old), { recursive: true, force: true });
  }
  return dir;
}
