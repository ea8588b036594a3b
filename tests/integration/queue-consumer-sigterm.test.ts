/**
 * The sample queue service as a real process: SIGTERM while a message is worked on
 * finishes that message, deletes it, and exits 0 well inside the stop timeout.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { CreateQueueCommand, GetQueueAttributesCommand, SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';

const { createSqsServer } = require('local-aws-sqs') as { createSqsServer: (options: Record<string, unknown>) => Promise<Server> };

jest.setTimeout(30_000);

let server: Server;
let endpoint: string;
let sqs: SQSClient;
let bundle: string;

beforeAll(async () => {
  server = await createSqsServer({ port: 0, hostname: '127.0.0.1', emulateQueueCreationLifecycle: false });
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'test', secretAccessKey: 'test' } });
  bundle = join(mkdtempSync(join(tmpdir(), 'sample-queue-')), 'sample-queue.js');
  buildSync({
    entryPoints: [resolve(__dirname, '../../container/sample-queue/main.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    outfile: bundle,
    logLevel: 'silent',
  });
});

afterAll(async () => {
  sqs.destroy();
  await new Promise<void>((done) => server.close(() => done()));
});

it('drains on SIGTERM: the in-flight message is finished and deleted, the process exits 0', async () => {
  // Prepare
  const { QueueUrl } = await sqs.send(new CreateQueueCommand({ QueueName: 'sigterm-drain', Attributes: { VisibilityTimeout: '2' } }));
  await sqs.send(
    new SendMessageCommand({ QueueUrl, MessageBody: JSON.stringify({ id: 'slow-1', workMs: 1500, sentAt: new Date().toISOString() }) }),
  );
  const child = spawn(process.execPath, [bundle], {
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'test',
      AWS_SECRET_ACCESS_KEY: 'test',
      AWS_ENDPOINT_URL_SQS: endpoint,
      QUEUE_URL: QueueUrl,
      QUEUE_SERVICE: 'thumbnails',
      METRIC_DIMENSION: 'test-thumbnails',
      VISIBILITY_TIMEOUT_SECONDS: '2',
      DRAIN_DEADLINE_SECONDS: '10',
      WAIT_TIME_SECONDS: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  child.stdout.on('data', (chunk) => (stdout += chunk));
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));

  // Act: SIGTERM once the message is leased (in flight).
  for (let i = 0; i < 100; i += 1) {
    const { Attributes } = await sqs.send(
      new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessagesNotVisible'] }),
    );
    if (Attributes?.ApproximateNumberOfMessagesNotVisible === '1') break;
    await new Promise((r) => setTimeout(r, 50));
  }
  child.kill('SIGTERM');
  const code = await exited;

  // Assess
  const lines = stdout
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line));
  expect(code).toBe(0);
  expect(lines.find((l) => l.message === 'stop requested: draining')).toBeDefined();
  expect(lines.find((l) => l.message === 'message processed')).toMatchObject({ id: 'slow-1', workMs: 1500 });
  expect(lines.find((l) => l._aws)).toMatchObject({ QueueService: 'test-thumbnails', outcome: 'success' });
  expect(lines.find((l) => l.message === 'drained')).toMatchObject({ processed: 1, failed: 0, released: 0 });
  const { Attributes } = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl, AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'] }),
  );
  expect(Attributes).toMatchObject({ ApproximateNumberOfMessages: '0', ApproximateNumberOfMessagesNotVisible: '0' });
});
