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
const STEP_RATIOS = [1, 2, 3, 5, 9, 17, 33, 65];

/**
 * The burst alarm's threshold for a backlog-per-task target: `thresholdFactor` × the target,
 * to 3 decimals. The template computes it from the deployed target and the target updater from
 * the target it puts, so both land on the same number and the steps built on it match.
 */
export function burstThreshold(thresholdFactor: number, target: number): number {
  return round(thresholdFactor * target);
}

/** True when two step lists have the same bounds and adjustments, in the same order. */
export function sameSteps(a: StepAdjustment[], b: StepAdjustment[]): boolean {
  return (
    a.length === b.length &&
    a.every((step, i) => step.lower === b[i]!.lower && step.upper === b[i]!.upper && step.percent === b[i]!.percent)
  );
}

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

/** A StepAdjustment as Application Auto Scaling and CloudFormation spell it (bounds relative to the alarm threshold). */
export interface AwsStepAdjustment {
  MetricIntervalLowerBound?: number;
  MetricIntervalUpperBound?: number;
  ScalingAdjustment?: number;
}

/** Steps in the API's (and the template's) shape. */
export const toAwsSteps = (steps: StepAdjustment[]): Array<AwsStepAdjustment & { ScalingAdjustment: number }> =>
  steps.map((step) => ({
    ...(step.lower !== undefined ? { MetricIntervalLowerBound: step.lower } : {}),
    ...(step.upper !== undefined ? { MetricIntervalUpperBound: step.upper } : {}),
    ScalingAdjustment: step.percent,
  }));

/** Steps as the API (or a template) returns them. */
export const fromAwsSteps = (steps: AwsStepAdjustment[]): StepAdjustment[] =>
  steps.map((step) => ({
    ...(step.MetricIntervalLowerBound !== undefined ? { lower: step.MetricIntervalLowerBound } : {}),
    ...(step.MetricIntervalUpperBound !== undefined ? { upper: step.MetricIntervalUpperBound } : {}),
    percent: step.ScalingAdjustment ?? 0,
  }));

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
 * The scale-in half of the burst path. Target tracking scales in slowly (15 one-minute
 * datapoints under 90 % of its target, then gradually), so the tasks a burst brought stay long
 * after it; with `burst.scaleIn` the template disables target tracking's scale-in
 * (TargetTrackingScalingPolicyConfiguration.DisableScaleIn: "If you want to use a separate
 * scaling policy for scale in") and a step scaling policy removes tasks when the slots are idle.
 *
 * Its alarm's metric is busy slots: (visible + in-flight messages) / (reporting tasks ×
 * concurrency), the demand a task's slots would have at the current capacity. Under `busyBelow`
 * for `datapoints` minutes, the policy removes the capacity that brings it to `busyTarget`:
 * capacity × busy / busyTarget, at most `maxPercent` per invocation. The steps are keyed on
 * busy - busyBelow (negative: a LessThanThreshold alarm); each band removes what its top
 * needs, so a step never removes more than the demand inside it allows.
 */
export interface ScaleInSettings {
  busyBelow: number;
  busyTarget: number;
  maxPercent: number;
}

/** Bands of busy / busyBelow the scale-in steps are cut into (the last ends at the threshold). */
const SCALE_IN_BANDS = [0, 0.25, 0.5, 0.75, 1];

/** The scale-in policy's StepAdjustments (negative PercentChangeInCapacity), keyed on busy - busyBelow. */
export function scaleInStepAdjustments({ busyBelow, busyTarget, maxPercent }: ScaleInSettings): StepAdjustment[] {
  if (!(busyBelow > 0 && busyTarget > busyBelow && busyTarget <= 1)) {
    throw new RangeError(`scale-in needs 0 < busyBelow < busyTarget <= 1, got busyBelow ${busyBelow}, busyTarget ${busyTarget}`);
  }
  if (!(maxPercent > 0 && maxPercent < 100)) throw new RangeError(`scale-in maxPercent must be > 0 and < 100, got ${maxPercent}`);
  const steps: StepAdjustment[] = [];
  for (let i = 1; i < SCALE_IN_BANDS.length; i += 1) {
    const top = SCALE_IN_BANDS[i]! * busyBelow;
    const percent = -Math.min(maxPercent, Math.floor(100 * (1 - top / busyTarget)));
    const last = steps[steps.length - 1];
    // Bands the cap made equal merge into one (the first band is open below).
    if (last && last.percent === percent) {
      last.upper = round(top - busyBelow);
      continue;
    }
    steps.push({
      ...(i > 1 ? { lower: round(SCALE_IN_BANDS[i - 1]! * busyBelow - busyBelow) } : {}),
      upper: round(top - busyBelow),
      percent,
    });
  }
  return steps;
}

/**
 * Capacity after one invocation of the scale-in policy. A negative PercentChangeInCapacity
 * between 0 and -1 task removes one, and a larger one is rounded toward zero (Application
 * Auto Scaling StepScalingPolicyConfiguration, AdjustmentType); never below the minimum.
 */
export function scaleInCapacity(input: {
  capacity: number;
  metric: number;
  threshold: number;
  steps: StepAdjustment[];
  minCapacity: number;
}): number {
  const step = stepFor(input.steps, input.metric - input.threshold);
  if (!step || step.percent >= 0) return input.capacity;
  const change = Math.max(1, Math.floor((input.capacity * -step.percent) / 100));
  return Math.max(input.minCapacity, Math.min(input.capacity, input.capacity - change));
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
