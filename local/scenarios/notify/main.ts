/**
 * `npm run demo:notify`: the notifier end to end on one machine.
 *
 * Starts local ECS services as child processes (orders-api: labelled, 2 tasks;
 * cache-worker: labelled, 3 tasks, one answering 500 once and one never answering;
 * batch-runner: unlabelled, 1 task), a local ECS endpoint for them, dynalite and
 * local-aws-sqs in-process; sends one broadcast to the observer queue; runs the three
 * real handlers from the queues like Lambda's event source mappings; then prints each
 * receipt, the audit table and the DLQ. Everything listens on loopback and stops itself.
 */
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { LocalEcsRegistry, loopbackAllocator, startLocalEcsServicesServer, startServiceProcesses, type RunningService } from '../../ecs-services';
import { startNotifierEmulators } from './emulators';
import { pumpUntilIdle, type SqsHandler } from './sqs-pump';
import { projectRoot } from '../../cloud/project-root';

const root = projectRoot;
// eslint-disable-next-line @typescript-eslint/no-require-imports
const loadHandler = (path: string): SqsHandler => (require(path) as { handler: SqsHandler }).handler;
const verbose = process.env.DEMO_VERBOSE === '1';
const say = (line = ''): void => void process.stdout.write(`${line}\n`);

async function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolvePort(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function main(): Promise<void> {
  const emulators = await startNotifierEmulators({ visibilityTimeoutSeconds: 2, maxReceiveCount: 2 });
  const registry = new LocalEcsRegistry('local');
  const ecs = await startLocalEcsServicesServer(registry);
  const running: RunningService[] = [];
  const receipts: string[] = [];
  try {
    const port = await freePort();
    const nextIp = loopbackAllocator(10);
    const tsx = [process.execPath, '--import', 'tsx'];
    const labels = { NOTIFY_ME_CONTAINER_PORT: String(port), NOTIFY_ME_API_URI: '/notify' };
    const common = { NOTIFY_HMAC_SECRET: emulators.signingKey, NOTIFY_PATH: '/notify' };
    const onLine = (task: { arn: string; service: string }, line: string): void => {
      const entry = `${task.service}/${task.arn.split('/').pop()}: ${line}`;
      if (line.includes('notification received') || line.includes('never answering')) receipts.push(entry);
      if (verbose) say(`  [task] ${entry}`);
    };
    say('Starting local ECS services (child processes on loopback addresses)...');
    running.push(
      await startServiceProcesses(
        registry,
        { name: 'orders-api', desiredCount: 2, container: { name: 'app', port, dockerLabels: labels }, command: [...tsx, join(root, 'container/sample/notify-endpoint.ts')], env: () => common },
        { nextIp, onLine, cwd: root },
      ),
      await startServiceProcesses(
        registry,
        {
          name: 'cache-worker',
          desiredCount: 3,
          container: { name: 'worker', port, dockerLabels: labels },
          command: [...tsx, join(root, 'local/scenarios/notify/demo-task.ts')],
          env: (index) => ({ ...common, DEMO_FAULT: ['none', '500-once', 'hang'][index] ?? 'none' }),
        },
        { nextIp, onLine, cwd: root },
      ),
      await startServiceProcesses(
        registry,
        { name: 'batch-runner', desiredCount: 1, container: { name: 'runner', port }, command: [...tsx, join(root, 'container/sample/notify-endpoint.ts')], env: () => common },
        { nextIp, onLine, cwd: root },
      ),
    );
    for (const task of registry.tasks.values()) say(`  ${task.service.padEnd(13)} ${task.arn.split('/').pop()}  ${task.ip}:${port}  ${task.lastStatus}`);

    Object.assign(process.env, emulators.env, {
      AWS_ENDPOINT_URL_ECS: ecs.endpoint,
      CLUSTER_NAME: 'local',
      NOTIFY_TIMEOUT_MS: '1000',
      NOTIFY_MAX_ATTEMPTS: '3',
      POWERTOOLS_LOG_LEVEL: verbose ? 'INFO' : 'SILENT',
      POWERTOOLS_METRICS_DISABLED: 'true',
    });
    // Imported after the environment is set: handlers read it once at load, like a cold start.
    const discoverServices = loadHandler('../../../handlers/discover-services');
    const discoverTasks = loadHandler('../../../handlers/discover-tasks');
    const notifyTask = loadHandler('../../../handlers/notify-task');

    const eventId = `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const payload = { action: 'reload-config', version: 42 };
    say(`\nBroadcasting ${eventId} ${JSON.stringify(payload)} through the observer queue...`);
    const started = Date.now();
    await emulators.sqs.send(new SendMessageCommand({ QueueUrl: emulators.queues.observer.url, MessageBody: JSON.stringify({ eventId, payload }) }));
    const { queues } = emulators;
    await pumpUntilIdle(
      emulators.sqs,
      [
        { queueUrl: queues.observer.url, queueArn: queues.observer.arn, handler: discoverServices, functionName: 'discoverServices' },
        { queueUrl: queues.service.url, queueArn: queues.service.arn, handler: discoverTasks, functionName: 'discoverTasks' },
        { queueUrl: queues.task.url, queueArn: queues.task.arn, handler: notifyTask, functionName: 'notifyTask' },
      ],
      // Idle for longer than the visibility timeout, so failed messages come back (and go to the DLQ).
      { pollMs: 250, idleRounds: 14, maxMs: 60_000 },
    );
    say(`Queues drained in ${((Date.now() - started) / 1000).toFixed(1)} s.`);

    say('\nReceipts (what the tasks logged):');
    for (const line of receipts) say(`  ${line}`);

    const audit = await emulators.dynamo.send(new ScanCommand({ TableName: emulators.auditTable }));
    say('\nAudit table:');
    for (const item of (audit.Items ?? []).sort((a, b) => String(a.service).localeCompare(String(b.service)))) {
      const task = String(item.taskArn ?? '').split('/').pop();
      say(`  ${String(item.service).padEnd(13)} ${task}  ${String(item.status).padEnd(9)} claims=${item.claims} attempts=${item.attempts} http=${item.httpStatus ?? '-'} latency=${item.latencyMs}ms${item.lastError ? `\n      lastError: ${item.lastError}` : ''}`);
    }

    const dlq = await emulators.sqs.send(new ReceiveMessageCommand({ QueueUrl: queues.taskDlq.url, MaxNumberOfMessages: 10 }));
    say('\nTask DLQ (the message as redrive would resend it; its reason is the audit item of the same event id + task ARN):');
    for (const message of dlq.Messages ?? []) {
      const body = JSON.parse(message.Body ?? '{}') as { eventId?: string; taskArn?: string; ip?: string };
      say(`  ${body.eventId} ${body.taskArn?.split('/').pop()} at ${body.ip}`);
    }
    if (!dlq.Messages?.length) say('  (empty)');
    say(`\nECS calls made: ${[...ecs.calls].map(([op, n]) => `${op}=${n}`).join(', ')}`);
    say(`Unlabelled service batch-runner got no notification: ${receipts.every((r) => !r.startsWith('batch-runner')) ? 'yes' : 'NO'}`);
  } finally {
    await Promise.all(running.map((r) => r.stop()));
    await ecs.close();
    await emulators.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`demo:notify failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
    process.exit(1);
  },
);
