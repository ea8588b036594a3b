/**
 * `npm run deploy -- --stage <stage>`: builds the images pipelines.yml builds
 * (`task.image: { build: … }`) with `docker buildx` for each pipeline's architecture, pushes
 * them to the stack's repository, and deploys with their digests (param `images`), so a task
 * definition always names the exact image that was built. Without Docker (or buildx, or a
 * running daemon) it stops with a message before it changes anything; with `--dry-run` it
 * prints the commands it would run and runs none. A registry with no built image deploys as
 * `sls deploy` would.
 *
 * The first deploy of a stage creates the repository first (`--param images=first-deploy`:
 * task definitions point at a `<name>.not-built` tag until the second deploy moments later).
 */
import { isBuiltImage, type ImageBuild } from '../../lib/registry/container';
import type { Registry } from '../../lib/registry/schema';
import { FIRST_DEPLOY } from '../../stack/images';
import { taskDefinitionGroups } from '../../stack/pipeline-tasks';

export const REPOSITORY_OUTPUT = 'ImageRepositoryUri';

/** One `docker buildx build`: its image serves every task definition named. */
export interface ImageBuildStep {
  taskDefinitions: string[];
  platform: 'linux/arm64' | 'linux/amd64';
  context: string;
  dockerfile: string;
  target?: string;
  /** Immutable tags: each build pushes a tag of its own. */
  tag: string;
}

export interface DeployPlan {
  service: string;
  stage: string;
  region: string;
  stackName: string;
  builds: ImageBuildStep[];
  /** What follows `sls deploy --stage <stage> --region <region>` (the caller's other options). */
  passThrough: string[];
}

export interface PlanOptions {
  service: string;
  stage: string;
  region: string;
  /** Names this deploy's tags: a UTC time stamp, and the commit when there is one. */
  buildId: string;
  passThrough?: string[];
}

const PLATFORM = { ARM64: 'linux/arm64', X86_64: 'linux/amd64' } as const;

/** The builds a registry needs: one per distinct build and architecture, in registry order. */
export function planDeploy(registry: Registry, options: PlanOptions): DeployPlan {
  const builds: ImageBuildStep[] = [];
  for (const group of taskDefinitionGroups(registry, options.service, options.stage)) {
    const { image, architecture } = group.pipelines[0]![1].task;
    if (!isBuiltImage(image)) continue;
    const step = buildStep(image.build, architecture);
    const same = builds.find(
      (b) => b.platform === step.platform && b.context === step.context && b.dockerfile === step.dockerfile && b.target === step.target,
    );
    if (same) {
      same.taskDefinitions.push(group.name);
    } else {
      builds.push({ ...step, taskDefinitions: [group.name], tag: `${group.name}-${options.buildId}` });
    }
  }
  return {
    service: options.service,
    stage: options.stage,
    region: options.region,
    stackName: `${options.service}-${options.stage}`,
    builds,
    passThrough: options.passThrough ?? [],
  };
}

function buildStep(build: ImageBuild, architecture: keyof typeof PLATFORM): Omit<ImageBuildStep, 'taskDefinitions' | 'tag'> {
  const context = build.context.replace(/\/+$/, '') || '.';
  return {
    platform: PLATFORM[architecture],
    context,
    dockerfile: build.dockerfile ?? (context === '.' ? 'Dockerfile' : `${context}/Dockerfile`),
    ...(build.target ? { target: build.target } : {}),
  };
}

export class DeployError extends Error {
  override readonly name = 'DeployError';
}

/** What the deploy does to the world, behind one seam so tests can see the order of things. */
export interface DeployTools {
  /** Runs a program, showing its output unless quiet; code 127 when it does not exist. */
  run(
    command: string,
    args: string[],
    options?: { input?: string; quiet?: boolean },
  ): Promise<{ code: number; stdout: string; stderr: string }>;
  /** A stack output, or undefined when the stack or the output does not exist. */
  stackOutput(stackName: string, region: string, key: string): Promise<string | undefined>;
  /** Docker credentials for the account's ECR registry in the region. */
  ecrLogin(region: string): Promise<{ registry: string; username: string; password: string }>;
  /** The digest `docker buildx build --metadata-file` wrote. */
  readDigest(metadataFile: string): string;
  metadataFile(build: ImageBuildStep): string;
  log(line: string): void;
  /** The docker CLI (DOCKER, default `docker`) and serverless (the project's own `sls`). */
  docker: string;
  sls: string;
}

const quote = (arg: string) => (/^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, `'\\''`)}'`);
const commandLine = (command: string, args: string[]) => [command, ...args.map(quote)].join(' ');

const deployArgs = (plan: DeployPlan, images?: string) => [
  'deploy',
  '--stage',
  plan.stage,
  '--region',
  plan.region,
  ...(images !== undefined ? ['--param', `images=${images}`] : []),
  ...plan.passThrough,
];

const buildArgs = (build: ImageBuildStep, repository: string, metadataFile: string) => [
  'buildx',
  'build',
  '--platform',
  build.platform,
  '--file',
  build.dockerfile,
  ...(build.target ? ['--target', build.target] : []),
  '--tag',
  `${repository}:${build.tag}`,
  // One plain image manifest for the one platform ECS runs it on.
  '--provenance=false',
  '--push',
  '--metadata-file',
  metadataFile,
  build.context,
];

