/**
 * Deterministic simulation (seeded RNG): scaling a queue service on backlog per task with
 * the self-tuning target (lib/scaling/target-math.ts) against scaling on queue depth alone,
 * for steady, bursty and unpredictable traffic. Reports p95 message latency (wait +
 * processing) against the acceptable latency, and task-minutes; writes a plot.
 *
 * Both policies run the same target tracking mechanics, modelled on Application Auto
 * Scaling: one-minute metric datapoints; scale out when 3 consecutive datapoints are
 * above the target, to ceil(current × metric / target); scale in when 15 consecutive
 * datapoints are below 90 % of it; cooldowns 60 s out / 300 s in; a new task consumes
 * after a 60 s start. Only the metric and its target differ:
 *   backlog per task: metric = visible / running, target = acceptable latency / average
 *                     processing time over the last hour, re-tuned hourly (10 % tolerance);
 *   depth only:       metric = visible messages, fixed target (100 messages).
 *
 * Run: node scripts/run-ts.mjs bench/scaling-sim.ts [seed] [acceptable latency s]
 *      (writes bench/scaling-sim-<latency>s.svg)
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { backlogPerTask, backlogTarget, decideTarget, type WindowStats } from '../lib/scaling/target-math';
import { renderChart, type Panel } from '../local/demo-scale/svg-chart';

/** The acceptable latency: argv[3] (default 300 s; the sample service in pipelines.yml uses 120 s). */
const ACCEPTABLE_LATENCY = Number(process.argv[3] ?? 300);
const MIN_TASKS = 1;
const MAX_TASKS = 60;
const TASK_START_SECONDS = 60;
const DURATION_SECONDS = 6 * 3600;
const DEPTH_TARGET = 100;
/** The variant's fraction of the formula's target. */
const HEADROOM = Number(process.argv[4] ?? 0.3);
const INITIAL_EXPECTED_PROCESSING = 2;

/** mulberry32: small, fast, seedable. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function poisson(random: () => number, lambda: number): number {
  if (lambda <= 0) return 0;
  if (lambda > 30) return Math.max(0, Math.round(lambda + Math.sqrt(lambda) * gaussian(random)));
  const limit = Math.exp(-lambda);
  let k = 0;
  let p = 1;
  do {
    k += 1;
    p *= random();
  } while (p > limit);
  return k - 1;
}

function gaussian(random: () => number): number {
  return Math.sqrt(-2 * Math.log(random() || 1e-12)) * Math.cos(2 * Math.PI * random());
}

/** Mean processing time drifts: the self-tuning target has something to follow. */
const meanProcessing = (t: number) => (t < 2 * 3600 ? 2 : t < 4 * 3600 ? 4 : 1.5);

/** Lognormal processing time with the given mean (sigma 0.6: a long right tail). */
function processingTime(random: () => number, mean: number): number {
  const sigma = 0.6;
  return Math.exp(Math.log(mean) - (sigma * sigma) / 2 + sigma * gaussian(random));
}

type Traffic = (t: number, random: () => number) => number;

export const TRAFFIC: Record<string, { describe: string; rate: (seed: number) => Traffic }> = {
  steady: { describe: 'Poisson, 4 messages/s', rate: () => () => 4 },
  bursty: {
    describe: '1 message/s, with 4-minute bursts of 25/s every 30 minutes',
    rate: () => (t) => (t % 1800 < 240 && t >= 600 ? 25 : 1),
  },
  unpredictable: {
    describe: 'random walk between 0.2 and 12 messages/s, with random 2-8 minute spikes',
    rate: (seed) => {
      const random = rng(seed * 7919);
      const minutes = Math.ceil(DURATION_SECONDS / 60);
      const rates: number[] = [];
      let level = 3;
      let spike = 0;
      for (let m = 0; m < minutes; m += 1) {
        level = Math.min(12, Math.max(0.2, level + gaussian(random) * 0.6));
        if (spike > 0) spike -= 1;
        else if (random() < 0.02) spike = 2 + Math.floor(random() * 7);
        rates.push(spike > 0 ? level + 10 + random() * 10 : level);
      }
      return (t) => rates[Math.floor(t / 60)] ?? level;
    },
  },
};

interface Policy {
  name: string;
  metric(visible: number, running: number): number;
  target(): number;
  /** Called hourly with the last hour's processing totals. */
  retune?(stats: WindowStats): void;
}

/**
 * `headroom` < 1 aims the target below acceptable latency / average: target tracking holds
 * the metric AT its target, so with headroom 1 the typical wait sits at the acceptable
 * latency itself (see RESULTS.md). The shipped updater uses headroom 1 (the formula of issue 7).
 */
