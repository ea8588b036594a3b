/**
 * Runs `sls package` exactly as a user would (offline, no AWS credentials needed) into a
 * temporary folder and returns the compiled CloudFormation template.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
// The finder is shared with the npm test script, which is CommonJS.
const { findCfnLint } = require('../../scripts/cfn-lint.cjs') as { findCfnLint: () => string | undefined };

const run = promisify(execFile);
export const projectRoot = resolve(__dirname, '../..');

export interface CfnTemplate {
  Resources: Record<string, { Type: string; Properties?: any; Condition?: string; DependsOn?: unknown }>;
  Conditions?: Record<string, unknown>;
  Outputs?: Record<string, unknown>;
}

export interface PackageResult {
  dir: string;
  template: CfnTemplate;
  templatePath: string;
  /** What packaging left in its temp directory (its own, empty at the start): should be nothing. */
  leftInTempDir: string[];
}

export interface PackageOptions {
  stage?: string;
  env?: NodeJS.ProcessEnv;
  params?: Record<string, string>;
  /** Resource files (relative to the project) packaged after serverless.yml's own `resources:`. */
  extraResources?: string[];
}

/**
 * serverless.yml with more resource files, as a configuration of its own beside it (serverless
 * takes a configuration only from the service folder); the caller removes it.
 */
function configWithResources(files: string[]): string {
  const config = parseYaml(readFileSync(join(projectRoot, 'serverless.yml'), 'utf8')) as { resources: unknown[] };
  config.resources = [...config.resources, ...files.map((file) => `\${file(${file})}`)];
  const path = join(projectRoot, `serverless.test-${process.pid}-${Math.random().toString(36).slice(2, 8)}.json`);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
}

/**
 * Files whose content decides a packaging's result: the same inputs give the same package, so
 * test files that package the plain stage share one packaging (several template test files
 * package `dev` as it is; each used to run `sls package` again, several seconds each).
 */
const PACKAGE_INPUTS = [
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

function filesUnder(entry: string): string[] {
  const path = join(projectRoot, entry);
  if (!existsSync(path)) return [];
  if (statSync(path).isFile()) return [entry];
  return readdirSync(path, { withFileTypes: true })
    .flatMap((child) => filesUnder(join(entry, child.name)))
    .sort();
}

/**
 * Every optional part on, at production sizes (serverless.yml params; README "What it costs"):
 * what tests of the whole stack package. The plain `dev` stage is the lean development stage.
 */
export const FULL_STACK_PARAMS: Record<string, string> = {
  notifier: 'true',
  samples: 'true',
  alarmSet: 'full',
  containerInsights: 'enabled',
  streamMode: 'ON_DEMAND',
  logRetentionDays: '30',
};

function inputsHash(stage: string, params: Record<string, string>): string {
  const hash = createHash('sha256')
    .update(stage)
    .update(process.env.PIPELINES_FILE ?? '')
    .update(JSON.stringify(Object.entries(params).sort()));
  for (const file of PACKAGE_INPUTS.flatMap(filesUnder)) hash.update(file).update(readFileSync(join(projectRoot, file)));
  return hash.digest('hex').slice(0, 16);
}

/**
 * A stage with given params (no extra env or resources), packaged once per set of inputs and
 * kept in the system temp folder: every template test file asking for it reads the same package.
 */
async function sharedPackage(stage: string, params: Record<string, string>): Promise<PackageResult> {
  const cacheDir = join(tmpdir(), `ecs-pipelines-package-${inputsHash(stage, params)}`);
  const resultFile = join(cacheDir, 'package-result.json');
  if (existsSync(resultFile)) {
    const cached = JSON.parse(readFileSync(resultFile, 'utf8')) as Omit<PackageResult, 'template'>;
    return { ...cached, template: JSON.parse(readFileSync(cached.templatePath, 'utf8')) as CfnTemplate };
  }
  const result = await packageFresh({ stage, params });
  mkdirSync(cacheDir, { recursive: true });
  const { template: _template, ...rest } = result;
  // Written last and whole: a reader sees a complete package or none.
  const partial = `${resultFile}.${process.pid}`;
  writeFileSync(partial, JSON.stringify(rest));
  renameSync(partial, resultFile);
  return result;
}

export async function packageService(options: PackageOptions = {}): Promise<PackageResult> {
  const shareable = !options.env && !options.extraResources?.length;
  return shareable ? sharedPackage(options.stage ?? 'dev', options.params ?? {}) : packageFresh(options);
}

async function packageFresh(options: PackageOptions): Promise<PackageResult> {
  const dir = mkdtempSync(join(tmpdir(), 'sls-package-'));
  const config = options.extraResources?.length ? configWithResources(options.extraResources) : undefined;
  // Its own temp directory, so what this packaging leaves behind can be told apart from others'.
  let leftInTempDir: string[] = [];
  const tempDir = mkdtempSync(join(tmpdir(), 'sls-tmp-'));
  const params = Object.entries(options.params ?? {}).flatMap(([k, v]) => ['--param', `${k}=${v}`]);
  await run(
    join(projectRoot, 'node_modules/.bin/sls'),
    ['package', '--stage', options.stage ?? 'dev', '--package', dir, ...(config ? ['--config', basename(config)] : []), ...params],
    {
      cwd: projectRoot,
      env: {
        ...process.env,
        // No credentials at all: packaging must not need an AWS account.
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_PROFILE: 'no-such-profile-offline',
        SLS_TELEMETRY_DISABLED: '1',
        SLS_NOTIFICATIONS_MODE: 'off',
        TMPDIR: tempDir,
        // Its own esbuild work folder, so packagings in parallel test workers do not collide.
        SLS_ESBUILD_WORK_FOLDER: `.esbuild-${process.pid}-${Math.random().toString(36).slice(2, 8)}`,
        ...options.env,
      },
      maxBuffer: 64 * 1024 * 1024,
    },
  )
    .catch((error: Error & { stdout?: string; stderr?: string }) => {
      // Keep serverless' own explanation: it names what failed to resolve or validate.
      error.message = `${error.message}\n${error.stdout ?? ''}\n${error.stderr ?? ''}`;
      throw error;
    })
    .finally(() => {
      if (config) rmSync(config, { force: true });
      leftInTempDir = readdirSync(tempDir);
      rmSync(tempDir, { recursive: true, force: true });
    });
  const templatePath = join(dir, 'cloudformation-template-update-stack.json');
  return { dir, templatePath, leftInTempDir, template: JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate };
}

/** Runs cfn-lint on a template; resolves with its findings split into errors and warnings. */
export async function cfnLint(templatePath: string): Promise<{ errors: string[]; warnings: string[] }> {
  const command = findCfnLint();
  if (!command) throw new Error('cfn-lint is not installed: `npm test` installs it (scripts/ensure-cfn-lint.cjs), or pip install cfn-lint');
  try {
    await run(command, ['--format', 'parseable', templatePath], { maxBuffer: 16 * 1024 * 1024 });
    return { errors: [], warnings: [] };
  } catch (error) {
    const out = String((error as { stdout?: string }).stdout ?? '');
    const lines = out.split('\n').filter(Boolean);
    // parseable format: file:line:col:line:col:RULE:message
    return {
      errors: lines.filter((line) => /:E\d{4}:/.test(line)),
      warnings: lines.filter((line) => /:W\d{4}:/.test(line)),
    };
  }
}
