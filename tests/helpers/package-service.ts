/**
 * Runs `sls package` exactly as a user would (offline, no AWS credentials needed) into a
 * temporary folder and returns the compiled CloudFormation template.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { cachedPackage, packageInputsHash, slsPackage } from '../../scripts/package-stage';
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

/**
 * A stage with given params (no extra env or resources), packaged once per set of inputs and
 * kept in the system temp folder: every template test file asking for it reads the same package
 * (several template test files package `dev` as it is; each used to run `sls package` again).
 */
async function sharedPackage(stage: string, params: Record<string, string>): Promise<PackageResult> {
  const dir = await cachedPackage({
    // One cache per checkout: another clone's packages (other inputs) are not this one's to prune.
    cacheRoot: join(tmpdir(), 'ecs-pipelines-packages', createHash('sha256').update(projectRoot).digest('hex').slice(0, 8)),
    name: `${stage}-${createHash('sha256')
      .update(JSON.stringify(Object.entries(params).sort()))
      .digest('hex')
      .slice(0, 8)}`,
    hash: packageInputsHash(projectRoot, [stage, process.env.PIPELINES_FILE ?? '', Object.entries(params).sort()]),
    build: async (workDir) => {
      const { leftInTempDir } = await packageFresh({ stage, params }, workDir);
      writeFileSync(join(workDir, 'left-in-temp-dir.json'), JSON.stringify(leftInTempDir));
    },
  });
  const templatePath = join(dir, 'cloudformation-template-update-stack.json');
  const leftInTempDir = JSON.parse(readFileSync(join(dir, 'left-in-temp-dir.json'), 'utf8')) as string[];
  return { dir, templatePath, leftInTempDir, template: JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate };
}

export async function packageService(options: PackageOptions = {}): Promise<PackageResult> {
  const shareable = !options.env && !options.extraResources?.length;
  return shareable ? sharedPackage(options.stage ?? 'dev', options.params ?? {}) : packageFresh(options);
}

async function packageFresh(options: PackageOptions, dir = mkdtempSync(join(tmpdir(), 'sls-package-'))): Promise<PackageResult> {
  const config = options.extraResources?.length ? configWithResources(options.extraResources) : undefined;
  // Its own temp directory, so what this packaging leaves behind can be told apart from others'.
  const tempDir = mkdtempSync(join(tmpdir(), 'sls-tmp-'));
  let leftInTempDir: string[] = [];
  try {
    await slsPackage({
      root: projectRoot,
      stage: options.stage ?? 'dev',
      outDir: dir,
      params: options.params,
      args: config ? ['--config', basename(config)] : [],
      env: {
        // No credentials at all: packaging must not need an AWS account.
        AWS_ACCESS_KEY_ID: '',
        AWS_SECRET_ACCESS_KEY: '',
        AWS_PROFILE: 'no-such-profile-offline',
        TMPDIR: tempDir,
        ...options.env,
      },
    });
  } finally {
    if (config) rmSync(config, { force: true });
    leftInTempDir = readdirSync(tempDir);
    rmSync(tempDir, { recursive: true, force: true });
  }
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
