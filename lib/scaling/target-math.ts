/**
 * The scaling arithmetic, pure and shared by the target updater, the local autoscaler
 * and the benchmark, so all three scale the same way.
 *
 * Backlog per task = visible messages / running tasks. A task drains one message per
 * `averageProcessingSeconds`, so a backlog of `acceptableLatency / averageProcessing`
 * messages per task is cleared within the acceptable latency: that is the target.
 */

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
  return periods.reduce(
    (total, period) => ({ sumSeconds: total.sumSeconds + period.sumSeconds, count: total.count + period.count }),
    { sumSeconds: 0, count: 0 },
  );
}

/**
 * target = acceptable latency / average processing time, clamped to [1, maxTarget].
 * At least 1: a message that takes longer than the acceptable latency cannot be made
 * faster by adding tasks beyond one task per waiting message. At most maxTarget: a run of
 * near-instant messages must not let the backlog grow without bound.
 */
export function backlogTarget(acceptableLatencySeconds: number, averageSeconds: number, maxTarget: number): number {
  if (!(acceptableLatencySeconds > 0)) throw new RangeError(`acceptable latency must be > 0, got ${acceptableLatencySeconds}`);
  if (!(maxTarget >= 1)) throw new RangeError(`maxTarget must be >= 1, got ${maxTarget}`);
  if (!(averageSeconds > 0)) return maxTarget;
  const raw = acceptableLatencySeconds / averageSeconds;
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

export interface TargetSettings {
  acceptableLatencySeconds: number;
  tolerance: number;
  maxTarget: number;
}

/** What the updater should do with the policy, given the window's statistics. */
export function decideTarget(current: number, stats: WindowStats, settings: TargetSettings): TargetDecision {
  const averageSeconds = averageProcessingSeconds(stats);
  if (averageSeconds === undefined) return { action: 'keep', reason: 'no-data', current };
  const proposed = backlogTarget(settings.acceptableLatencySeconds, averageSeconds, settings.maxTarget);
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
