/**
 * The scaling arithmetic, pure and shared by the target updater, the local autoscaler
 * and the benchmark, so all three scale the same way.
 *
 * Backlog per task = visible messages / running tasks. A task works on `concurrency`
 * messages at once (the worker's queue mode never receives more than its free slots), so it
 * drains `concurrency / averageProcessing` messages a second, and a backlog of
 * `acceptableLatency × concurrency / averageProcessing` messages per task is cleared within
 * the acceptable latency.
 *
 * Target tracking holds the metric AT its target, so at that backlog the newest message
 * waits the whole acceptable latency and the p95 lands above it. `headroom` (0 < h ≤ 1)
 * aims lower: target = headroom × acceptable latency × concurrency / average processing.
 */

/**
 * Default headroom, chosen with bench/scaling-sim.ts (results in bench/RESULTS.md): the
 * largest value whose p95 met the acceptable latency on steady, bursty and unpredictable
 * traffic at 300 s and on steady traffic at 120 s, under the modelled Application Auto
 * Scaling mechanics (0.5 missed 300 s unpredictable; 1, the bare formula, missed everywhere
 * by 1.6-2.3x). Larger values save task-minutes but cross the goal. Bursts and spikes shorter
 * than the ~5 minutes target tracking needs to react (3 one-minute datapoints, the metric's
 * delay, a task start) are not covered by any headroom at 120 s: schedule capacity for them,
 * or set a lower headroom (0.2 met 120 s unpredictable).
 */
export const DEFAULT_HEADROOM = 0.4;

export interface TargetFactors {
  /** Messages one task works on at once (registry `task.concurrency`, default 1). */
  concurrency?: number;
  /** Fraction of the latency budget the standing backlog may use (default DEFAULT_HEADROOM; 1 is the bare formula). */
  headroom?: number;
}

/** Totals of the processing-duration metric over the whole window. */
export interface WindowStats {
  /** Sum of processing durations, in seconds. */
  sumSeconds: number;
  /** Number of messages processed. */
  count: number;
}

/**
 * Average processing time over the window: total duration / total messages. Weighting
 * by count is what keeps one slow message (or one sparse minute) from dominating the
 * way an average of per-minute averages, or the newest datapoint, would.
 * Undefined when nothing was processed (no data is not a zero duration).
 */
export function averageProcessingSeconds(stats: WindowStats): number | undefined {
  if (!Number.isFinite(stats.sumSeconds) || !Number.isFinite(stats.count)) return undefined;
  if (stats.count <= 0 || stats.sumSeconds < 0) return undefined;
  return stats.sumSeconds / stats.count;
}

/** Adds per-period Sum and SampleCount datapoints into window totals. */
export function sumWindow(periods: Array<{ sumSeconds: number; count: number }>): WindowStats {
  return periods.reduce((total, period) => ({ sumSeconds: total.sumSeconds + period.sumSeconds, count: total.count + period.count }), {
    sumSeconds: 0,
    count: 0,
  });
}

/**
 * target = headroom × acceptable latency × concurrency / average processing time, clamped
 * to [1, maxTarget]. At least 1: a message that takes longer than the acceptable latency
 * cannot be made faster by adding tasks beyond one task per waiting message. At most
 * maxTarget: a run of near-instant messages must not let the backlog grow without bound.
 */
export function backlogTarget(
  acceptableLatencySeconds: number,
  averageSeconds: number,
  maxTarget: number,
  factors: TargetFactors = {},
): number {
  const { concurrency = 1, headroom = DEFAULT_HEADROOM } = factors;
  if (!(acceptableLatencySeconds > 0)) throw new RangeError(`acceptable latency must be > 0, got ${acceptableLatencySeconds}`);
  if (!(maxTarget >= 1)) throw new RangeError(`maxTarget must be >= 1, got ${maxTarget}`);
  if (!(headroom > 0 && headroom <= 1)) throw new RangeError(`headroom must be > 0 and <= 1, got ${headroom}`);
  if (!(Number.isInteger(concurrency) && concurrency >= 1))
    throw new RangeError(`concurrency must be a whole number >= 1, got ${concurrency}`);
  if (!(averageSeconds > 0)) return maxTarget;
  const raw = (headroom * acceptableLatencySeconds * concurrency) / averageSeconds;
  // Two decimals: the policy's target is a number; finer steps are noise.
  return Math.round(Math.min(maxTarget, Math.max(1, raw)) * 100) / 100;
}

/** True when `proposed` differs from `current` by more than `tolerance` (a fraction of current). */
export function movedBeyondTolerance(current: number, proposed: number, tolerance: number): boolean {
  if (!(current > 0)) return true;
  return Math.abs(proposed - current) / current > tolerance;
}

export type TargetDecision =
  | { action: 'keep'; reason: 'no-data'; current: number }
  | { action: 'keep'; reason: 'within-tolerance'; current: number; proposed: number; averageSeconds: number }
  | { action: 'update'; current: number; proposed: number; averageSeconds: number };

export interface TargetSettings extends TargetFactors {
  acceptableLatencySeconds: number;
  tolerance: number;
  maxTarget: number;
}

/** What the updater should do with the policy, given the window's statistics. */
export function decideTarget(current: number, stats: WindowStats, settings: TargetSettings): TargetDecision {
  const averageSeconds = averageProcessingSeconds(stats);
  if (averageSeconds === undefined) return { action: 'keep', reason: 'no-data', current };
  const proposed = backlogTarget(settings.acceptableLatencySeconds, averageSeconds, settings.maxTarget, {
    concurrency: settings.concurrency,
    headroom: settings.headroom,
  });
  if (!movedBeyondTolerance(current, proposed, settings.tolerance)) {
    return { action: 'keep', reason: 'within-tolerance', current, proposed, averageSeconds };
  }
  return { action: 'update', current, proposed, averageSeconds };
}

/**
 * Backlog per task as the policy's metric math computes it: IF(m2 > 0, m1 / m2, m1).
 * With no running task the whole backlog counts against one task, so the metric stays
 * defined (and high) instead of dividing by zero.
 */
export function backlogPerTask(visibleMessages: number, runningTasks: number): number {
  return runningTasks > 0 ? visibleMessages / runningTasks : visibleMessages;
}

/**
 * The desired count target tracking converges on: enough tasks that backlog per task
 * is at the target, within [minTasks, maxTasks]. Scale-in is limited to one step
 * (`scaleInStep` tasks) per decision, as target tracking scales in gradually.
 */
export function desiredTasks(input: {
  visibleMessages: number;
  runningTasks: number;
  target: number;
  minTasks: number;
  maxTasks: number;
  scaleInStep?: number;
}): number {
  const { visibleMessages, runningTasks, target, minTasks, maxTasks } = input;
  const wanted = Math.ceil(visibleMessages / target);
  let next = Math.max(minTasks, Math.min(maxTasks, wanted));
  const step = input.scaleInStep ?? Number.POSITIVE_INFINITY;
  if (next < runningTasks) next = Math.max(next, runningTasks - step);
  return next;
}
