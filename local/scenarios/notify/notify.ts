/**
 * The notifier scenario as a function (used by `npm run demo:notify`): on a running local
 * cloud, start three ECS services in the cluster the notifier watches (orders-api: labelled,
 * 2 tasks; cache-worker: labelled, 3 tasks, one answering 500 once and one never answering;
 * batch-runner: unlabelled, 1 task), each task a child process on its own loopback address;
 * send one broadcast to the observer queue; let the template's SQS event source mappings run
 * discoverServices → discoverTasks → notifyTask; and gather what a person checks: receipts,
 * the audit table, the task DLQ and the ECS calls made.
 */
import { buildSync } from 'esbuild';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetQueueAttributesCommand, ReceiveMessageCommand, SendMessageCommand } from '@aws-sdk/client-sqs';
import { GetSecretValueCommand } from '@aws-sdk/client-secrets-manager';
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { TaskMessageSchema, type TaskMessage } from '../../../lib/notifier/model';
import type { LocalCloud } from '../../cloud/start';
import type { ResourceOverrides } from '../../cloud/template';
import { projectRoot } from '../../cloud/project-root';

/**
 * The notifier's timings, shortened so a failing delivery reaches the DLQ in seconds: a DLQ
 * after 2 receives (the template: 5), 1 s per attempt and 3 attempts (the template: 5 s and 4),
 * and visibility timeouts of a few seconds that still outlast one invocation, as the
 * template's 180-360 s outlast the functions' timeouts.
 */
const shortQueue = (visibilitySeconds: number) => ({
  Properties: { VisibilityTimeout: visibilitySeconds, RedrivePolicy: { maxReceiveCount: 2 } },
});
export const NOTIFY_OVERRIDES: ResourceOverrides = {
  NotifierObserverQueue: shortQueue(2),
  NotifierServiceQueue: shortQueue(2),
  NotifierTaskQueue: shortQueue(5),
  NotifyTaskLambdaFunction: { Properties: { Environment: { Variables: { NOTIFY_TIMEOUT_MS: '1000', NOTIFY_MAX_ATTEMPTS: '3' } } } },
};

export interface ScenarioTask {
  service: string;
  taskId: string;
  ip: string;
}