function backlogPolicy(headroom = 1): Policy {
  let target = backlogTarget(ACCEPTABLE_LATENCY, INITIAL_EXPECTED_PROCESSING, 1000);
  return {
    name: headroom === 1 ? 'backlog per task (self-tuning)' : `backlog per task, target × ${headroom}`,
    metric: backlogPerTask,
    target: () => Math.max(1, target * headroom),
    retune(stats) {
      const decision = decideTarget(target, stats, { acceptableLatencySeconds: ACCEPTABLE_LATENCY, tolerance: 0.1, maxTarget: 1000 });
      if (decision.action === 'update') target = decision.proposed;
    },
  };
}

function depthPolicy(): Policy {
  return { name: `queue depth only (target ${DEPTH_TARGET})`, metric: (visible) => visible, target: () => DEPTH_TARGET };
}

interface Task {
  readyAt: number;
  freeAt: number;
  stopping: boolean;
}

export interface SimResult {
  policy: string;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  taskMinutes: number;
  messages: number;
  /** Per minute: [minute, tasks, visible, p95 latency of that minute's completions, target]. */
  timeline: Array<[number, number, number, number, number]>;
}

const percentile = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0);

export function simulate(traffic: Traffic, policy: Policy, seed: number): SimResult {
  const arrivals = rng(seed);
  const work = rng(seed + 1);
  const queue: Array<{ arrivedAt: number; work: number }> = [];
  let head = 0;
  const tasks: Task[] = Array.from({ length: MIN_TASKS }, () => ({ readyAt: 0, freeAt: 0, stopping: false }));
  const latencies: number[] = [];
  let minuteLatencies: number[] = [];
  let hour: WindowStats = { sumSeconds: 0, count: 0 };
  let high = 0;
  let low = 0;
  let lastOut = -Infinity;
  let lastIn = -Infinity;
  let taskSeconds = 0;
  const timeline: SimResult['timeline'] = [];

  for (let t = 0; t < DURATION_SECONDS; t += 1) {
    // Arrivals spread across the second.
    const n = poisson(arrivals, traffic(t, arrivals));
    for (let i = 0; i < n; i += 1) queue.push({ arrivedAt: t + (i + 0.5) / n, work: processingTime(work, meanProcessing(t)) });
    // Each ready task takes messages in arrival order until it is busy past this second.
    for (const task of tasks) {
      if (task.readyAt > t + 1) continue;
      let free = Math.max(task.freeAt, task.readyAt, t);
      while (free < t + 1 && head < queue.length && !task.stopping) {
        const message = queue[head]!;
        if (message.arrivedAt > t + 1) break;
        head += 1;
        const start = Math.max(free, message.arrivedAt);
        free = start + message.work;
        const latency = free - message.arrivedAt;
        latencies.push(latency);
        minuteLatencies.push(latency);
        hour = { sumSeconds: hour.sumSeconds + message.work, count: hour.count + 1 };
      }
      task.freeAt = free;
    }
    // Stopping tasks leave once their last message is done (SIGTERM drain).
    for (let i = tasks.length - 1; i >= 0; i -= 1) if (tasks[i]!.stopping && tasks[i]!.freeAt <= t + 1) tasks.splice(i, 1);
    taskSeconds += tasks.length;
    if (head > 10_000) {
      queue.splice(0, head);
      head = 0;
    }

    if ((t + 1) % 60 === 0) {
      const visible = queue.length - head;
      const running = tasks.filter((task) => task.readyAt <= t + 1 && !task.stopping).length;
      const current = tasks.filter((task) => !task.stopping).length;
      const metric = policy.metric(visible, running);
      const target = policy.target();
      high = metric > target ? high + 1 : 0;
      low = metric < 0.9 * target ? low + 1 : 0;
      let desired = current;
      if (high >= 3 && t - lastOut >= 60) {
        desired = Math.min(MAX_TASKS, Math.max(current + 1, Math.ceil((Math.max(running, 1) * metric) / target)));
        lastOut = t;
      } else if (low >= 15 && t - lastIn >= 300 && t - lastOut >= 60) {
        desired = Math.max(MIN_TASKS, Math.ceil((Math.max(running, 1) * metric) / target));
        if (desired < current) lastIn = t;
      }
      if (desired > current) for (let i = current; i < desired; i += 1) tasks.push({ readyAt: t + TASK_START_SECONDS, freeAt: 0, stopping: false });
      if (desired < current) {
        // Stop the youngest tasks first (the ones not yet started cost nothing more).
        let excess = current - desired;
        for (let i = tasks.length - 1; i >= 0 && excess > 0; i -= 1) {
          if (!tasks[i]!.stopping) {
            tasks[i]!.stopping = true;
            excess -= 1;
          }
        }
      }
      const sortedMinute = minuteLatencies.sort((a, b) => a - b);
      timeline.push([(t + 1) / 3600, current === desired ? current : desired, visible, percentile(sortedMinute, 0.95), target]);
      minuteLatencies = [];
    }
    if ((t + 1) % 3600 === 0) {
      policy.retune?.(hour);
      hour = { sumSeconds: 0, count: 0 };
    }
  }
  latencies.sort((a, b) => a - b);
  return {
    policy: policy.name,
    p50: percentile(latencies, 0.5),
    p95: percentile(latencies, 0.95),
    p99: percentile(latencies, 0.99),
    max: latencies[latencies.length - 1] ?? 0,
    taskMinutes: taskSeconds / 60,
    messages: latencies.length,
    timeline,
  };
}

