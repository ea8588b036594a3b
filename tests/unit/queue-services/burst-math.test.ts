/**
 * The burst path's step arithmetic (lib/queue-services/burst-math.ts): the StepAdjustments the
 * template deploys, which step a breach falls in, and the capacity one invocation sets.
 */
import {
  burstStepAdjustments,
  predictiveTarget,
  scaleInCapacity,
  scaleInStepAdjustments,
  stepCapacity,
  stepFor,
} from '../../../lib/queue-services/burst-math';

describe('burst step adjustments', () => {
  it('cover every excess above the threshold without gap or overlap, one open-ended step last', () => {
    const steps = burstStepAdjustments(12, 1600);
    expect(steps).toEqual([
      { lower: 0, upper: 12, percent: 50 },
      { lower: 12, upper: 24, percent: 100 },
      { lower: 24, upper: 48, percent: 200 },
      { lower: 48, upper: 96, percent: 400 },
      { lower: 96, upper: 192, percent: 800 },
      { lower: 192, percent: 1600 },
    ]);
  });

  it('merge the steps a lower cap makes equal into the open-ended one', () => {
    expect(burstStepAdjustments(10, 300)).toEqual([
      { lower: 0, upper: 10, percent: 50 },
      { lower: 10, upper: 20, percent: 100 },
      { lower: 20, upper: 40, percent: 200 },
      { lower: 40, percent: 300 },
    ]);
  });

  it('go up to +6400 % (one task to the hundred a 25/s burst keeps busy) when the cap allows', () => {
    const steps = burstStepAdjustments(10, 6400);
    expect(steps.slice(-2)).toEqual([
      { lower: 320, upper: 640, percent: 3200 },
      { lower: 640, percent: 6400 },
    ]);
    // Backlog per task 65 × the threshold: one task becomes 65.
    expect(stepCapacity({ capacity: 1, metric: 10 + 640, threshold: 10, steps, minAdjustmentMagnitude: 1, maxCapacity: 200 })).toBe(65);
  });

  it('reject a threshold that is not above 0', () => {
    expect(() => burstStepAdjustments(0, 800)).toThrow('burst threshold must be > 0, got 0');
  });

  it('pick the step by metric - threshold, lower bound inclusive, upper exclusive', () => {
    const steps = burstStepAdjustments(10, 800);
    expect(stepFor(steps, -1)).toBeUndefined();
    expect(stepFor(steps, 0)!.percent).toBe(50);
    expect(stepFor(steps, 10)!.percent).toBe(100);
    expect(stepFor(steps, 1000)!.percent).toBe(800);
  });
});

describe('step capacity', () => {
  const steps = burstStepAdjustments(10, 800);
  const base = { threshold: 10, steps, minAdjustmentMagnitude: 1, maxCapacity: 100 };

  it('adds the step percentage of the capacity, rounded down, at least MinAdjustmentMagnitude', () => {
    expect(stepCapacity({ ...base, capacity: 4, metric: 35 })).toBe(12); // +200 %
    expect(stepCapacity({ ...base, capacity: 1, metric: 12 })).toBe(2); // +50 % of 1 is 0.5: at least 1
  });

  it('counts the capacity its last scale-out added during the cooldown: only a larger step adds more', () => {
    // Before the cooldown 4 tasks, now 12: +200 % of 4 again adds nothing; +800 % of 4 makes 36.
    expect(stepCapacity({ ...base, capacity: 12, capacityBeforeCooldown: 4, metric: 35 })).toBe(12);
    expect(stepCapacity({ ...base, capacity: 12, capacityBeforeCooldown: 4, metric: 100 })).toBe(36);
  });

  it('stops at the maximum capacity and leaves a metric under the threshold alone', () => {
    expect(stepCapacity({ ...base, capacity: 20, metric: 500 })).toBe(100);
    expect(stepCapacity({ ...base, capacity: 20, metric: 9 })).toBe(20);
  });
});

describe('scale-in steps on busy slots', () => {
  const settings = { busyBelow: 0.6, busyTarget: 0.8, maxPercent: 50 };

  it('cover every busy value under the threshold, open below, the last ending at the threshold', () => {
    // Band tops 0.15, 0.3, 0.45, 0.6 of busy: 1 - top / 0.8 removes 81, 62, 43, 25 %; the cap
    // of 50 makes the first two equal, so they merge into one band open below.
    expect(scaleInStepAdjustments(settings)).toEqual([
      { upper: -0.3, percent: -50 },
      { lower: -0.3, upper: -0.15, percent: -43 },
      { lower: -0.15, upper: 0, percent: -25 },
    ]);
  });

  it('remove what brings the band top to the busy target: never more than the demand allows', () => {
    const steps = scaleInStepAdjustments(settings);
    const base = { threshold: 0.6, steps, minCapacity: 1 };
    // 40 tasks at busy 0.5 (band 0.45-0.6): -25 % = 30 tasks, busy 0.67, still under 0.8.
    expect(scaleInCapacity({ ...base, capacity: 40, metric: 0.5 })).toBe(30);
    // 40 tasks nearly idle: at most half of them.
    expect(scaleInCapacity({ ...base, capacity: 40, metric: 0.01 })).toBe(20);
    // A fraction of a task removes one (rounded away from zero below one task).
    expect(scaleInCapacity({ ...base, capacity: 2, metric: 0.5 })).toBe(1);
  });

  it('leave busy slots at or above the threshold alone and never go under the minimum', () => {
    const steps = scaleInStepAdjustments(settings);
    expect(scaleInCapacity({ capacity: 10, metric: 0.6, threshold: 0.6, steps, minCapacity: 1 })).toBe(10);
    expect(scaleInCapacity({ capacity: 10, metric: 0, threshold: 0.6, steps, minCapacity: 8 })).toBe(8);
  });

  it('reject settings that would scale in forever or not at all', () => {
    expect(() => scaleInStepAdjustments({ busyBelow: 0.8, busyTarget: 0.6, maxPercent: 50 })).toThrow(
      'scale-in needs 0 < busyBelow < busyTarget <= 1, got busyBelow 0.8, busyTarget 0.6',
    );
    expect(() => scaleInStepAdjustments({ busyBelow: 0.5, busyTarget: 0.8, maxPercent: 100 })).toThrow(
      'scale-in maxPercent must be > 0 and < 100, got 100',
    );
  });
});

describe('predictive target', () => {
  it('is the messages a task finishes in a minute at the planned utilization', () => {
    // 2 s a message, 1 at a time: 30 a minute; at 0.7 of that, 21.
    expect(predictiveTarget(2, 1, 0.7)).toBeCloseTo(21);
    expect(predictiveTarget(2, 4, 0.5)).toBeCloseTo(60);
  });
});