export interface NotifyResult {
  eventId: string;
  payload: Record<string, unknown>;
  tasks: ScenarioTask[];
  /** `<service>/<task id>: <log line>` for every notification a task accepted (answered 2xx). */
  receipts: string[];
  /** Attempts that were not receipts: answered with an error, or never answered (the notifier retries, then gives up). */
  failedAttempts: string[];
  audit: Array<Record<string, unknown>>;
  dead: TaskMessage[];
  ecsCalls: Record<string, number>;
  drainedMs: number;
  ok: boolean;
  problems: string[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

const accepts = (host: string, port: number) =>
  new Promise<boolean>((resolve) => {
    const socket = connect({ host, port }, () => {
      socket.destroy();
      resolve(true);
    });
    socket.on('error', () => resolve(false));
  });

/** The environment variable a function of the stack was given (what it reads at cold start). */
function functionVariable(cloud: LocalCloud, logicalId: string, name: string): string {
  const value = cloud.functions.find(logicalId)?.spec.environment[name];
  if (!value) throw new Error(`function ${logicalId} has no ${name} in the template: the notifier scenario needs it`);
  return value;
}

export async function runNotifyScenario(
  cloud: LocalCloud,
  options: { say?: (line: string) => void; onTaskLine?: (entry: string) => void; timeoutMs?: number } = {},
): Promise<NotifyResult> {
  const say = options.say ?? (() => undefined);
  const { queues, tables } = cloud.resources;
  const queue = (id: string) => {
    const found = queues[id];
    if (!found) throw new Error(`the stack has no queue ${id}: the notifier scenario needs resources/notifier.yml`);
    return found;
  };
  const cluster = functionVariable(cloud, 'DiscoverServicesLambdaFunction', 'CLUSTER_NAME');
  const secretId = functionVariable(cloud, 'NotifyTaskLambdaFunction', 'NOTIFY_SECRET_ID');
  // The receivers get the key as an operator would give it to them: from the stack's secret.
  const key = (await cloud.clients.secretsManager!.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString!;
  const port = await freePort();
  const scratch = mkdtempSync(join(tmpdir(), 'notify-scenario-'));
  const claims = join(scratch, 'claims');
  // The tasks' program: the sample notify endpoint (with an optional fault), bundled once.
  const program = join(scratch, 'demo-task.js');
  buildSync({
    entryPoints: [join(projectRoot, 'local/scenarios/notify/demo-task.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    outfile: program,
    logLevel: 'silent',
  });
  const receipts: string[] = [];
  const failedAttempts: string[] = [];
  const serviceOf = new Map<string, string>();
  const onLog = (line: { taskArn: string; line: string }) => {
    const service = serviceOf.get(line.taskArn);
    if (!service) return;
    const who = `${service}/${line.taskArn.split('/').at(-1)}`;
    const entry = `${who}: ${line.line}`;
    if (line.line.includes('notification received')) receipts.push(entry);
    else if (line.line.includes('request received')) failedAttempts.push(entry);
    else if (line.line.includes('answering 500')) {
      // The received line came first: that attempt was answered 500, it is not a receipt.
      const at = receipts.map((r) => r.startsWith(`${who}: `)).lastIndexOf(true);
      if (at !== -1)
        failedAttempts.push(receipts.splice(at, 1)[0]!.replace('notification received', 'notification received, answered 500'));
    }
    options.onTaskLine?.(entry);
  };
  cloud.ecs.events.on('log', onLog);
  const labels = { NOTIFY_ME_CONTAINER_PORT: String(port), NOTIFY_ME_API_URI: '/notify' };
  const environment = { NOTIFY_HOST: '{taskIp}', NOTIFY_PORT: String(port), NOTIFY_PATH: '/notify', NOTIFY_HMAC_SECRET: key };
  const services: Array<{
    name: string;
    count: number;
    container: string;
    command: string[];
    labels?: Record<string, string>;
    extra: Record<string, string>;
  }> = [
    { name: 'orders-api', count: 2, container: 'app', command: ['node', program], labels, extra: {} },
    {
      name: 'cache-worker',
      count: 3,
      container: 'worker',
      command: ['node', program],
      labels,
      extra: { DEMO_FAULTS: 'none,500-once,hang', DEMO_FAULT_CLAIMS: claims },
    },
    { name: 'batch-runner', count: 1, container: 'runner', command: ['node', program], extra: {} },
  ];
  try {
    say(`Starting ECS services in cluster ${cluster} (child processes on loopback addresses)...`);
    for (const s of services) {
      cloud.ecs.ecs.registerTaskDefinition({
        family: s.name,
        containers: {
          [s.container]: {
            command: s.command,
            cwd: scratch,
            environment: { ...environment, ...s.extra },
            ...(s.labels ? { dockerLabels: s.labels } : {}),
            portMappings: [{ containerPort: port }],
          },
        },
      });
      const service = cloud.ecs.services.create({ cluster, serviceName: s.name, taskDefinition: s.name, desiredCount: s.count });
      for (const task of cloud.ecs.services.tasksOf(service)) serviceOf.set(task.taskArn, s.name);
    }
    const tasks = [...serviceOf.entries()].map(([arn, service]) => ({
      service,
      taskId: arn.split('/').at(-1)!,
      ip: cloud.ecs.ecs.addressOf(cloud.ecs.ecs.getTask(arn)!)!,
    }));
    const deadline = Date.now() + 30_000;
    for (const task of tasks) {
      while (!(await accepts(task.ip, port))) {
        if (Date.now() > deadline)
          throw new Error(
            `task ${task.service}/${task.taskId} did not listen on ${task.ip}:${port} within 30 s (see its output with DEMO_VERBOSE=1)`,
          );
        await sleep(50);
      }
    }
    for (const task of tasks) say(`  ${task.service.padEnd(13)} ${task.taskId}  ${task.ip}:${port}  RUNNING`);

    const eventId = `demo-${new Date().toISOString().replace(/[:.]/g, '-')}`;
    const payload = { action: 'reload-config', version: 42 };
    say(`\nBroadcasting ${eventId} ${JSON.stringify(payload)} through the observer queue...`);
    const started = Date.now();
    await cloud.clients.sqs.send(
      new SendMessageCommand({ QueueUrl: queue('NotifierObserverQueue').url, MessageBody: JSON.stringify({ eventId, payload }) }),
    );
    // Drained: every queue empty, visible or in flight, a few polls in a row (failed messages come back, then leave for the DLQ).
    const sources = ['NotifierObserverQueue', 'NotifierServiceQueue', 'NotifierTaskQueue'].map(queue);
    const until = Date.now() + (options.timeoutMs ?? 60_000);
    for (let quiet = 0; quiet < 4 && Date.now() < until; ) {
      await sleep(250);
      const depths = await Promise.all(
        sources.map(async (q) => {
          const out = await cloud.clients.sqs.send(
            new GetQueueAttributesCommand({
              QueueUrl: q.url,
              AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
            }),
          );
          return (
            Number(out.Attributes?.ApproximateNumberOfMessages ?? 0) + Number(out.Attributes?.ApproximateNumberOfMessagesNotVisible ?? 0)
          );
        }),
      );
      quiet = depths.every((d) => d === 0) && cloud.wiring.sqsMappings.every((m) => !m.busy) ? quiet + 1 : 0;
    }
    await cloud.wiring.drain();
    const drainedMs = Date.now() - started;

    const audit = (await cloud.clients.documents.send(new ScanCommand({ TableName: tables.NotifierAuditTable! }))).Items ?? [];
    const dlq = await cloud.clients.sqs.send(
      new ReceiveMessageCommand({ QueueUrl: queue('NotifierTaskDeadLetterQueue').url, MaxNumberOfMessages: 10 }),
    );
    const dead = (dlq.Messages ?? []).map((m) => TaskMessageSchema.parse(JSON.parse(m.Body ?? '{}')));

    // What the story needs: 4 labelled tasks delivered (one after a retry), the hanging one in the DLQ, nothing for batch-runner.
    const problems: string[] = [];
    const delivered = audit.filter((item) => item.eventId === eventId && item.status === 'DELIVERED');
    if (delivered.length !== 4) problems.push(`${delivered.length} deliveries, expected 4 (2 orders-api + 2 cache-worker)`);
    if (dead.length !== 1 || dead[0]?.serviceName !== 'cache-worker')
      problems.push(`the task DLQ holds ${dead.length} message(s), expected the hanging cache-worker task's`);
    if (receipts.some((r) => r.startsWith('batch-runner'))) problems.push('the unlabelled batch-runner was notified');
    const receivers = receipts.map((r) => r.split(': ')[0]);
    if (new Set(receivers).size !== receivers.length) problems.push(`a task accepted the event twice: ${receivers.join(', ')}`);
    return {
      eventId,
      payload,
      tasks,
      receipts,
      failedAttempts,
      audit,
      dead,
      ecsCalls: Object.fromEntries(cloud.ecs.calls),
      drainedMs,
      ok: problems.length === 0,
      problems,
    };
  } finally {
    cloud.ecs.events.off('log', onLog);
    for (const s of services) {
      if (cloud.ecs.services.find(cluster, s.name)) cloud.ecs.services.update({ cluster, service: s.name, desiredCount: 0 });
    }
    rmSync(scratch, { recursive: true, force: true });
  }
}
