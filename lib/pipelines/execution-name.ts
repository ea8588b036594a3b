/**
 * Deterministic Step Functions execution names. Step Functions de-duplicates a Standard
 * execution name for 90 days, so the same run key and attempt must always give the same
 * name: that is the second layer of idempotency behind the run lock.
 */
import { createHash } from 'node:crypto';

/** Step Functions allows up to 80 characters; we keep to [A-Za-z0-9-_] (no unicode, no `.`), safe for logs and ARNs. */
export const MAX_EXECUTION_NAME_LENGTH = 80;
const HASH_LENGTH = 12;

/** A short, stable hex digest (sha256 prefix) of the text. */
export function shortHash(text: string, length = HASH_LENGTH): string {
  return createHash('sha256').update(text, 'utf8').digest('hex').slice(0, length);
}

/** Turns arbitrary text into `[A-Za-z0-9-]`: accents dropped, anything else one `-`. */
function readable(text: string): string {
  return text
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
}

export interface ExecutionNameParts {
  pipeline: string;
  /** The batch key, or what stands in for it (`schedule-…`, `manual-…`). */
  batchKey: string;
  runKey: string;
  attempt: number;
}

/**
 * `<pipeline>-<batch key>-a<attempt>_<hash>`: the readable prefix is cut to fit, while the
 * hash of run key and attempt keeps names of keys that read alike (or are cut alike) distinct.
 */
export function executionName({ pipeline, batchKey, runKey, attempt }: ExecutionNameParts): string {
  if (!Number.isInteger(attempt) || attempt < 1) throw new RangeError(`attempt must be a positive integer, got ${attempt}`);
  const suffix = `-a${attempt}_${shortHash(`${runKey}\u0000${attempt}`)}`;
  const room = MAX_EXECUTION_NAME_LENGTH - suffix.length;
  const prefix = readable(`${pipeline}-${batchKey}`).slice(0, room).replace(/-+$/, '') || 'run';
  return `${prefix}${suffix}`;
}

/** The execution ARN Step Functions gives a name on this state machine (for ExecutionAlreadyExists, which carries none). */
export function executionArnOf(stateMachineArn: string, name: string): string {
  return `${stateMachineArn.replace(':stateMachine:', ':execution:')}:${name}`;
}
