import {
  averageProcessingSeconds,
  backlogPerTask,
  backlogTarget,
  DEFAULT_HEADROOM,
  decideTarget,
  desiredTasks,
  movedBeyondTolerance,
  sumWindow,
} from '../../../lib/queue-services/target-math';

/** headroom 1: the bare formula, so the arithmetic below reads as latency / average. */
const settings = { acceptableLatencySeconds: 120, tolerance: 0.1, maxTarget: 500, headroom: 1 };

describe('backlog target', () => {
  it('is acceptable latency / average processing time with headroom 1 and one message at a time', () => {
    expect(backlogTarget(120, 2, 500, { headroom: 1 })).toBe(60);
  });

  it('applies the default headroom when none is given', () => {
    expect(DEFAULT_HEADROOM).toBeGreaterThan(0);
    expect(DEFAULT_HEADROOM).toBeLessThanOrEqual(1);
    expect(backlogTarget(120, 2, 500)).toBe(Math.round(DEFAULT_HEADROOM * 60 * 100) / 100);
  });

  it('is headroom × acceptable latency × concurrency / average processing time', () => {
    // A task with 4 slots drains 4 messages per 2 s: 240 fit in 120 s; 40 % of that is 96.
    expect(backlogTarget(120, 2, 500, { headroom: 0.4, concurrency: 4 })).toBe(96);
    expect(backlogTarget(120, 2, 1000, { headroom: 1, concurrency: 10 })).toBe(600);
    expect(backlogTarget(300, 1.5, 1000, { headroom: 0.25 })).toBe(50);
  });

  it('is 1 when one message takes longer than the acceptable latency', () => {
    expect(backlogTarget(60, 90, 500, { headroom: 1 })).toBe(1);
    expect(backlogTarget(60, 60_000, 500)).toBe(1);
  });

  it('is clamped to 1 when headroom takes it below one message per task', () => {
    expect(backlogTarget(60, 50, 500, { headroom: 0.5 })).toBe(1);
  });

  it('is capped at maxTarget when messages are near-instant or concurrency is high', () => {
    expect(backlogTarget(120, 0.001, 500)).toBe(500);
    expect(backlogTarget(120, 2, 500, { headroom: 1, concurrency: 100 })).toBe(500);
  });

  it('rejects a non-positive acceptable latency or maxTarget below 1', () => {
    expect(() => backlogTarget(0, 1, 10)).toThrow(RangeError);
    expect(() => backlogTarget(10, 1, 0.5)).toThrow(RangeError);
  });

  it('rejects a headroom outside (0, 1] and a concurrency that is not a whole number >= 1', () => {
    for (const headroom of [0, -0.1, 1.01, Number.NaN]) {
      expect(() => backlogTarget(120, 2, 500, { headroom })).toThrow(/headroom must be > 0 and <= 1/);
    }
    for (const concurrency of [0, 1.5, Number.NaN]) {
      expect(() => backlogTarget(120, 2, 500, { concurrency })).toThrow(/concurrency must be a whole number/);
    }
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
    expect(decideTarget(60, { sumSeconds: 210, count: 100 }, settings)).toMatchObject({
      action: 'keep',
      reason: 'within-tolerance',
      proposed: 57.14,
    });
  });

  it('updates when the move exceeds the tolerance', () => {
    expect(decideTarget(60, { sumSeconds: 400, count: 100 }, settings)).toMatchObject({
      action: 'update',
      current: 60,
      proposed: 30,
      averageSeconds: 4,
    });
  });

  it('updates to 1 when processing got slower than the acceptable latency', () => {
    expect(decideTarget(60, { sumSeconds: 300 * 10, count: 10 }, settings)).toMatchObject({ action: 'update', proposed: 1 });
  });

  it('proposes the target with the settings headroom and concurrency', () => {
    // 4 s per message, 2 slots, headroom 0.5: 0.5 × 120 × 2 / 4 = 30.
    expect(decideTarget(60, { sumSeconds: 400, count: 100 }, { ...settings, headroom: 0.5, concurrency: 2 })).toMatchObject({
      action: 'update',
      proposed: 30,
    });
    // Without a headroom setting the default applies: 120 × DEFAULT_HEADROOM / 2.
    const { headroom: _ignored, ...withoutHeadroom } = settings;
    expect(decideTarget(1000, { sumSeconds: 200, count: 100 }, withoutHeadroom)).toMatchObject({
      proposed: Math.round(60 * DEFAULT_HEADROOM * 100) / 100,
    });
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
