/**
 * EventBridge schedule expressions: `cron(min hour day-of-month month day-of-week year)`
 * and `rate(N unit)`. Validated here so a bad expression fails `sls package` with the
 * pipeline's name instead of failing CloudFormation at deploy time.
 */

export const RATE = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/;
export const CRON = /^cron\((.+)\)$/;

const FIELD_RANGES: Array<[string, number, number, RegExp]> = [
  ['minutes', 0, 59, /^[\d,\-*/]+$/],
  ['hours', 0, 23, /^[\d,\-*/]+$/],
  ['day-of-month', 1, 31, /^([\d,\-*/]+|\?|L|\d{1,2}W|LW)$/],
  ['month', 1, 12, /^([\d,\-*/]+|[A-Z]{3}([,-][A-Z]{3})*)$/i],
  ['day-of-week', 1, 7, /^([\d,\-*/]+|\?|L|\d#\d|\dL|[A-Z]{3}([,-][A-Z]{3})*)$/i],
  ['year', 1970, 2199, /^[\d,\-*/]+$/],
];

export class ScheduleExpressionError extends Error {
  override readonly name = 'ScheduleExpressionError';
}

function checkNumbers(field: string, value: string, min: number, max: number): void {
  for (const number of value.match(/\d+/g) ?? []) {
    const n = Number(number);
    // Step values (`*/15`) may exceed the range minimum but not the field's span.
    if (n > max || (n < min && !value.includes(`/${number}`))) {
      throw new ScheduleExpressionError(`${field} value ${n} is outside ${min}-${max}`);
    }
  }
}

/** Throws ScheduleExpressionError naming the field at fault. */
export function validateScheduleExpression(expression: string): void {
  const rate = RATE.exec(expression);
  if (rate) {
    const n = Number(rate[1]);
    const unit = rate[2]!;
    if (n < 1) throw new ScheduleExpressionError('rate must be at least 1');
    if ((n === 1) !== !unit.endsWith('s')) {
      throw new ScheduleExpressionError(`rate(${n} ${unit}): use "${unit.replace(/s$/, '')}" for 1 and the plural otherwise`);
    }
    return;
  }
  const cron = CRON.exec(expression);
  if (!cron) throw new ScheduleExpressionError(`"${expression}" is neither cron(...) nor rate(...)`);
  const fields = cron[1]!.trim().split(/\s+/);
  if (fields.length !== 6) {
    throw new ScheduleExpressionError(`cron needs 6 fields (minutes hours day-of-month month day-of-week year), got ${fields.length}`);
  }
  fields.forEach((value, index) => {
    const [field, min, max, shape] = FIELD_RANGES[index]!;
    if (!shape.test(value)) throw new ScheduleExpressionError(`${field} "${value}" is not valid`);
    if (!/[A-Z]/i.test(value.replace(/[LW#]/g, ''))) checkNumbers(field, value, min, max);
  });
  const [, , dom, , dow] = fields;
  if ((dom === '?') === (dow === '?')) {
    throw new ScheduleExpressionError('exactly one of day-of-month and day-of-week must be "?"');
  }
}
