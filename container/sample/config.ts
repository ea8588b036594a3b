/**
 * The sample task's own settings (the run context comes from the worker library).
 * REJECT_MAX_RATIO: a shard fails when more than this share of its rows is rejected
 * (default 0.1); REJECT_MAX_COUNT: ...or more than this many rows (default: no count limit).
 */
import * as z from 'zod';
import { SampleConfigError } from './errors';

export interface RejectThreshold {
  maxRatio: number;
  maxCount: number | undefined;
}

const ratio = z.coerce.number().min(0).max(1);
const count = z.coerce.number().int().min(0);

export function readRejectThreshold(env: NodeJS.ProcessEnv): RejectThreshold {
  const problems: string[] = [];
  const read = <T>(name: string, schema: z.ZodType<T>, fallback: T): T => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const parsed = schema.safeParse(raw);
    if (parsed.success) return parsed.data;
    problems.push(`${name}="${raw}": ${parsed.error.issues[0]?.message ?? 'invalid'}`);
    return fallback;
  };
  const threshold = {
    maxRatio: read('REJECT_MAX_RATIO', ratio, 0.1),
    maxCount: read<number | undefined>('REJECT_MAX_COUNT', count, undefined),
  };
  if (problems.length) throw new SampleConfigError(problems.join('; '));
  return threshold;
}

/** `(customers: 2 of 4, orders: 5 of 14)`: where the rejected rows came from, when there are several files. */
function perFile(byFile: Record<string, { read: number; rejected: number }> | undefined): string {
  const files = Object.entries(byFile ?? {});
  if (files.length < 2) return '';
  return ` (${files.map(([file, c]) => `${file}: ${c.rejected} of ${c.read}`).join(', ')})`;
}

/** Over the threshold: more rejected rows than allowed by count, or by share of rows read. */
export function overThreshold(
  threshold: RejectThreshold,
  rowsRead: number,
  rowsRejected: number,
  byFile?: Record<string, { read: number; rejected: number }>,
): string | undefined {
  if (threshold.maxCount !== undefined && rowsRejected > threshold.maxCount) {
    return `${rowsRejected} rows rejected${perFile(byFile)}, more than REJECT_MAX_COUNT=${threshold.maxCount}`;
  }
  if (rowsRead > 0 && rowsRejected / rowsRead > threshold.maxRatio) {
    return `${rowsRejected} of ${rowsRead} rows rejected${perFile(byFile)}, more than REJECT_MAX_RATIO=${threshold.maxRatio}`;
  }
  return undefined;
}
