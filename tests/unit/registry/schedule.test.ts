import { instantsOfWallClock, nextScheduleTimes, validateScheduleExpression } from '../../../lib/registry/schedule';

describe('EventBridge schedule expressions', () => {
  it.each([
    'cron(0 6 * * ? *)',
    'cron(15 10 ? * MON-FRI *)',
    'cron(0/15 * * * ? *)',
    'cron(0 8 1 * ? 2027)',
    'rate(5 minutes)',
    'rate(1 hour)',
  ])('accepts %s', (expression) => {
    expect(() => validateScheduleExpression(expression)).not.toThrow();
  });

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

  it('reads a cron in its time zone: 06:00 in Berlin is 05:00 UTC in winter and 04:00 UTC in summer', () => {
    // Berlin moves its clocks forward on 2026-03-29 at 02:00.
    const times = nextScheduleTimes('cron(0 6 * * ? *)', new Date('2026-03-27T00:00:00Z'), 4, 'Europe/Berlin');
    expect(times.map((t) => t.toISOString())).toEqual([
      '2026-03-27T05:00:00.000Z',
      '2026-03-28T05:00:00.000Z',
      '2026-03-29T04:00:00.000Z',
      '2026-03-30T04:00:00.000Z',
    ]);
  });

  it('skips a time the spring-forward change leaves out, as EventBridge Scheduler does', () => {
    const times = nextScheduleTimes('cron(30 2 * * ? *)', new Date('2026-03-28T00:00:00Z'), 3, 'Europe/Berlin');
    expect(times.map((t) => t.toISOString())).toEqual(['2026-03-28T01:30:00.000Z', '2026-03-30T00:30:00.000Z', '2026-03-31T00:30:00.000Z']);
  });

  it('fires a time the fall-back change repeats once, at its first occurrence', () => {
    // Berlin moves its clocks back on 2026-10-25 at 03:00 to 02:00: 02:30 happens twice.
    const daily = nextScheduleTimes('cron(30 2 * * ? *)', new Date('2026-10-24T00:00:00Z'), 3, 'Europe/Berlin');
    expect(daily.map((t) => t.toISOString())).toEqual(['2026-10-24T00:30:00.000Z', '2026-10-25T00:30:00.000Z', '2026-10-26T01:30:00.000Z']);
    const halfHourly = nextScheduleTimes('cron(0/30 * * * ? *)', new Date('2026-10-25T00:00:00Z'), 3, 'Europe/Berlin');
    expect(halfHourly.map((t) => t.toISOString())).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T02:00:00.000Z',
      '2026-10-25T02:30:00.000Z',
    ]);
  });

  it('keeps a rate a duration whatever the zone', () => {
    const times = nextScheduleTimes('rate(1 day)', new Date('2026-03-28T12:00:00Z'), 2, 'Europe/Berlin');
    expect(times.map((t) => t.toISOString())).toEqual(['2026-03-29T00:00:00.000Z', '2026-03-30T00:00:00.000Z']);
  });

  it('places wall-clock times: none in the gap, two in the overlap', () => {
    expect(instantsOfWallClock(Date.UTC(2026, 2, 29, 2, 30), 'Europe/Berlin')).toEqual([]);
    expect(instantsOfWallClock(Date.UTC(2026, 9, 25, 2, 30), 'Europe/Berlin').map((t) => t.toISOString())).toEqual([
      '2026-10-25T00:30:00.000Z',
      '2026-10-25T01:30:00.000Z',
    ]);
    expect(instantsOfWallClock(Date.UTC(2026, 10, 20, 6, 0), 'America/New_York').map((t) => t.toISOString())).toEqual([
      '2026-11-20T11:00:00.000Z',
    ]);
  });
});
