/**
 * npm run deploy -- --stage <stage> [--region <region>] [--dry-run] [other sls deploy options]
 * Builds and pushes the images pipelines.yml builds, then deploys with their digests
 * (scripts/deploy/deploy.ts). PIPELINES_FILE names another registry; DOCKER another docker CLI.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { parse as parseYaml } from 'yaml';
import { parseRegistry } from '../../lib/registry/parse-registry';
import { RegistryError } from '../../lib/registry/registry';
import { deploy, DeployError, dryRun, planDeploy, type DeployTools } from './deploy';

const root = resolve(__dirname, '../..');

function parseArgs(argv: string[]): { stage: string; region: string; dryRun: boolean; passThrough: string[] } {
  let stage = 'dev';
  let region = 'us-east-1';
  let dry = false;
  const passThrough: string[] = [];
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i]!;
    const value = () => {
      const next = argv[i + 1];
      if (next === undefined || next.startsWith('--')) throw new DeployError(`${arg} needs a value`);
      i += 1;
      return next;
    };
    if (arg === '--stage' || arg === '-s') stage = value();
    else if (arg === '--region' || arg === '-r') region = value();
    else if (arg === '--dry-run') dry = true;
    else if (arg.startsWith('--stage=')) stage = arg.slice('--stage='.length);
    else if (arg.startsWith('--region=')) region = arg.slice('--region='.length);
    else passThrough.push(arg);
  }
  return { stage, region, dryRun: dry, passThrough };
}

/** The `service:` of serverless.yml (a plain value there), read with a YAML parser. */
function serviceName(): string {
  // CloudFormation's short tags (!Ref, !GetAtt) are kept as plain values: only `service` is read.
  const config = parseYaml(readFileSync(join(root, 'serverless.yml'), 'utf8'), { logLevel: 'silent' }) as { service?: unknown };
  if (typeof config?.service !== 'string' || !/^[\w-]+$/.test(config.service))
    throw new DeployError('serverless.yml has no plain `service:` name');
  return config.service;
}

function buildId(now: Date): string {
  const stamp = now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
  const commit = spawnSync('git', ['rev-parse', '--short=8', 'HEAD'], { cwd: root, encoding: 'utf8' });
  return commit.status === 0 ? `${stamp}-${commit.stdout.trim()}` : stamp;
}

/** Runs a program with its output shown as it comes, and kept for error messages. */
function run(
  command: string,
  args: string[],
  options?: { input?: string; quiet?: boolean },
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((done) => {
    const child = spawn(command, args, { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk;
      if (!options?.quiet) process.stdout.write(chunk);
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk;
      if (!options?.quiet) process.stderr.write(chunk);
    });
    child.on('error', (error: NodeJS.ErrnoException) =>
      done({ code: error.code === 'ENOENT' ? 127 : 1, stdout, stderr: stderr || error.message }),
    );
    child.on('close', (code) => done({ code: code ?? 1, stdout, stderr }));
    child.stdin.end(options?.input ?? '');
  });
}

const tools: DeployTools = {
  run,
  async stackOutput(stackName, region, key) {
    try {
      const { Stacks } = await new CloudFormationClient({ region }).send(new DescribeStacksCommand({ StackName: stackName }));
      return Stacks?.[0]?.Outputs?.find((output) => output.OutputKey === key)?.OutputValue;
    } catch (error) {
      if ((error as Error).name === 'ValidationError' && /does not exist/.test((error as Error).message)) return undefined;
      throw error;
    }
  },
  async ecrLogin(region) {
    const { authorizationData } = await new ECRClient({ region }).send(new GetAuthorizationTokenCommand({}));
    const data = authorizationData?.[0];
    if (!data?.authorizationToken || !data.proxyEndpoint) throw new DeployError('ECR returned no authorization token');
    const [username, password] = Buffer.from(data.authorizationToken, 'base64').toString('utf8').split(':') as [string, string];
    return { registry: data.proxyEndpoint.replace(/^https:\/\//, ''), username, password };
  },
  readDigest(file) {
    const digest = (JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>)['containerimage.digest'];
    if (typeof digest !== 'string' || !digest.startsWith('sha256:'))
      throw new DeployError(`docker buildx wrote no image digest to ${file}`);
    return digest;
  },
  metadataFile: (build) => join(mkdtempSync(join(tmpdir(), 'image-build-')), `${build.tag}.json`),
  log: (line) => console.log(line),
  docker: process.env.DOCKER || 'docker',
  sls: join(root, 'node_modules', '.bin', 'sls'),
};

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const registry = parseRegistry(readFileSync(process.env.PIPELINES_FILE || join(root, 'pipelines.yml'), 'utf8'));
  const plan = planDeploy(registry, {
    service: serviceName(),
    stage: args.stage,
    region: args.region,
    buildId: buildId(new Date()),
    passThrough: args.passThrough,
  });
  if (args.dryRun) {
    console.log(`Dry run: the commands npm run deploy would run for stage ${plan.stage} (${plan.region}); nothing runs.`);
    for (const line of dryRun(plan, { ...tools, sls: 'npx sls' })) console.log(line);
    return;
  }
  const images = await deploy(plan, tools);
  if (images) console.log(`Deployed stage ${plan.stage} with images ${images}`);
}

main().catch((error: Error) => {
  if (error instanceof DeployError || error instanceof RegistryError) {
    console.error(`\nnpm run deploy: ${error.message}\n`);
    process.exit(1);
  }
  console.error(error);
  process.exit(1);
});
