import { nextScheduleTimes, validateScheduleExpression } from '../../../lib/registry/schedule';

describe('EventBridge schedule expressions', () => {
  it.each(['cron(0 6 * * ? *)', 'cron(15 10 ? * MON-FRI *)', 'cron(0/15 * * * ? *)', 'cron(0 8 1 * ? 2027)', 'rate(5 minutes)', 'rate(1 hour)'])(
    'accepts %s',
    (expression) => {
      expect(() => validateScheduleExpression(expression)).not.toThrow();
    },
  );

  it.each([
    ['cron(0 6 * * * *)', 'exactly one of day-of-month and day-of-week must be "?"'],
    ['cron(60 6 * * ? *)', 'minutes value 60 is outside 0-59'],
    ['cron(0 6 32 * ? *)', 'day-of-month value 32 is outside 1-31'],
    ['rate(1 minutes)', 'use "minute" for 1'],
    ['rate(0 minutes)', 'rate must be at least 1'],
    ['every day', 'neither cron(...) nor rate(...)'],
  ])('rejects %s', (expression, message) => {
    expect(() => validateScheduleExpression(expression)).toThrow(message);
  });

  it('computes the next fire times of a cron in UTC', () => {
    const times = nextScheduleTimes('cron(0 6 * * ? *)', new Date('2026-11-20T07:00:00Z'), 2);
    expect(times.map((t) => t.toISOString())).toEqual(['2026-11-21T06:00:00.000Z', '2026-11-22T06:00:00.000Z']);
  });

  it('maps EventBridge day-of-week numbering (1 = Sunday)', () => {
    // 2026-11-22 is a Sunday.
    const [next] = nextScheduleTimes('cron(0 12 ? * 1 *)', new Date('2026-11-20T00:00:00Z'), 1);
    expect(next!.toISOString()).toBe('2026-11-22T12:00:00.000Z');
  });

  it('computes rate schedules on their period', () => {
    const times = nextScheduleTimes('rate(15 minutes)', new Date('2026-11-20T07:07:00Z'), 2);
    expect(times.map((t) => t.toISOString())).toEqual(['2026-11-20T07:15:00.000Z', '2026-11-20T07:30:00.000Z']);
  });
});