function main(): void {
  const seed = Number(process.argv[2] ?? 42);
  const rows: string[] = [];
  const panels: Panel[] = [];
  const summary: Array<Record<string, unknown>> = [];
  for (const [name, scenario] of Object.entries(TRAFFIC)) {
    const backlog = simulate(scenario.rate(seed), backlogPolicy(), seed);
    const depth = simulate(scenario.rate(seed), depthPolicy(), seed);
    const headroom = simulate(scenario.rate(seed), backlogPolicy(HEADROOM), seed);
    for (const result of [backlog, headroom, depth]) {
      rows.push(
        `| ${name} | ${result.policy} | ${result.messages} | ${result.p50.toFixed(1)} | ${result.p95.toFixed(1)} | ${result.p99.toFixed(1)} | ${result.p95 <= ACCEPTABLE_LATENCY ? 'yes' : 'no'} | ${result.taskMinutes.toFixed(0)} |`,
      );
      summary.push({ scenario: name, policy: result.policy, p95: +result.p95.toFixed(1), taskMinutes: Math.round(result.taskMinutes) });
    }
    const goal = backlog.p95 <= ACCEPTABLE_LATENCY && backlog.taskMinutes < depth.taskMinutes;
    rows.push(`| ${name} | **goal met** (p95 ≤ ${ACCEPTABLE_LATENCY} s and fewer task-minutes) | | | | | ${goal ? '**yes**' : '**no**'} | ${(100 * (1 - backlog.taskMinutes / depth.taskMinutes)).toFixed(0)} % fewer |`);
    const goalHeadroom = headroom.p95 <= ACCEPTABLE_LATENCY && headroom.taskMinutes < depth.taskMinutes;
    rows.push(`| ${name} | **goal met with target × ${HEADROOM}** | | | | | ${goalHeadroom ? '**yes**' : '**no**'} | ${(100 * (1 - headroom.taskMinutes / depth.taskMinutes)).toFixed(0)} % fewer |`);
    panels.push(
      {
        title: `${name}: ${scenario.describe} — tasks`,
        yLabel: 'tasks',
        series: [
          { label: 'backlog per task', color: '#1f77b4', points: backlog.timeline.map(([x, tasks]) => [x, tasks]) },
          { label: `target × ${HEADROOM}`, color: '#2ca02c', points: headroom.timeline.map(([x, tasks]) => [x, tasks]) },
          { label: 'depth only', color: '#ff7f0e', points: depth.timeline.map(([x, tasks]) => [x, tasks]), dashed: true },
        ],
      },
      {
        title: `${name}: p95 latency of each minute's messages`,
        yLabel: 'seconds',
        reference: { value: ACCEPTABLE_LATENCY, label: `acceptable ${ACCEPTABLE_LATENCY} s` },
        series: [
          { label: 'backlog per task', color: '#1f77b4', points: backlog.timeline.map(([x, , , p95]) => [x, p95]) },
          { label: `target × ${HEADROOM}`, color: '#2ca02c', points: headroom.timeline.map(([x, , , p95]) => [x, p95]) },
          { label: 'depth only', color: '#ff7f0e', points: depth.timeline.map(([x, , , p95]) => [x, p95]), dashed: true },
        ],
      },
    );
  }
  const svg = renderChart({ title: `Backlog-per-task vs depth-only scaling (seed ${seed}, acceptable latency ${ACCEPTABLE_LATENCY} s)`, xLabel: 'hours', panels, panelHeight: 130 });
  const file = join(__dirname, `scaling-sim-${ACCEPTABLE_LATENCY}s.svg`);
  writeFileSync(file, svg);
  process.stdout.write(
    [
      `seed ${seed}; ${DURATION_SECONDS / 3600} h; acceptable latency ${ACCEPTABLE_LATENCY} s; tasks ${MIN_TASKS}-${MAX_TASKS}; task start ${TASK_START_SECONDS} s; mean processing 2 s → 4 s (2 h) → 1.5 s (4 h)`,
      '',
      '| traffic | policy | messages | p50 s | p95 s | p99 s | p95 ≤ acceptable | task-minutes |',
      '| --- | --- | ---: | ---: | ---: | ---: | --- | ---: |',
      ...rows,
      '',
      `plot: ${file}`,
      JSON.stringify(summary),
    ].join('\n') + '\n',
  );
}

if (require.main === module && !process.env.SIM_NO_MAIN) main();
