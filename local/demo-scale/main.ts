/**
 * `npm run demo:scale`: the sample queue service scaling on the local machine.
 *
 * Starts local-aws-sqs, creates the queue and its DLQ, runs the sample queue service's
 * container entry point as worker processes, and lets the local autoscaler (the deployed
 * policy's math, one tick per second standing for one metric minute) set their number
 * while a producer sends phases of light, heavy and light traffic with different
 * processing times. Prints tasks, backlog and latency as it goes, a terminal chart at the
 * end, and writes an SVG chart.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import type { AddressInfo, Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync } from 'esbuild';
import { CreateQueueCommand, GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import { sqsMessageSender } from '../../lib/queue-services/adapters/sqs-message-sender';
import { produceMessages } from '../../lib/queue-services/produce-messages';
import { backlogTarget, decideTarget } from '../../lib/queue-services/target-math';
import { LocalAutoscaler } from '../autoscaler/autoscaler';
import { ProcessPool } from '../autoscaler/process-pool';
import { sqsBacklog } from '../autoscaler/sqs-backlog';
import { renderChart, sparkline } from './svg-chart';

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { createSqsServer } = require('local-aws-sqs') as { createSqsServer: (options: Record<string, unknown>) => Promise<Server> };

const ACCEPTABLE_LATENCY = 15;
const MAX_TASKS = 12;
/** Traffic phases: seconds, messages per second, processing time range (ms). */
const PHASES = [
  { seconds: 15, perSecond: 2, minWorkMs: 200, maxWorkMs: 400, label: 'light' },
  { seconds: 25, perSecond: 12, minWorkMs: 500, maxWorkMs: 1500, label: 'heavy, slower messages' },
  { seconds: 20, perSecond: 1, minWorkMs: 100, maxWorkMs: 300, label: 'light again' },
];
const DRAIN_SECONDS = 30;

