/**
 * Defaults of a queue service's `burst:` and `predictive:` registry fields, in one place for the
 * schema, the template generator and the benchmark (the step math is lib/queue-services/burst-math.ts).
 */

/**
 * The registry's `burst: {}` defaults, chosen with bench/scaling-sim.ts (bench/RESULTS.md) on
 * seeds other than the ones it reports: a 10 s high-resolution alarm, 2 datapoints, the
 * threshold at 0.3 × the deployed target (the step path acts well before target tracking would;
 * 0.5 missed 120 s bursty traffic once tasks no longer linger between bursts), a
 * 240 s cooldown (swept 60-300 s: 60-90 s add tasks again before the started ones consume),
 * steps up to +6400 % (one task to the 100 a 25/s burst keeps busy, in one step), and
 * `scaleIn`: idle slots are given back by a step policy instead of target tracking's slow
 * scale-in (under 0.6 busy for 5 minutes, back to 0.8 busy, at most half the tasks per 300 s).
 */
export const DEFAULT_BURST = {
  periodSeconds: 10,
  datapoints: 2,
  thresholdFactor: 0.3,
  cooldownSeconds: 240,
  maxStepPercent: 6400,
  scaleIn: { busyBelow: 0.6, busyTarget: 0.8, maxPercent: 50, datapoints: 5, cooldownSeconds: 300 },
} as const;

/** The registry's `predictive: {}` defaults. */
export const DEFAULT_PREDICTIVE = { schedulingBufferSeconds: 300, utilization: 0.7 } as const;
