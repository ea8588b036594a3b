import {
  averageProcessingSeconds,
  backlogPerTask,
  backlogTarget,
  decideTarget,
  desiredTasks,
  movedBeyondTolerance,
  sumWindow,
} from '../../../lib/scaling/target-math';

const settings = { acceptableLatencySeconds: 120, tolerance: 0.1, maxTarget: 500 };

describe('backlog target', () => {
  it('is acceptable latency / average processing time', () => {
    expect(backlogTarget(120, 2, 500)).toBe(60);
  });

  it('is 1 when one message takes longer than the acceptable latency', () => {
    expect(backlogTarget(60, 90, 500)).toBe(1);
    expect(backlogTarget(60, 60_000, 500)).toBe(1);
  });

  it('is capped at maxTarget when messages are near-instant', () => {
    expect(backlogTarget(120, 0.001, 500)).toBe(500);
  });

  it('rejects a non-positive acceptable latency or maxTarget below 1', () => {
    expect(() => backlogTarget(0, 1, 10)).toThrow(RangeError);
    expect(() => backlogTarget(10, 1, 0.5)).toThrow(RangeError);
  });
});

describe('average processing time over a window', () => {
  it('is total duration / total messages, so a slow minute with one message does not dominate', () => {
    // 59 minutes of 100 messages at 1 s, one minute with a single 600 s outlier.
    const periods = [...Array.from({ length: 59 }, () => ({ sumSeconds: 100, count: 100 })), { sumSeconds: 600, count: 1 }];
    const average = averageProcessingSeconds(sumWindow(periods))!;
    expect(average).toBeCloseTo((5900 + 600) / 5901, 6);
    // The newest datapoint alone (600 s) or the mean of per-minute means (~10.98 s) would be far off.
    expect(average).toBeLessThan(1.2);
  });

  it('is undefined with no messages (no data is not zero)', () => {
    expect(averageProcessingSeconds({ sumSeconds: 0, count: 0 })).toBeUndefined();
    expect(averageProcessingSeconds(sumWindow([]))).toBeUndefined();
    expect(averageProcessingSeconds({ sumSeconds: Number.NaN, count: 3 })).toBeUndefined();
  });
});

describe('target decision', () => {
  it('keeps the current target when there is no data', () => {
    expect(decideTarget(60, { sumSeconds: 0, count: 0 }, settings)).toEqual({ action: 'keep', reason: 'no-data', current: 60 });
  });

  it('keeps the target when the move is within the tolerance', () => {
    // average 2.1 s → 57.14, a 4.8 % move from 60
    expect(decideTarget(60, { sumSeconds: 210, count: 100 }, settings)).toMatchObject({ action: 'keep', reason: 'within-tolerance', proposed: 57.14 });
  });

  it('updates when the move exceeds the tolerance', () => {
    expect(decideTarget(60, { sumSeconds: 400, count: 100 }, settings)).toMatchObject({ action: 'update', current: 60, proposed: 30, averageSeconds: 4 });
  });

  it('updates to 1 when processing got slower than the acceptable latency', () => {
    expect(decideTarget(60, { sumSeconds: 300 * 10, count: 10 }, settings)).toMatchObject({ action: 'update', proposed: 1 });
  });

  it('treats the tolerance as relative to the current target', () => {
    expect(movedBeyondTolerance(100, 109, 0.1)).toBe(false);
    expect(movedBeyondTolerance(100, 111, 0.1)).toBe(true);
    expect(movedBeyondTolerance(100, 89, 0.1)).toBe(true);
  });
});

describe('backlog per task and desired tasks', () => {
  it('guards the division by zero the way the metric math does', () => {
    expect(backlogPerTask(50, 5)).toBe(10);
    expect(backlogPerTask(50, 0)).toBe(50);
  });

  it('scales out to ceil(backlog / target), within min and max', () => {
    expect(desiredTasks({ visibleMessages: 95, runningTasks: 1, target: 10, minTasks: 1, maxTasks: 20 })).toBe(10);
    expect(desiredTasks({ visibleMessages: 5000, runningTasks: 1, target: 10, minTasks: 1, maxTasks: 20 })).toBe(20);
    expect(desiredTasks({ visibleMessages: 0, runningTasks: 3, target: 10, minTasks: 2, maxTasks: 20 })).toBe(2);
  });

  it('scales in by at most the step per decision', () => {
    expect(desiredTasks({ visibleMessages: 0, runningTasks: 10, target: 10, minTasks: 1, maxTasks: 20, scaleInStep: 2 })).toBe(8);
  });
});