const imagesParam = (entries: Array<[string, string]>) => entries.map(([name, digest]) => `${name}=${digest}`).join(',');

/** The commands a deploy runs, in order, with what only the deploy learns as <placeholders>. */
export function dryRun(plan: DeployPlan, tools: Pick<DeployTools, 'docker' | 'sls'>): string[] {
  if (plan.builds.length === 0) return [commandLine(tools.sls, deployArgs(plan))];
  const repository = '<repository>';
  return [
    `# check Docker: ${commandLine(tools.docker, ['buildx', 'version'])} && ${commandLine(tools.docker, ['info', '--format', '{{.ServerVersion}}'])}`,
    `# the repository: output ${REPOSITORY_OUTPUT} of stack ${plan.stackName} (${plan.region}); a first deploy creates it with:`,
    `#   ${commandLine(tools.sls, deployArgs(plan, FIRST_DEPLOY))}`,
    `${commandLine(tools.docker, ['login', '--username', 'AWS', '--password-stdin', '<registry>'])}   # password: an ECR authorization token`,
    ...plan.builds.map((build) => commandLine(tools.docker, buildArgs(build, repository, `<metadata of ${build.tag}>`))),
    commandLine(
      tools.sls,
      deployArgs(
        plan,
        imagesParam(
          plan.builds.flatMap((build) => build.taskDefinitions.map((name): [string, string] => [name, `<digest of ${build.tag}>`])),
        ),
      ),
    ),
  ];
}

async function checkDocker(tools: DeployTools, plan: DeployPlan): Promise<void> {
  const needs = `pipelines.yml builds the image of ${plan.builds.flatMap((b) => b.taskDefinitions).join(', ')} (task.image.build)`;
  const nothing = 'Nothing was pushed or deployed.';
  const buildx = await tools.run(tools.docker, ['buildx', 'version'], { quiet: true });
  if (buildx.code === 127) {
    throw new DeployError(
      `${needs}, which needs Docker, and "${tools.docker}" is not installed or not on the PATH: install Docker with buildx, or set task.image to an image URI you push yourself. ${nothing}`,
    );
  }
  if (buildx.code !== 0) {
    throw new DeployError(
      `${needs}, which needs docker buildx, and "${tools.docker} buildx version" failed (${(buildx.stderr || buildx.stdout).trim().split('\n')[0]}): install the buildx plugin. ${nothing}`,
    );
  }
  const daemon = await tools.run(tools.docker, ['info', '--format', '{{.ServerVersion}}'], { quiet: true });
  if (daemon.code !== 0) {
    throw new DeployError(
      `${needs}, and the Docker daemon does not answer (${(daemon.stderr || daemon.stdout).trim().split('\n')[0]}): start Docker and run the deploy again. ${nothing}`,
    );
  }
}

async function runOrFail(tools: DeployTools, command: string, args: string[], what: string, input?: string): Promise<string> {
  tools.log(`$ ${commandLine(command, args)}`);
  const result = await tools.run(command, args, input !== undefined ? { input } : undefined);
  if (result.code !== 0)
    throw new DeployError(
      `${what} failed (exit ${result.code}): ${(result.stderr || result.stdout).trim().split('\n').slice(-3).join(' ')}`,
    );
  return result.stdout;
}

/** Builds, pushes and deploys; returns the images param it deployed with ('' without builds). */
export async function deploy(plan: DeployPlan, tools: DeployTools): Promise<string> {
  if (plan.builds.length === 0) {
    await runOrFail(tools, tools.sls, deployArgs(plan), 'sls deploy');
    return '';
  }
  await checkDocker(tools, plan);

  let repository = await tools.stackOutput(plan.stackName, plan.region, REPOSITORY_OUTPUT);
  if (!repository) {
    tools.log(`Stack ${plan.stackName} has no image repository yet: deploying once to create it.`);
    await runOrFail(tools, tools.sls, deployArgs(plan, FIRST_DEPLOY), 'the first deploy (creating the image repository)');
    repository = await tools.stackOutput(plan.stackName, plan.region, REPOSITORY_OUTPUT);
    if (!repository)
      throw new DeployError(
        `stack ${plan.stackName} still has no output ${REPOSITORY_OUTPUT} after deploying: is serverless.yml's stack plugin (stack/serverless-plugin.cjs) listed?`,
      );
  }

  const login = await tools.ecrLogin(plan.region);
  await runOrFail(
    tools,
    tools.docker,
    ['login', '--username', login.username, '--password-stdin', login.registry],
    'docker login',
    login.password,
  );

  const digests: Array<[string, string]> = [];
  for (const build of plan.builds) {
    const metadata = tools.metadataFile(build);
    await runOrFail(tools, tools.docker, buildArgs(build, repository, metadata), `building ${build.taskDefinitions.join(', ')}`);
    const digest = tools.readDigest(metadata);
    for (const name of build.taskDefinitions) digests.push([name, digest]);
  }
  const images = imagesParam(digests);
  await runOrFail(tools, tools.sls, deployArgs(plan, images), 'sls deploy');
  return images;
}
