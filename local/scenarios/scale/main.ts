/**
 * `npm run demo:scale`: the sample queue service scaling on the local cloud.
 *
 * Starts a fresh local cloud with its queue service running (the template's ECS service, its
 * worker the sample container's entry point, on the local ECS) and its target tracking policy
 * evaluated once a second: one tick stands for one metric minute. The service's burst path
 * (pipelines.yml `burst: {}`) is evaluated on the same ticks, one tick per 10 s alarm period:
 * its step policy acts after 2 ticks above its threshold, target tracking after 3; its scale-in
 * on busy slots (`burst.scaleIn`, one tick per alarm minute) removes tasks after 5 idle ticks,
 * target tracking's own scale-in being disabled. A producer invokes the
 * stack's produceMessages function with phases of light, heavy and light traffic with
 * different processing times; every 10 ticks the demo runs the target updater's use case on
 * the last 10 ticks' processing times, through the local Application Auto Scaling and
 * CloudWatch APIs, as the hourly updater would: it puts the target, and the burst alarm's
 * threshold and the step policy's steps in proportion, which the local autoscaler then uses. Prints tasks, backlog and latency as it goes, a terminal chart at the
 * end, and writes an SVG chart. The acceptable latency is 15 s here (pipelines.yml says
 * 120 s), so a 90 s run shows scaling out and back in.
 */
import { writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { CloudWatchClient } from '@aws-sdk/client-cloudwatch';
import { applicationAutoScalingPolicies } from '../../../lib/queue-services/adapters/application-auto-scaling-policies';
import { cloudWatchAlarms } from '../../../lib/queue-services/adapters/cloudwatch-alarms';
import { parseDeployedQueueServices } from '../../../lib/queue-services/deployed-services';
import { backlogTarget } from '../../../lib/queue-services/target-math';
import { updateScalingTarget } from '../../../lib/queue-services/update-scaling-target';
import { LOCAL_CREDENTIALS } from '../../cloud/aws';
import { checkContainerBuild } from '../demo/demo';
import { explain } from '../../cloud/errors';
import { projectRoot } from '../../cloud/project-root';
import { startLocalCloud } from '../../cloud/start';
import { renderChart, sparkline } from './svg-chart';

const QUEUE_SERVICE = 'thumbnails';
const ACCEPTABLE_LATENCY = 15;
/** What each column of the table means, printed above it. */
const COLUMNS = [
  'Columns:',
  '  t            seconds since the traffic started (one tick: one scaling evaluation)',
  '  phase        the traffic sent that second (messages per second, how long each takes)',
  "  tasks        the service's desired task count after this tick",
  '  backlog      messages visible in the queue, waiting for a task',
  '  p95 latency  95th percentile of how long the messages finished in this second waited, queue to done',
  '  target       backlog per task the policy holds (headroom x acceptable latency x concurrency / average processing time;',
  '               the target updater re-tunes it from measured processing times every 10 ticks here, hourly on AWS)',
  '  burst at     backlog per task above which the step policy acts: burst.thresholdFactor x the target (the updater moves it too)',
  '  busy         busy slots the scale-in alarm reads this tick (- with no task running)',
  '  decision     what the policies did: burst out (the step policy: backlog per task above its alarm threshold 2 ticks running,',
  '               tasks added in proportion to the excess), scale out (target tracking: above the target 3 ticks running),',
  '               burst in (the scale-in step policy: busy slots, (visible + in-flight messages) / (tasks x concurrency),',
  '               under its alarm threshold 5 ticks running, tasks removed toward 0.8 busy, at most half, then a 5-tick',
  "               cooldown; target tracking's own scale-in is disabled with it), scale in (target tracking below 90 % of",
  '               the target 15 ticks; only a service whose burst.scaleIn is false), hold',
  '',
].join('\n');

/** Traffic phases: seconds, messages per second, processing time range (ms). */
const PHASES = [
  { seconds: 15, perSecond: 2, minWorkMs: 200, maxWorkMs: 400, label: 'light' },
  { seconds: 25, perSecond: 9, minWorkMs: 500, maxWorkMs: 1500, label: 'heavy, slower messages' },
  { seconds: 20, perSecond: 1, minWorkMs: 100, maxWorkMs: 300, label: 'light again' },
];
const DRAIN_SECONDS = 30;

const write = (text: string) => void process.stdout.write(text);

async function main(): Promise<void> {
  checkContainerBuild(projectRoot);
  write('Starting the local cloud with its queue services (policy evaluated by this demo once a second)...\n');
  const cloud = await startLocalCloud({ root: projectRoot, portBase: 0, scalingTickMs: 0, log: (line) => write(`  ${line}\n`) });
  try {
    const producer = cloud.functions.find('ProduceMessagesLambdaFunction');
    if (!producer) throw new Error('the stack has no produceMessages function (functions/queue-services.yml)');
    const deployed = parseDeployedQueueServices(producer.spec.environment.QUEUE_SERVICES ?? '{}')[QUEUE_SERVICE];
    const scaler = cloud.autoscaling.scalers.find((s) => s.serviceName === deployed?.serviceName);
    if (!deployed || !scaler)
      throw new Error(`queue service ${QUEUE_SERVICE} is not in the stack or not scaled locally (pipelines.yml queueServices)`);
    write(`  up in ${cloud.startupMs} ms · service ${deployed.serviceName}, queue ${deployed.queueUrl.split('/').at(-1)}\n\n`);

    // Completed messages of the current tick: latency and processing time, from the workers' logs.
    let tickLatencies: number[] = [];
    let windowStats = { sumSeconds: 0, count: 0 };
    cloud.ecs.events.on('log', (line) => {
      if (cloud.ecs.ecs.getTask(line.taskArn)?.group !== `service:${deployed.serviceName}` || !line.line.startsWith('{')) return;
      const entry = JSON.parse(line.line) as { message?: string; latencyMs?: number; workMs?: number };
      if (entry.message === 'message processed' && typeof entry.latencyMs === 'number') {
        tickLatencies.push(entry.latencyMs / 1000);
        windowStats = { sumSeconds: windowStats.sumSeconds + (entry.workMs ?? 0) / 1000, count: windowStats.count + 1 };
      }
    });
    // The seed target assumes 300 ms per message; the "hourly" updater runs every 10 ticks here,
    // on the local APIs (the burst path follows the target from its first run).
    scaler.setTarget(backlogTarget(ACCEPTABLE_LATENCY, 0.3, 500));
    const local = { region: cloud.region, credentials: LOCAL_CREDENTIALS, endpoint: cloud.endpoints.monitoring };
    const updaterDeps = {
      policies: applicationAutoScalingPolicies(new ApplicationAutoScalingClient(local)),
      alarms: cloudWatchAlarms(new CloudWatchClient(local)),
      stats: { window: async () => windowStats },
      clock: () => new Date(),
    };
    const [, cluster, serviceName] = scaler.resourceId.split('/');

    const totalSeconds = PHASES.reduce((sum, phase) => sum + phase.seconds, 0) + DRAIN_SECONDS;
    const rows: Array<{ t: number; tasks: number; backlog: number; p95: number; target: number }> = [];
    write(`acceptable latency ${ACCEPTABLE_LATENCY} s; one tick = one second = one metric datapoint\n`);
    write(COLUMNS);
    write('   t  phase                     tasks  backlog  p95 latency  target  burst at  busy  decision\n');
    for (let t = 1; t <= totalSeconds; t += 1) {
      const started = Date.now();
      let elapsed = 0;
      const phase = PHASES.find((p) => (elapsed += p.seconds) >= t);
      if (phase)
        await producer.invoke({
          queueService: QUEUE_SERVICE,
          count: phase.perSecond,
          minWorkMs: phase.minWorkMs,
          maxWorkMs: phase.maxWorkMs,
        });
      const decision = await scaler.autoscaler.tick();
      const burstAt = scaler.autoscaler.settings.burst?.threshold;
      if (t % 10 === 0) {
        await updateScalingTarget(
          {
            queueService: QUEUE_SERVICE,
            cluster: cluster!,
            serviceName: serviceName!,
            policyName: deployed.policyName,
            metricDimension: deployed.metricDimension,
            settings: { acceptableLatencySeconds: ACCEPTABLE_LATENCY, tolerance: 0.1, maxTarget: 500 },
            ...(deployed.burst ? { burst: deployed.burst } : {}),
          },
          updaterDeps,
        );
        windowStats = { sumSeconds: 0, count: 0 };
      }
      const sorted = tickLatencies.sort((a, b) => a - b);
      const p95 = sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(0.95 * sorted.length))]! : 0;
      tickLatencies = [];
      rows.push({ t, tasks: decision.desired, backlog: decision.visible, p95, target: decision.target });
      write(
        `${String(t).padStart(4)}  ${(phase?.label ?? 'drain').padEnd(24)} ${String(decision.desired).padStart(5)}  ${String(decision.visible).padStart(7)}  ${p95.toFixed(1).padStart(10)}s  ${decision.target.toFixed(1).padStart(6)}  ${(burstAt?.toFixed(2) ?? '-').padStart(8)}  ${(decision.busy !== undefined ? decision.busy.toFixed(2) : '-').padStart(4)}  ${decision.action}\n`,
      );
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
    }

    const line = (label: string, values: number[]) => `${label.padEnd(10)} ${sparkline(values)}  max ${Math.max(...values).toFixed(1)}`;
    write(
      `\n${line(
        'tasks',
        rows.map((r) => r.tasks),
      )}\n${line(
        'backlog',
        rows.map((r) => r.backlog),
      )}\n${line(
        'p95 (s)',
        rows.map((r) => r.p95),
      )}\n`,
    );
    const svg = renderChart({
      title: `Local queue service scaling on backlog per task (acceptable latency ${ACCEPTABLE_LATENCY} s)`,
      xLabel: 'seconds',
      panels: [
        {
          title: 'tasks',
          yLabel: 'tasks',
          series: [{ label: 'desired tasks', color: '#1f77b4', points: rows.map((r) => [r.t, r.tasks]) }],
        },
        {
          title: 'backlog',
          yLabel: 'messages',
          series: [
            { label: 'visible messages', color: '#ff7f0e', points: rows.map((r) => [r.t, r.backlog]) },
            { label: 'target × tasks', color: '#2ca02c', points: rows.map((r) => [r.t, r.target * r.tasks]), dashed: true },
          ],
        },
        {
          title: 'latency',
          yLabel: 'seconds',
          reference: { value: ACCEPTABLE_LATENCY, label: 'acceptable' },
          series: [{ label: 'p95 per second', color: '#d62728', points: rows.map((r) => [r.t, r.p95]) }],
        },
      ],
    });
    const file = join(tmpdir(), 'scale-demo.svg');
    writeFileSync(file, svg);
    write(`\nchart: ${file}\n`);
  } finally {
    await cloud.stop();
  }
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    process.stderr.write(`demo:scale failed: ${explain(error)}\n`);
    process.exit(1);
  },
);
