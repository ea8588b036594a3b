/**
 * The burst path's arithmetic, pure and shared by the template generator (stack/queue-services.ts),
 * the local autoscaler and the benchmark (bench/scaling-model.ts), so all three step the same way.
 *
 * A step scaling policy (Application Auto Scaling, PolicyType StepScaling) runs when a
 * high-resolution CloudWatch alarm on backlog per task breaches its threshold. Step
 * adjustments are keyed on the difference between the alarm's metric and its threshold
 * (StepAdjustment: "an adjustment based on the difference between the value of the aggregated
 * CloudWatch metric and the breach threshold", Application Auto Scaling API reference). With
 * AdjustmentType PercentChangeInCapacity, adding p % of the capacity when backlog per task is
 * (1 + p/100) × the threshold is the same proportion target tracking applies
 * (capacity × metric / target), in steps: capacity grows in proportion to the excess backlog.
 */

export interface StepAdjustment {
  /** Lower bound of (metric - threshold), inclusive; undefined: minus infinity. */
  lower?: number;
  /** Upper bound of (metric - threshold), exclusive; undefined: infinity. */
  upper?: number;
  /** PercentChangeInCapacity. */
  percent: number;
}

/**
 * Metric / threshold ratios where the steps start, and the percentage each adds: a step
 * starting at ratio r adds 100 × (r - 1) % (the capacity that ratio needs), the first one half
 * way up its band so a breach just above the threshold still adds capacity.
 */
const STEP_RATIOS = [1, 2, 3, 5, 9, 17];

/** The policy's StepAdjustments for an alarm threshold (backlog per task), capped at maxPercent. */
export function burstStepAdjustments(threshold: number, maxPercent: number): StepAdjustment[] {
  if (!(threshold > 0)) throw new RangeError(`burst threshold must be > 0, got ${threshold}`);
  const steps: StepAdjustment[] = [];
  for (let i = 0; i < STEP_RATIOS.length; i += 1) {
    const from = STEP_RATIOS[i]!;
    const to = STEP_RATIOS[i + 1];
    const percent = Math.min(maxPercent, Math.round(100 * (i === 0 ? ((to ?? 2) - from) / 2 : from - 1)));
    const lower = round((from - 1) * threshold);
    const upper = to !== undefined ? round((to - 1) * threshold) : undefined;
    const last = steps[steps.length - 1];
    // Steps the cap made equal merge into one open-ended step (no gaps, no overlaps).
    if (last && last.percent === percent) {
      delete last.upper;
      break;
    }
    steps.push({ lower, ...(upper !== undefined ? { upper } : {}), percent });
  }
  return steps;
}

const round = (value: number) => Math.round(value * 1000) / 1000;

/** The step whose interval holds metric - threshold (undefined: below every step). */
export function stepFor(steps: StepAdjustment[], excess: number): StepAdjustment | undefined {
  return steps.find((step) => (step.lower === undefined || excess >= step.lower) && (step.upper === undefined || excess < step.upper));
}

/**
 * Capacity after one invocation of the policy. PercentChangeInCapacity: the change is
 * rounded down when above 1 and at least MinAdjustmentMagnitude (Application Auto Scaling
 * StepScalingPolicyConfiguration). During the cooldown, "the capacity that has been added by
 * the previous scale out event that initiated the cooldown is calculated as part of the desired
 * capacity for the next scale out": the step applies to the capacity from before that scale
 * out, and only a larger result adds tasks.
 */
export function stepCapacity(input: {
  capacity: number;
  /** Capacity before the scale-out that started the cooldown (undefined: not in cooldown). */
  capacityBeforeCooldown?: number;
  metric: number;
  threshold: number;
  steps: StepAdjustment[];
  minAdjustmentMagnitude: number;
  maxCapacity: number;
}): number {
  const step = stepFor(input.steps, input.metric - input.threshold);
  if (!step || step.percent <= 0) return input.capacity;
  const base = input.capacityBeforeCooldown ?? input.capacity;
  const change = Math.max(input.minAdjustmentMagnitude, Math.floor((base * step.percent) / 100));
  return Math.min(input.maxCapacity, Math.max(input.capacity, base + change));
}

/**
 * Tasks a forecast load needs: predictive scaling's capacity forecast is the load forecast
 * divided by the target value of load per task (Application Auto Scaling predictive scaling,
 * PredictiveScalingMetricSpecification.TargetValue). Load: messages sent per minute; a task
 * finishes 60 × concurrency / processing seconds of them a minute, and the target keeps
 * `utilization` of that.
 */
export function predictiveTarget(processingSeconds: number, concurrency: number, utilization: number): number {
  return (utilization * 60 * concurrency) / processingSeconds;
}

export { DEFAULT_BURST, DEFAULT_PREDICTIVE } from '../registry/queue-service-defaults';
