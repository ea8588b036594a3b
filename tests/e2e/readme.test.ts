/**
 * The README's "Run it locally" and "Invoke functions" sections, run as a newcomer would:
 * every command is read from README.md (the first column of the tables and the lines of the
 * bash blocks) and run verbatim in a shell, in the README's order, against `npm run local`
 * started by its own README line; each command's effect is then checked where it lands. A
 * command the README gains without an effect check here fails the test, so the two cannot
 * drift apart.
 *
 * The commands name the default ports (4580-4589). When another local cloud holds them, the
 * test moves its cloud with LOCAL_CLOUD_PORT_BASE and rewrites those port numbers, and says so.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { projectRoot, waitFor } from '../../local/cloud/test-support';
import { EndpointsFileSchema } from '../../local/cloud/endpoints-file';
import { SERVICE_ORDER, DEFAULT_PORT_BASE } from '../../local/cloud/ports';

jest.setTimeout(30 * 60_000);

/** The commands of one README section: table first cells in code, and bash block lines. */
function readmeCommands(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start === -1) throw new Error(`README.md has no "## ${heading}" section`);
  const end = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, end === -1 ? undefined : end);
  const commands: string[] = [];
  let inBash = false;
  for (const line of section.split('\n')) {
    if (line.startsWith('```')) {
      inBash = !inBash && /^```(bash|sh)\s*$/.test(line);
      continue;
    }
    if (inBash) {
      if (line.trim() && !line.trim().startsWith('#')) commands.push(line.trim());
      continue;
    }
    const cell = /^\|\s*`([^`]+)`\s*\|/.exec(line);
    if (cell) commands.push(cell[1]!);
  }
  return commands;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

const scratch = mkdtempSync(join(tmpdir(), 'readme-test-'));
const endpointsFile = join(scratch, 'endpoints.json');
let portBase = DEFAULT_PORT_BASE;
let local: ChildProcess | undefined;
let localOutput = '';

/** A clean newcomer's shell: no AWS profile or keys of the developer, the test's own endpoints file. */
function environment(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env))
    if (!k.startsWith('AWS_') && !k.startsWith('POWERTOOLS_') && !k.startsWith('JEST') && k !== 'NODE_ENV') env[k] = v;
  return {
    ...env,
    HOME: scratch,
    LOCAL_CLOUD_ENDPOINTS_FILE: endpointsFile,
    LOCAL_CLOUD_QUIET: '1',
    SLS_TELEMETRY_DISABLED: '1',
    SLS_NOTIFICATIONS_MODE: 'off',
    ...(portBase !== DEFAULT_PORT_BASE ? { LOCAL_CLOUD_PORT_BASE: String(portBase) } : {}),
  };
}

const onPorts = (command: string) =>
  portBase === DEFAULT_PORT_BASE
    ? command
    : command.replace(/127\.0\.0\.1:45(8\d)/g, (_, n: string) => `127.0.0.1:${portBase + Number(n) - 80}`);

function run(command: string, timeoutMs = 10 * 60_000): Promise<Ran> {
  return new Promise((resolve) => {
    const child = spawn('bash', ['-c', onPorts(command)], { cwd: projectRoot, env: environment(), detached: true });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    const timer = setTimeout(() => process.kill(-child.pid!, 'SIGKILL'), timeoutMs);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });

async function freeBase(): Promise<number> {
  for (const base of [DEFAULT_PORT_BASE, 14580, 24580, 34580]) {
    const free = await Promise.all(SERVICE_ORDER.map((_, i) => portFree(base + i)));
    if (free.every(Boolean)) return base;
  }
  throw new Error('no free range of local cloud ports found');
}

const cloudFile = () => EndpointsFileSchema.parse(JSON.parse(readFileSync(endpointsFile, 'utf8')));
const consoleApi = async <T>(path: string): Promise<T> => (await (await fetch(`${cloudFile().endpoints.console}${path}`)).json()) as T;
const scan = async (table: string) => {
  const cloud = cloudFile();
  const client = new DynamoDBClient({
    region: cloud.region,
    endpoint: cloud.endpoints.dynamodb,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    return (await client.send(new ScanCommand({ TableName: `ecs-pipelines-local-${table}` }))).Items ?? [];
  } finally {
    client.destroy();
  }
};
const batch = async (pk: string) => (await scan('BatchesTable')).find((item) => item.pk?.S === pk);
const runItem = async (pk: string) => (await scan('RunsTable')).find((item) => item.pk?.S === pk);
const explain = (ran: Ran) => `exit ${ran.code}\n--- stdout\n${ran.stdout.slice(-4000)}\n--- stderr\n${ran.stderr.slice(-4000)}`;
const succeeded = (ran: Ran) => {
  if (ran.code !== 0) throw new Error(`the command failed: ${explain(ran)}`);
};

/** What each README command must have done, by the command's text. */
const EFFECTS: Array<[RegExp, (ran: Ran) => Promise<void>]> = [
  [
    /^npm run demo$/,
    async (ran) => {
      succeeded(ran);
      expect(ran.stdout).toContain('demo passed');
    },
  ],
  [
    /^npm run local$/,
    async () => {
      // The cloud's own process (a child of npm) wrote the file and is alive; its console answers.
      expect(() => process.kill(cloudFile().pid, 0)).not.toThrow();
      expect((await fetch(`${cloudFile().endpoints.console}/api/executions`)).status).toBe(200);
    },
  ],
  [
    /^http:\/\/127\.0\.0\.1:4586\/executions$/,
    async () => {
      const response = await fetch(onPorts('http://127.0.0.1:4586/executions'));
      expect(response.status).toBe(200);
      expect(await response.text()).toContain('Executions');
    },
  ],
  [
    /-f s3UploadWatcher -p tests\/events\/s3\/derived-orders-put-encoded-key\.json$/,
    async (ran) => {
      succeeded(ran);
      const item = await waitFor('the orders arrival', () => batch('orders-daily#2026-11-20 09:30+01:00'));
      expect(item.arrived?.SS).toEqual(['orders']);
    },
  ],
  [
    /aws --region us-east-1 --endpoint-url \S+ dynamodb scan --table-name ecs-pipelines-local-BatchesTable$/,
    async (ran) => {
      succeeded(ran);
      const out = JSON.parse(ran.stdout) as { Items: Array<{ pk: { S: string } }> };
      expect(out.Items.map((i) => i.pk.S)).toContain('orders-daily#2026-11-20 09:30+01:00');
    },
  ],
  [
    /^npm run demo:notify$/,
    async (ran) => {
      succeeded(ran);
      expect(ran.stdout).toContain('demo:notify passed');
    },
  ],
  [
    /^npm run demo:scale$/,
    async (ran) => {
      succeeded(ran);
      expect(ran.stdout).toMatch(/^chart: .*\.svg$/m);
    },
  ],
  [
    /-f s3UploadWatcher -p tests\/events\/sqs\/derived-mixed-good-and-malformed\.json$/,
    async (ran) => {
      succeeded(ran);
      expect(ran.stdout).toContain('batchItemFailures');
      // The customers file completed the batch: its run started.
      const run = await waitFor('the run of batch 2026-11-20 09:30+01:00', () => runItem('orders-daily#2026-11-20 09:30+01:00'));
      expect(run.trigger?.S).toBe('s3');
    },
  ],
  [
    /-f startPipeline -p tests\/events\/invoke\/start-pipeline-schedule\.json$/,
    async (ran) => {
      succeeded(ran);
      expect(ran.stdout).toContain('"action": "started"');
      await waitFor('the scheduled run', () => runItem('inventory-snapshot#schedule#2026-11-20T06:00Z'));
    },
  ],
  [
    /-f formatAlarm -p tests\/events\/cloudwatch\/derived-run-failures-alarm-via-sns\.json$/,
    async (ran) => {
      succeeded(ran);
      const notices = await consoleApi<Array<{ subject?: string; topicName: string }>>('/api/notifications');
      expect(notices.map((n) => n.subject)).toContain('[ecs-pipelines local] ALARM: orders-daily: alarm run-failures');
    },
  ],
  [
    /^npm run logs -- --run 'orders-daily#2026-11-20 09:30\+01:00'$/,
    async (ran) => {
      succeeded(ran);
      expect(ran.stdout).toMatch(/^run orders-daily#2026-11-20 09:30\+01:00: 1 execution\(s\), 1 task\(s\)/m);
      // The container's own line about what failed: the batch's objects are not in the bucket.
      expect(ran.stdout).toMatch(/task \w+ \(shard 1 of 1\)\s+.*NoSuchKey|The specified key does not exist/);
    },
  ],
  [
    /-f startPipeline --data '\{"pipeline":"orders-daily","batch":"2026-11-20 09:30\+01:00","force":true\}'$/,
    async (ran) => {
      succeeded(ran);
      expect(ran.stdout).toContain('"status": "started"');
      expect(ran.stdout).toContain('"attempt": 2');
    },
  ],
];

const commands = [
  ...readmeCommands(readFileSync(join(projectRoot, 'README.md'), 'utf8'), 'Run it locally'),
  ...readmeCommands(readFileSync(join(projectRoot, 'README.md'), 'utf8'), 'Invoke functions'),
];

beforeAll(async () => {
  portBase = await freeBase();
  if (portBase !== DEFAULT_PORT_BASE)
    console.warn(
      `ports ${DEFAULT_PORT_BASE}-${DEFAULT_PORT_BASE + SERVICE_ORDER.length - 1} are in use: the README's commands run against ports from ${portBase}`,
    );
});

afterAll(async () => {
  if (local?.pid && local.exitCode === null) {
    process.kill(-local.pid, 'SIGINT');
    await new Promise((resolve) => local!.once('exit', resolve));
  }
  rmSync(scratch, { recursive: true, force: true });
});

test('the README sections have the commands this test knows how to check', () => {
  const unchecked = commands.filter((command) => !EFFECTS.some(([pattern]) => pattern.test(command)));
  expect(unchecked).toEqual([]);
  expect(commands.length).toBeGreaterThanOrEqual(EFFECTS.length);
});

test.each(commands.map((command, i) => [i + 1, command]))('README command %i does what it says: %s', async (_, command) => {
  const [, check] = EFFECTS.find(([pattern]) => pattern.test(command))!;
  if (command === 'npm run local') {
    local = spawn('bash', ['-c', command], { cwd: projectRoot, env: environment(), detached: true });
    local.stdout!.on('data', (c: Buffer) => (localOutput += c.toString()));
    local.stderr!.on('data', (c: Buffer) => (localOutput += c.toString()));
    await waitFor(
      `npm run local to write its endpoints file (output so far:\n${localOutput})`,
      async () => {
        if (local!.exitCode !== null) throw new Error(`npm run local exited ${local!.exitCode}:\n${localOutput}`);
        try {
          return cloudFile();
        } catch {
          return undefined;
        }
      },
      5 * 60_000,
    );
    await check({ code: null, stdout: localOutput, stderr: '' });
    return;
  }
  if (command.startsWith('http://')) return check({ code: 0, stdout: '', stderr: '' });
  const ran = await run(command);
  try {
    await check(ran);
  } catch (error) {
    throw new Error(
      `README command "${command}": ${(error as Error).message}\n${explain(ran)}${local ? `\n--- npm run local (last lines)\n${localOutput.slice(-3000)}` : ''}`,
    );
  }
});
