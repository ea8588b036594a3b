/**
 * Defaults of a queue service's `burst:` and `predictive:` registry fields, in one place for the
 * schema, the template generator and the benchmark (the step math is lib/queue-services/burst-math.ts).
 */

/**
 * The registry's `burst: {}` defaults, chosen with bench/scaling-sim.ts (bench/RESULTS.md):
 * a 10 s high-resolution alarm, 2 datapoints, the threshold at half the deployed target (the
 * step path acts before target tracking would), a 240 s cooldown (swept 60-300 s: 60-90 s add
 * tasks again before the started ones consume, and cost more; 180 s missed one bursty seed)
 * and steps up to +1600 % (one task to the peak of a 25/s burst in one step).
 */
export const DEFAULT_BURST = {
  periodSeconds: 10,
  datapoints: 2,
  thresholdFactor: 0.5,
  cooldownSeconds: 240,
  maxStepPercent: 1600,
} as const;

/** The registry's `predictive: {}` defaults. */
export const DEFAULT_PREDICTIVE = { schedulingBufferSeconds: 300, utilization: 0.7 } as const;