async function main(): Promise<void> {
  const server = await createSqsServer({ port: 0, hostname: '127.0.0.1', emulateQueueCreationLifecycle: false });
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sqs = new SQSClient({ endpoint, region: 'us-east-1', credentials: { accessKeyId: 'local', secretAccessKey: 'local' } });
  const dlq = await sqs.send(new CreateQueueCommand({ QueueName: 'thumbnails-dlq' }));
  const dlqArn = (await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq.QueueUrl, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;
  const { QueueUrl } = await sqs.send(
    new CreateQueueCommand({ QueueName: 'thumbnails', Attributes: { VisibilityTimeout: '10', RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }) } }),
  );

  const script = join(mkdtempSync(join(tmpdir(), 'demo-scale-')), 'sample-queue.js');
  buildSync({ entryPoints: [resolve(__dirname, '../../container/sample-queue/main.ts')], bundle: true, platform: 'node', format: 'cjs', outfile: script, logLevel: 'silent' });

  // Completed messages of the current tick: latency and processing time, from the workers' logs.
  let tickLatencies: number[] = [];
  let windowStats = { sumSeconds: 0, count: 0 };
  const pool = new ProcessPool({
    script,
    env: {
      PATH: process.env.PATH,
      AWS_REGION: 'us-east-1',
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_ENDPOINT_URL_SQS: endpoint,
      QUEUE_URL: QueueUrl,
      QUEUE_SERVICE: 'thumbnails',
      METRIC_DIMENSION: 'local-thumbnails',
      VISIBILITY_TIMEOUT_SECONDS: '10',
      WAIT_TIME_SECONDS: '1',
      DRAIN_DEADLINE_SECONDS: '5',
      // The SDK's Node-version notice from every worker would bury the table.
      NODE_NO_WARNINGS: '1',
    },
    onLine: (line) => {
      if (!line.startsWith('{')) return;
      const entry = JSON.parse(line) as { message?: string; latencyMs?: number; workMs?: number };
      if (entry.message === 'message processed' && typeof entry.latencyMs === 'number') {
        tickLatencies.push(entry.latencyMs / 1000);
        windowStats = { sumSeconds: windowStats.sumSeconds + (entry.workMs ?? 0) / 1000, count: windowStats.count + 1 };
      }
    },
  });

  // The seed target assumes 300 ms per message; the "hourly" updater runs every 10 ticks here.
  let target = backlogTarget(ACCEPTABLE_LATENCY, 0.3, 500);
  const autoscaler = new LocalAutoscaler(sqsBacklog(sqs, QueueUrl!), pool, {
    minTasks: 1,
    maxTasks: MAX_TASKS,
    target: () => target,
    scaleOutEvaluations: 3,
    scaleInEvaluations: 8,
    scaleOutCooldownTicks: 2,
    scaleInCooldownTicks: 5,
  });

  const sender = sqsMessageSender(sqs);
  const totalSeconds = PHASES.reduce((sum, phase) => sum + phase.seconds, 0) + DRAIN_SECONDS;
  const rows: Array<{ t: number; tasks: number; backlog: number; p95: number; target: number }> = [];
  process.stdout.write(`acceptable latency ${ACCEPTABLE_LATENCY} s; one tick = one second = one metric datapoint\n`);
  process.stdout.write('   t  phase                     tasks  backlog  p95 latency  target  decision\n');
  for (let t = 1; t <= totalSeconds; t += 1) {
    const started = Date.now();
    let elapsed = 0;
    const phase = PHASES.find((p) => (elapsed += p.seconds) >= t);
    if (phase) await produceMessages({ queueUrl: QueueUrl!, count: phase.perSecond, minWorkMs: phase.minWorkMs, maxWorkMs: phase.maxWorkMs }, { sender, clock: () => new Date() });
    const decision = await autoscaler.tick();
    if (t % 10 === 0) {
      const tuned = decideTarget(target, windowStats, { acceptableLatencySeconds: ACCEPTABLE_LATENCY, tolerance: 0.1, maxTarget: 500 });
      if (tuned.action === 'update') target = tuned.proposed;
      windowStats = { sumSeconds: 0, count: 0 };
    }
    const sorted = tickLatencies.sort((a, b) => a - b);
    const p95 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]! : 0;
    tickLatencies = [];
    rows.push({ t, tasks: decision.desired, backlog: decision.visible, p95, target: decision.target });
    process.stdout.write(
      `${String(t).padStart(4)}  ${(phase?.label ?? 'drain').padEnd(24)} ${String(decision.desired).padStart(5)}  ${String(decision.visible).padStart(7)}  ${p95.toFixed(1).padStart(10)}s  ${decision.target.toFixed(1).padStart(6)}  ${decision.action}\n`,
    );
    await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
  }

  await pool.stopAll();
  sqs.destroy();
  await new Promise<void>((done) => server.close(() => done()));

  const line = (label: string, values: number[]) => `${label.padEnd(10)} ${sparkline(values)}  max ${Math.max(...values).toFixed(1)}`;
  process.stdout.write(`\n${line('tasks', rows.map((r) => r.tasks))}\n${line('backlog', rows.map((r) => r.backlog))}\n${line('p95 (s)', rows.map((r) => r.p95))}\n`);
  const svg = renderChart({
    title: `Local queue service scaling on backlog per task (acceptable latency ${ACCEPTABLE_LATENCY} s)`,
    xLabel: 'seconds',
    panels: [
      { title: 'tasks', yLabel: 'tasks', series: [{ label: 'desired tasks', color: '#1f77b4', points: rows.map((r) => [r.t, r.tasks]) }] },
      {
        title: 'backlog',
        yLabel: 'messages',
        series: [
          { label: 'visible messages', color: '#ff7f0e', points: rows.map((r) => [r.t, r.backlog]) },
          { label: 'target × tasks', color: '#2ca02c', points: rows.map((r) => [r.t, r.target * r.tasks]), dashed: true },
        ],
      },
      { title: 'latency', yLabel: 'seconds', reference: { value: ACCEPTABLE_LATENCY, label: 'acceptable' }, series: [{ label: 'p95 per second', color: '#d62728', points: rows.map((r) => [r.t, r.p95]) }] },
    ],
  });
  const file = join(tmpdir(), 'scale-demo.svg');
  writeFileSync(file, svg);
  process.stdout.write(`\nchart: ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
