/**
 * A pipeline added to the registry and nowhere else runs on the local cloud: the stack, the
 * functions and the local ECS all take the registry given (pipelinesFile); its container is
 * its Dockerfile's CMD run in its build context; its secrets come from the local secrets file
 * and the environment by name, and a secret with no local value fails the task as ECS would.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { freshLocalCloud, projectRoot, waitFor } from '../../local/cloud/test-support';
import { uploadsBucket } from '../../local/scenarios/demo/demo';
import type { LocalCloud } from '../../local/cloud/start';
import type { LogLine } from '../../local/emulators/ecs';

jest.setTimeout(300_000);

const SECRET_READER = `
  # Added for this test only: no containers.yml entry, no resources file.
  secret-reader:
    trigger:
      files:
        note: incoming/secret-reader/note-{date}.txt
      windowMinutes: 5
    task:
      container: reader
      image:
        build: { context: tests/fixtures/containers/secret-reader }
      cpu: 256
      memory: 512
      launch: sync
      timeoutSeconds: 120
      # A secret without a local value fails the task before it starts: fail at once, no retries.
      retry: { imagePull: { attempts: 0 } }
      secrets:
        API_TOKEN: /secret-reader/api-token
        DB_PASSWORD: arn:aws:secretsmanager:us-east-1:123456789012:secret:secret-reader-db-AbCdEf
`;

const API_TOKEN = 'token-from-the-secrets-file';
const DB_PASSWORD = 'password-from-the-environment';
const sha256 = (value: string) => createHash('sha256').update(value).digest('hex');

let folder: string;
let cloud: LocalCloud;
const logs: LogLine[] = [];

beforeAll(async () => {
  folder = mkdtempSync(join(tmpdir(), 'registry-pipeline-'));
  const registry = join(folder, 'pipelines.yml');
  writeFileSync(
    registry,
    readFileSync(join(projectRoot, 'pipelines.yml'), 'utf8').replace(/^pipelines:\n/m, `pipelines:${SECRET_READER}\n`),
  );
  const secrets = join(folder, 'secrets.env');
  writeFileSync(secrets, `# the local values of the pipelines' secrets\nAPI_TOKEN=${API_TOKEN}\n`);
  process.env.DB_PASSWORD = DB_PASSWORD;
  cloud = await freshLocalCloud({ pipelinesFile: registry, secretsFile: secrets });
  cloud.ecs.events.on('log', (line) => logs.push(line));
});

afterAll(async () => {
  delete process.env.DB_PASSWORD;
  await cloud?.stop();
  rmSync(folder, { recursive: true, force: true });
});

const runOf = (date: string) =>
  waitFor(
    `the run of secret-reader ${date} to finish`,
    async () => {
      const { Item } = await cloud.clients.documents.send(
        new GetCommand({ TableName: cloud.resources.tables.RunsTable!, Key: { pk: `secret-reader#${date}` } }),
      );
      return Item && ['SUCCEEDED', 'FAILED'].includes(Item.status as string) ? Item : undefined;
    },
    120_000,
  );

const upload = (date: string) =>
  cloud.clients.s3.send(
    new PutObjectCommand({ Bucket: uploadsBucket(cloud), Key: `incoming/secret-reader/note-${date}.txt`, Body: 'hello' }),
  );

test("the stack packaged for the cloud has the pipeline's task definition, generated from the registry", () => {
  const families = Object.values(cloud.service.template.Resources)
    .filter((r) => r.Type === 'AWS::ECS::TaskDefinition')
    .map((r) => (r.Properties as { Family?: string }).Family);
  expect(families).toContain('ecs-pipelines-local-secret-reader');
  expect(readFileSync(join(projectRoot, 'local/cloud/containers.yml'), 'utf8')).not.toContain('secret-reader');
});

test('an upload runs it, and its container reads both secrets: one from the secrets file, one from the environment', async () => {
  // Act
  await upload('2026-12-01');
  const run = await runOf('2026-12-01');

  // Assess
  expect(run.status).toBe('SUCCEEDED');
  const printed = logs.filter((line) => line.container === 'reader').map((line) => line.line);
  expect(printed).toEqual(
    expect.arrayContaining([
      JSON.stringify({ secret: 'API_TOKEN', sha256: sha256(API_TOKEN) }),
      JSON.stringify({ secret: 'DB_PASSWORD', sha256: sha256(DB_PASSWORD) }),
      JSON.stringify({ pipeline: 'secret-reader', batchKey: '2026-12-01' }),
    ]),
  );
});

test('a secret with no local value fails the task before it starts, saying where to put it', async () => {
  // Prepare
  delete process.env.DB_PASSWORD;

  // Act
  await upload('2026-12-02');
  const run = await runOf('2026-12-02');

  // Assess
  expect(run.status).toBe('FAILED');
  const [shard] = (run.result as { shards: Array<{ stopReason: string }> }).shards;
  expect(shard!.stopReason).toContain(
    'TaskFailedToStart: ResourceInitializationError: unable to pull secrets or registry auth: secret DB_PASSWORD',
  );
  expect(shard!.stopReason).toContain('has no local value: set DB_PASSWORD in');
  expect(shard!.stopReason).toContain('secrets.env (NAME=value) or in the environment of the local cloud');
});
