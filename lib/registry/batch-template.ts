/**
 * A schedule's `batch` templates: which capture values a firing runs, from its fire time in
 * the schedule's time zone. `{fireDate - 1 day}` on a firing at 2026-11-20 06:00 in
 * Europe/Berlin gives `2026-11-19`. Grammar of one `{...}` expression:
 *
 *   { fireDate | fireTime  [ (+|-) N minute|hour|day|week|month(s) ]  [ | format ] }
 *
 * `fireDate` formats as `yyyy-MM-dd` and `fireTime` as `yyyy-MM-ddTHH:mm` unless a format
 * says otherwise (tokens yyyy MM dd HH mm; anything else is literal). Days, weeks and months
 * move the local calendar date (a day is a calendar day across a daylight-saving change);
 * minutes and hours move the instant. Text outside braces is literal, so `eu` or
 * `{fireDate | yyyyMMdd}-eod` are templates too. Pure functions: the registry validates
 * templates with them and the scheduled start renders them.
 */

export class BatchTemplateError extends Error {
  override readonly name = 'BatchTemplateError';
}

type Unit = 'minute' | 'hour' | 'day' | 'week' | 'month';

interface Expression {
  base: 'fireDate' | 'fireTime';
  offset: { amount: number; unit: Unit } | undefined;
  format: string;
}

export type TemplatePart = { literal: string } | { expression: Expression };

const DEFAULT_FORMAT = { fireDate: 'yyyy-MM-dd', fireTime: 'yyyy-MM-ddTHH:mm' } as const;
const EXPRESSION = /^\s*(fireDate|fireTime)\s*(?:([+-])\s*(\d{1,4})\s*(minutes?|hours?|days?|weeks?|months?))?\s*(?:\|\s*([^|]*?))?\s*$/;
const FORMAT_TOKEN = /yyyy|MM|dd|HH|mm/g;

/** Parses a template; throws BatchTemplateError saying what is wrong and where. */
export function parseBatchTemplate(template: string): TemplatePart[] {
  const parts: TemplatePart[] = [];
  let rest = template;
  while (rest.length > 0) {
    const open = rest.indexOf('{');
    const literal = open === -1 ? rest : rest.slice(0, open);
    if (literal.includes('}')) throw new BatchTemplateError(`"${template}" has a "}" without its "{"`);
    if (literal.includes('/')) throw new BatchTemplateError(`"${template}" has a "/": a capture value never spans folders`);
    if (literal) parts.push({ literal });
    if (open === -1) break;
    const close = rest.indexOf('}', open);
    if (close === -1) throw new BatchTemplateError(`"${template}" has a "{" without its "}"`);
    const inner = rest.slice(open + 1, close);
    const match = EXPRESSION.exec(inner);
    if (!match) {
      throw new BatchTemplateError(
        `"{${inner}}" in "${template}" is not a fire time expression: write {fireDate}, {fireDate - 1 day}, {fireTime + 2 hours | yyyyMMddHH} (units minute, hour, day, week, month)`,
      );
    }
    const [, base, sign, amount, unit, format] = match;
    const expression: Expression = {
      base: base as Expression['base'],
      offset: sign ? { amount: (sign === '-' ? -1 : 1) * Number(amount), unit: unit!.replace(/s$/, '') as Unit } : undefined,
      format: format || DEFAULT_FORMAT[base as Expression['base']],
    };
    if (format && !/yyyy|MM|dd|HH|mm/.test(format)) {
      throw new BatchTemplateError(`format "${format}" in "${template}" has none of the tokens yyyy, MM, dd, HH, mm`);
    }
    if (expression.format.replace(FORMAT_TOKEN, '').includes('/'))
      throw new BatchTemplateError(`format "${expression.format}" in "${template}" has a "/"`);
    parts.push({ expression });
    rest = rest.slice(close + 1);
  }
  if (parts.length === 0) throw new BatchTemplateError('a batch template must not be empty');
  return parts;
}

/** True when the time zone is one the runtime knows (IANA names like Europe/Berlin, or UTC). */
export function isTimeZone(timeZone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone });
    return true;
  } catch {
    return false;
  }
}

interface LocalTime {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
/** The wall-clock time of an instant in a time zone. */
export function localTime(instant: Date, timeZone: string): LocalTime {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
    formatters.set(timeZone, formatter);
  }
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((p) => [p.type, p.value]));
  return {
    year: Number(parts.year),
    month: Number(parts.month),
    day: Number(parts.day),
    hour: Number(parts.hour),
    minute: Number(parts.minute),
  };
}

/** Calendar arithmetic on a local date, clamping the day (Jan 31 + 1 month = Feb 28/29). */
function addCalendar(time: LocalTime, unit: 'day' | 'week' | 'month', amount: number): LocalTime {
  if (unit === 'month') {
    const months = time.year * 12 + (time.month - 1) + amount;
    const year = Math.floor(months / 12);
    const month = (months % 12) + 1;
    const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
    return { ...time, year, month, day: Math.min(time.day, lastDay) };
  }
  const date = new Date(Date.UTC(time.year, time.month - 1, time.day + amount * (unit === 'week' ? 7 : 1)));
  return { ...time, year: date.getUTCFullYear(), month: date.getUTCMonth() + 1, day: date.getUTCDate() };
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

function format(time: LocalTime, pattern: string): string {
  return pattern.replace(FORMAT_TOKEN, (token) => {
    switch (token) {
      case 'yyyy':
        return pad(time.year, 4);
      case 'MM':
        return pad(time.month);
      case 'dd':
        return pad(time.day);
      case 'HH':
        return pad(time.hour);
      default:
        return pad(time.minute);
    }
  });
}

/** The value a template gives for a fire time in a time zone. */
export function renderBatchTemplate(template: string | TemplatePart[], fireTime: Date, timeZone: string): string {
  const parts = typeof template === 'string' ? parseBatchTemplate(template) : template;
  return parts
    .map((part) => {
      if ('literal' in part) return part.literal;
      const { offset } = part.expression;
      let instant = fireTime;
      if (offset && (offset.unit === 'minute' || offset.unit === 'hour')) {
        instant = new Date(fireTime.getTime() + offset.amount * (offset.unit === 'hour' ? 3_600_000 : 60_000));
      }
      let time = localTime(instant, timeZone);
      if (offset && offset.unit !== 'minute' && offset.unit !== 'hour') time = addCalendar(time, offset.unit, offset.amount);
      return format(time, part.expression.format);
    })
    .join('');
}
