/**
 * Value normalizers shared by the row schemas: dates to `YYYY-MM-DD`, money to integer
 * cents (exact sums; floats drift), identifiers trimmed and cased one way.
 */
import * as z from 'zod';

const DATE_ONLY = /^(\d{4})[-/](\d{2})[-/](\d{2})$/;
const DATE_TIME = /^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})$/;

function isCalendarDate(y: number, m: number, d: number): boolean {
  const date = new Date(Date.UTC(y, m - 1, d));
  return date.getUTCFullYear() === y && date.getUTCMonth() === m - 1 && date.getUTCDate() === d;
}

/**
 * `YYYY-MM-DD`, `YYYY/MM/DD`, or an ISO date-time with an offset (converted to the UTC
 * day: the warehouse's days are UTC days). A date-time without an offset is ambiguous and
 * refused.
 */
export function normalizeDate(raw: string): string | undefined {
  const text = raw.trim();
  const dateOnly = DATE_ONLY.exec(text);
  if (dateOnly) {
    const [, y, m, d] = dateOnly;
    return isCalendarDate(Number(y), Number(m), Number(d)) ? `${y}-${m}-${d}` : undefined;
  }
  if (DATE_TIME.test(text)) {
    const [y, m, d] = text.slice(0, 10).split('-').map(Number) as [number, number, number];
    if (!isCalendarDate(y, m, d)) return undefined;
    const ms = Date.parse(text.replace(' ', 'T').replace(/([+-]\d{2})(\d{2})$/, '$1:$2'));
    return Number.isNaN(ms) ? undefined : new Date(ms).toISOString().slice(0, 10);
  }
  return undefined;
}

const MONEY = /^(-)?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?$/;

/** `1234.5`, `1,234.50`, `-3` → integer cents; more than two decimals is refused, not rounded. */
export function parseCents(raw: string): number | undefined {
  const match = MONEY.exec(raw.trim());
  if (!match) return undefined;
  const [, sign, whole, fraction = ''] = match;
  const cents = Number(whole!.replaceAll(',', '')) * 100 + Number(fraction.padEnd(2, '0'));
  if (!Number.isSafeInteger(cents)) return undefined;
  return sign ? -cents : cents;
}

/** Integer cents as exact decimal text for the warehouse (`-1234` → `-12.34`). */
export function centsToDecimal(cents: number): string {
  const sign = cents < 0 ? '-' : '';
  const abs = Math.abs(cents);
  return `${sign}${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, '0')}`;
}

export const dateField = z.string().transform((raw, ctx) => {
  const date = normalizeDate(raw);
  if (!date) ctx.addIssue({ code: 'custom', message: `"${raw}" is not a date (YYYY-MM-DD, YYYY/MM/DD or ISO date-time with offset)` });
  return date ?? '';
});

export const centsField = z.string().transform((raw, ctx) => {
  const cents = parseCents(raw);
  if (cents === undefined) ctx.addIssue({ code: 'custom', message: `"${raw}" is not an amount with at most 2 decimals` });
  return cents ?? 0;
});

export const nonNegativeIntField = z.string().transform((raw, ctx) => {
  const text = raw.trim();
  if (!/^\d{1,15}$/.test(text)) ctx.addIssue({ code: 'custom', message: `"${raw}" is not a non-negative integer` });
  return Number(text);
});

export const trimmed = (max: number) => z.string().trim().min(1, 'is empty').max(max, `is longer than ${max} characters`);
