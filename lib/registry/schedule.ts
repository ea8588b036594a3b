/**
 * Fire times of schedule expressions, for the local scheduler and for tests, the way
 * EventBridge Scheduler computes them: a cron is read in its time zone, so `cron(0 6 * * ? *)`
 * in Europe/Berlin fires at 06:00 local time in summer and in winter; a wall-clock time a
 * spring-forward change skips does not fire that day, and one a fall-back change repeats fires
 * once, at its first occurrence. A rate is a duration (a day is 24 hours), whatever the zone.
 * Kept apart from the validation (schedule-expression.ts) so functions that only validate the
 * registry do not bundle a cron library.
 */
import { CronExpressionParser } from 'cron-parser';
import { localTime } from './batch-template';
import { CRON, RATE, validateScheduleExpression } from './schedule-expression';

export { ScheduleExpressionError, validateScheduleExpression } from './schedule-expression';

const MINUTE = 60_000;

/** A wall-clock time as a number: the epoch milliseconds it would be in UTC. */
function wallClockOf(instant: Date, timeZone: string): number {
  const t = localTime(instant, timeZone);
  return Date.UTC(t.year, t.month - 1, t.day, t.hour, t.minute);
}

/** The instants at which a zone's clocks show this wall-clock time: none (skipped), one, or two (repeated). */
export function instantsOfWallClock(wallClock: number, timeZone: string): Date[] {
  // Offsets in force around the wall-clock time; a change of offset happens at most once a day.
  const offsets = new Set(
    [-1, 1].map((side) => {
      const probe = new Date(wallClock + side * 14 * 3_600_000);
      return wallClockOf(probe, timeZone) - Math.floor(probe.getTime() / MINUTE) * MINUTE;
    }),
  );
  return [...offsets]
    .map((offset) => new Date(wallClock - offset))
    .filter((instant) => wallClockOf(instant, timeZone) === wallClock)
    .sort((a, b) => a.getTime() - b.getTime());
}

/** The next fire times after `from`, in the schedule's time zone (default UTC). */
export function nextScheduleTimes(expression: string, from: Date, count: number, timeZone = 'UTC'): Date[] {
  validateScheduleExpression(expression);
  const rate = RATE.exec(expression);
  if (rate) {
    const unit = rate[2]!.replace(/s$/, '');
    const ms = Number(rate[1]) * (unit === 'minute' ? MINUTE : unit === 'hour' ? 3_600_000 : 86_400_000);
    return Array.from({ length: count }, (_, i) => new Date(Math.floor(from.getTime() / ms) * ms + ms * (i + 1)));
  }
  const [min, hour, dom, month, dow] = CRON.exec(expression)![1]!.trim().split(/\s+/);
  // EventBridge numbers days of the week 1-7 from Sunday; cron-parser uses 0-6.
  const dowStd = dow === '?' ? '*' : dow!.replace(/\d/g, (d) => String((Number(d) + 6) % 7));
  // The cron walks wall-clock times (as if UTC); each is then placed in the zone.
  const wallClocks = CronExpressionParser.parse(`${min} ${hour} ${dom === '?' ? '*' : dom} ${month} ${dowStd}`, {
    currentDate: new Date(wallClockOf(from, timeZone)),
    tz: 'UTC',
  });
  const times: Date[] = [];
  for (let guard = 0; times.length < count && guard < count * 1000 && wallClocks.hasNext(); guard++) {
    const [first] = instantsOfWallClock(wallClocks.next().toDate().getTime(), timeZone);
    if (first && first.getTime() > from.getTime()) times.push(first);
  }
  return times;
}
