/**
 * Fire times of EventBridge schedule expressions, for the local scheduler and for tests.
 * Kept apart from the validation (schedule-expression.ts) so functions that only validate
 * the registry do not bundle a cron library.
 */
import { CronExpressionParser } from 'cron-parser';
import { CRON, RATE, validateScheduleExpression } from './schedule-expression';

export { ScheduleExpressionError, validateScheduleExpression } from './schedule-expression';

/** The next fire times after `from` (UTC), for the local scheduler and for tests. */
export function nextScheduleTimes(expression: string, from: Date, count: number): Date[] {
  validateScheduleExpression(expression);
  const rate = RATE.exec(expression);
  if (rate) {
    const unit = rate[2]!.replace(/s$/, '');
    const ms = Number(rate[1]) * (unit === 'minute' ? 60_000 : unit === 'hour' ? 3_600_000 : 86_400_000);
    return Array.from({ length: count }, (_, i) => new Date(Math.floor(from.getTime() / ms) * ms + ms * (i + 1)));
  }
  const [min, hour, dom, month, dow] = CRON.exec(expression)![1]!.trim().split(/\s+/);
  // EventBridge numbers days of the week 1-7 from Sunday; cron-parser uses 0-6.
  const dowStd = dow === '?' ? '*' : dow!.replace(/\d/g, (d) => String((Number(d) + 6) % 7));
  const parsed = CronExpressionParser.parse(`${min} ${hour} ${dom === '?' ? '*' : dom} ${month} ${dowStd}`, {
    currentDate: from,
    tz: 'UTC',
  });
  return parsed.take(count).map((d) => d.toDate());
}
