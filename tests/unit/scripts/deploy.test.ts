/**
 * `npm run deploy`: one docker buildx build per distinct image and architecture, pushed to the
 * stack's repository and deployed by digest; without Docker it stops before anything changes;
 * a dry run prints the commands. The order of what it does is checked through fake tools; the
 * command itself runs as a process for the dry run and the missing Docker.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseRegistry } from '../../../lib/registry/parse-registry';
import { deploy, DeployError, dryRun, planDeploy, type DeployPlan, type DeployTools } from '../../../scripts/deploy/deploy';

const root = resolve(__dirname, '../../..');
const shipped = parseRegistry(readFileSync(join(root, 'pipelines.yml'), 'utf8'));
const options = { service: 'ecs-pipelines', stage: 'dev', region: 'eu-west-1', buildId: '20261205T100000Z' };
const DIGEST = `sha256:${'a'.repeat(64)}`;
const REPOSITORY = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/ecs-pipelines-dev-imagerepository-abc';

const pipeline = (task: Record<string, unknown>) => ({
  schedule: { expression: 'rate(1 hour)' },
  task: { container: 'app', cpu: 256, memory: 512, launch: 'sync', timeoutSeconds: 600, ...task },
});

/** Fake tools that record every call; `docker` answers as told. */
function fakeTools(docker: { buildx?: number; daemon?: number } = {}, outputs: Array<string | undefined> = [REPOSITORY]) {
  const calls: string[] = [];
  const tools: DeployTools = {
    docker: 'docker',
    sls: 'sls',
    async run(command, args, opts) {
      calls.push(`${command} ${args.join(' ')}${opts?.input ? ` <<< ${opts.input}` : ''}`);
      if (args[0] === 'buildx' && args[1] === 'version')
        return { code: docker.buildx ?? 0, stdout: '', stderr: docker.buildx === 1 ? 'docker: unknown command: docker buildx' : '' };
      if (args[0] === 'info')
        return {
          code: docker.daemon ?? 0,
          stdout: '',
          stderr: docker.daemon ? 'Cannot connect to the Docker daemon at unix:///var/run/docker.sock' : '',
        };
      return { code: 0, stdout: '', stderr: '' };
    },
    async stackOutput(stack, region, key) {
      calls.push(`output ${key} of ${stack} in ${region}`);
      return outputs.shift();
    },
    async ecrLogin(region) {
      calls.push(`ecr token in ${region}`);
      return { registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com', username: 'AWS', password: 'token' };
    },
    readDigest: () => DIGEST,
    metadataFile: (build) => `/tmp/${build.tag}.json`,
    log: () => undefined,
  };
  return { tools, calls };
}

describe('planDeploy', () => {
  it('builds the shipped sample image once, for ARM64, from the project root', () => {
    const plan = planDeploy(shipped, options);
    expect(plan.builds).toEqual([
      {
        taskDefinitions: ['sample-pipeline'],
        platform: 'linux/arm64',
        context: '.',
        dockerfile: 'container/Dockerfile',
        tag: 'sample-pipeline-20261205T100000Z',
      },
    ]);
  });

  it('builds once per distinct build and architecture, and nothing for image URIs', () => {
    const registry = parseRegistry(
      JSON.stringify({
        pipelines: {
          a: pipeline({ image: { build: { context: 'jobs', target: 'a' } }, architecture: 'ARM64' }),
          b: pipeline({ image: { build: { context: 'jobs', target: 'a' } }, architecture: 'ARM64' }),
          c: pipeline({ image: { build: { context: 'jobs', target: 'a' } }, architecture: 'X86_64' }),
          d: pipeline({ image: 'public.ecr.aws/docker/library/node:22-slim' }),
        },
      }),
    );
    const plan = planDeploy(registry, options);
    expect(plan.builds.map((b) => [b.taskDefinitions, b.platform, b.dockerfile, b.target])).toEqual([
      [['a', 'b'], 'linux/arm64', 'jobs/Dockerfile', 'a'],
      [['c'], 'linux/amd64', 'jobs/Dockerfile', 'a'],
    ]);
  });
});

describe('deploy', () => {
  const plan = (): DeployPlan => planDeploy(shipped, { ...options, passThrough: ['--verbose'] });

  it('stops before anything changes when Docker is missing, saying what to do', async () => {
    const { tools, calls } = fakeTools({ buildx: 127 });
    await expect(deploy(plan(), tools)).rejects.toThrow(DeployError);
    await expect(deploy(plan(), fakeTools({ buildx: 127 }).tools)).rejects.toThrow(
      'pipelines.yml builds the image of sample-pipeline (task.image.build), which needs Docker, and "docker" is not installed or not on the PATH: install Docker with buildx, or set task.image to an image URI you push yourself. Nothing was pushed or deployed.',
    );
    expect(calls).toEqual(['docker buildx version']);
  });

  it('stops when buildx or the daemon is missing, before asking AWS anything', async () => {
    const buildx = fakeTools({ buildx: 1 });
    await expect(deploy(plan(), buildx.tools)).rejects.toThrow(
      'which needs docker buildx, and "docker buildx version" failed (docker: unknown command: docker buildx): install the buildx plugin',
    );
    const daemon = fakeTools({ daemon: 1 });
    await expect(deploy(plan(), daemon.tools)).rejects.toThrow(
      'the Docker daemon does not answer (Cannot connect to the Docker daemon at unix:///var/run/docker.sock): start Docker',
    );
    expect(daemon.calls).toEqual(['docker buildx version', 'docker info --format {{.ServerVersion}}']);
  });

  it('logs in, builds for the architecture, pushes and deploys with the digest', async () => {
    const { tools, calls } = fakeTools();
    const images = await deploy(plan(), tools);
    expect(images).toBe(`sample-pipeline=${DIGEST}`);
    expect(calls).toEqual([
      'docker buildx version',
      'docker info --format {{.ServerVersion}}',
      'output ImageRepositoryUri of ecs-pipelines-dev in eu-west-1',
      'ecr token in eu-west-1',
      'docker login --username AWS --password-stdin 123456789012.dkr.ecr.eu-west-1.amazonaws.com <<< token',
      `docker buildx build --platform linux/arm64 --file container/Dockerfile --tag ${REPOSITORY}:sample-pipeline-20261205T100000Z --provenance=false --push --metadata-file /tmp/sample-pipeline-20261205T100000Z.json .`,
      `sls deploy --stage dev --region eu-west-1 --param images=sample-pipeline=${DIGEST} --verbose`,
    ]);
  });

  it('creates the repository with a first deploy when the stack has none yet', async () => {
    const { tools, calls } = fakeTools({}, [undefined, REPOSITORY]);
    await deploy(plan(), tools);
    expect(calls.slice(2, 5)).toEqual([
      'output ImageRepositoryUri of ecs-pipelines-dev in eu-west-1',
      'sls deploy --stage dev --region eu-west-1 --param images=first-deploy --verbose',
      'output ImageRepositoryUri of ecs-pipelines-dev in eu-west-1',
    ]);
  });

  it('deploys as sls deploy does when nothing is built, without Docker', async () => {
    const registry = parseRegistry(JSON.stringify({ pipelines: { a: pipeline({ image: 'example.com/a:1' }) } }));
    const { tools, calls } = fakeTools({ buildx: 127 });
    await deploy(planDeploy(registry, options), tools);
    expect(calls).toEqual(['sls deploy --stage dev --region eu-west-1']);
  });

  it('prints every command of a dry run with placeholders for what only the deploy learns', () => {
    const lines = dryRun(plan(), { docker: 'docker', sls: 'npx sls' });
    expect(lines).toContain(
      "docker buildx build --platform linux/arm64 --file container/Dockerfile --tag '<repository>:sample-pipeline-20261205T100000Z' --provenance=false --push --metadata-file '<metadata of sample-pipeline-20261205T100000Z>' .",
    );
    expect(lines.at(-1)).toBe(
      "npx sls deploy --stage dev --region eu-west-1 --param 'images=sample-pipeline=<digest of sample-pipeline-20261205T100000Z>' --verbose",
    );
  });
});

describe('npm run deploy, as a process', () => {
  const npmRunDeploy = (args: string[], env: NodeJS.ProcessEnv = {}) =>
    spawnSync(process.execPath, [join(root, 'scripts/run-ts.mjs'), join(root, 'scripts/deploy/main.ts'), ...args], {
      cwd: root,
      encoding: 'utf8',
      // No AWS credentials: neither case may reach AWS.
      env: { ...process.env, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '', AWS_PROFILE: 'no-such-profile-offline', ...env },
      timeout: 60_000,
    });

  it('prints the commands of a dry run and runs none', () => {
    const result = npmRunDeploy(['--stage', 'dev', '--dry-run'], { DOCKER: '/nonexistent/docker' });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
    expect(result.stdout).toContain('Dry run: the commands npm run deploy would run for stage dev (us-east-1); nothing runs.');
    expect(result.stdout).toMatch(
      /^\/nonexistent\/docker buildx build --platform linux\/arm64 --file container\/Dockerfile --tag '<repository>:sample-pipeline-\d{8}T\d{6}Z[-\w]*' --provenance=false --push/m,
    );
    expect(result.stdout).toMatch(
      /^npx sls deploy --stage dev --region us-east-1 --param 'images=sample-pipeline=<digest of sample-pipeline-[^>]+>'$/m,
    );
  }, 60_000);

  it('stops with a clear message and exit code 1 when Docker is missing', () => {
    const result = npmRunDeploy(['--stage', 'dev'], { DOCKER: '/nonexistent/docker' });
    expect(result.status).toBe(1);
    expect(result.stderr).toContain(
      'npm run deploy: pipelines.yml builds the image of sample-pipeline (task.image.build), which needs Docker, and "/nonexistent/docker" is not installed or not on the PATH',
    );
    expect(result.stderr).toContain('Nothing was pushed or deployed.');
  }, 60_000);
});
