/**
 * How the local cloud runs a pipeline's container, from the registry alone: the folder (its
 * task.local.cwd, or the build context), the image's command from its Dockerfile, the local
 * environment; and the secrets file it reads their values from.
 */
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseRegistry } from '../../../../lib/registry/parse-registry';
import { dockerfileCommand, pipelineContainers } from '../../../../local/cloud/pipeline-containers';
import { localSecrets, parseSecretsFile, SecretsFileError } from '../../../../local/cloud/secrets';

describe('dockerfileCommand', () => {
  const dockerfile = [
    'FROM node:22-slim AS build',
    'CMD ["node", "build.js"]',
    '',
    '# the runtime stage',
    'FROM build AS runtime',
    'WORKDIR /app',
    'FROM node:22-slim AS pipeline',
    'ENTRYPOINT ["node", "--enable-source-maps"]',
    'CMD ["dist/task.js", \\',
    '     "--verbose"]',
    'FROM node:22-slim',
    'CMD node dist/last.js',
  ].join('\n');

  it("takes the last stage's CMD, a shell form through /bin/sh -c", () => {
    expect(dockerfileCommand(dockerfile)).toEqual({ command: ['/bin/sh', '-c', 'node dist/last.js'] });
  });

  it("takes the target stage's ENTRYPOINT and CMD, continuation lines joined", () => {
    expect(dockerfileCommand(dockerfile, 'pipeline')).toEqual({
      entryPoint: ['node', '--enable-source-maps'],
      command: ['dist/task.js', '--verbose'],
    });
  });

  it('inherits what a stage it starts FROM set, and knows nothing of a base image', () => {
    expect(dockerfileCommand(dockerfile, 'runtime')).toEqual({ command: ['node', 'build.js'] });
    expect(dockerfileCommand('FROM node:22-slim\nWORKDIR /app')).toEqual({});
  });
});

describe('pipelineContainers', () => {
  const root = mkdtempSync(join(tmpdir(), 'pipeline-containers-'));
  mkdirSync(join(root, 'jobs'));
  writeFileSync(join(root, 'jobs', 'Dockerfile'), 'FROM node:22-slim\nCMD ["node", "job.js"]\n');
  const task = { container: 'app', cpu: 256, memory: 512, launch: 'sync', timeoutSeconds: 600 };
  const registry = parseRegistry(
    JSON.stringify({
      pipelines: {
        built: { schedule: { expression: 'rate(1 hour)' }, task: { ...task, image: { build: { context: 'jobs' } } } },
        shared: {
          schedule: { expression: 'rate(1 hour)' },
          task: { ...task, taskDefinition: 'built', image: { build: { context: 'jobs' } } },
        },
        given: {
          schedule: { expression: 'rate(1 hour)' },
          task: {
            ...task,
            container: 'main',
            image: 'example.com/given:1',
            local: { cwd: 'vendor/given', environment: { DATA_DIR: '{warehouseDir}/given', ADDRESS: '{taskIp}' } },
          },
        },
      },
    }),
  );

  it("runs a built image's Dockerfile CMD in its build context, once per task definition", () => {
    const containers = pipelineContainers(registry, root, { warehouseDir: '/tmp/wh' });
    expect([...containers.keys()]).toEqual(['built', 'given']);
    expect(containers.get('built')).toEqual({ container: 'app', cwd: 'jobs', command: ['node', 'job.js'], environment: {} });
  });

  it('runs an image URI in the folder task.local names, with its local environment filled in', () => {
    expect(pipelineContainers(registry, root, { warehouseDir: '/tmp/wh' }).get('given')).toEqual({
      container: 'main',
      cwd: 'vendor/given',
      // {taskIp} is the task's own, filled in by the local ECS as each task starts.
      environment: { DATA_DIR: '/tmp/wh/given', ADDRESS: '{taskIp}' },
    });
  });
});

describe('local secrets', () => {
  it('reads NAME=value lines, with comments, export and quotes', () => {
    expect(parseSecretsFile('# local values\nexport API_TOKEN="a b"\n\nDB_PASSWORD=p=w\nEMPTY=\'\'\n')).toEqual({
      API_TOKEN: 'a b',
      DB_PASSWORD: 'p=w',
      EMPTY: '',
    });
  });

  it('names the line it cannot read', () => {
    expect(() => parseSecretsFile('API_TOKEN=x\nnot a line', 'local/secrets.env')).toThrow(SecretsFileError);
    expect(() => parseSecretsFile('API_TOKEN=x\nnot a line', 'local/secrets.env')).toThrow(
      'local/secrets.env, line 2: expected NAME=value',
    );
  });

  it('takes a value from the environment first, then from the file, and says where to put one', () => {
    const root = mkdtempSync(join(tmpdir(), 'local-secrets-'));
    const file = join(root, 'local', 'secrets.env');
    mkdirSync(join(root, 'local'));
    writeFileSync(file, 'API_TOKEN=from-file\nDB_PASSWORD=from-file\n');
    const secrets = localSecrets(root, file, { DB_PASSWORD: 'from-env' });
    expect([secrets.valueOf('API_TOKEN'), secrets.valueOf('DB_PASSWORD'), secrets.valueOf('MISSING')]).toEqual([
      'from-file',
      'from-env',
      undefined,
    ]);
    expect(secrets.where).toBe('local/secrets.env (NAME=value) or in the environment of the local cloud');
  });
});
