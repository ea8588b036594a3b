/**
 * Busy slots, the burst path's scale-in metric: the alarm's metric-math expression, read back
 * by the local autoscaler, and the value it computes.
 */
import { busySlots, busySlotsExpression, parseBusySlotsExpression } from '../../../lib/queue-services/busy-slots';

describe('busy slots', () => {
  it('divides visible + in flight by the reporting tasks (samples a minute / samples per task) × concurrency', () => {
    expect(busySlotsExpression(10, 1)).toBe('(visible + inflight) / (alive / 6 * 1)');
    expect(busySlotsExpression(30, 8)).toBe('(visible + inflight) / (alive / 2 * 8)');
  });

  it('reads back what it wrote, and nothing else', () => {
    expect(parseBusySlotsExpression(busySlotsExpression(20, 4))).toEqual({ samplesPerMinute: 3, concurrency: 4 });
    expect(parseBusySlotsExpression('IF(tasks > 0, visible / tasks, visible)')).toBeUndefined();
  });

  it('refuses a period that does not divide a minute and a concurrency that is not a whole number', () => {
    expect(() => busySlotsExpression(15, 1)).not.toThrow();
    expect(() => busySlotsExpression(7, 1)).toThrow('busy slots need a period dividing 60 s, got 7');
    expect(() => busySlotsExpression(10, 0)).toThrow('concurrency must be a whole number >= 1, got 0');
  });

  it('is the share of the running slots the messages fill, and no value with no task running', () => {
    expect(busySlots(3, 3, 4, 2)).toBeCloseTo(0.75);
    expect(busySlots(40, 0, 2, 1)).toBe(20);
    expect(busySlots(5, 0, 0, 1)).toBeUndefined();
  });
});
