/**
 * An execution's history turned into what the Step Functions console shows: each state
 * entered, in order, with its status, timing, input, output and error. Works on the
 * GetExecutionHistory answer of any Step Functions API (local or AWS).
 */
import type { HistoryEvent } from '@aws-sdk/client-sfn';

export type StateStatus = 'SUCCEEDED' | 'FAILED' | 'CAUGHT' | 'RUNNING' | 'CANCELLED';

export interface StateRow {
  name: string;
  type: string;
  status: StateStatus;
  enteredAt: Date;
  exitedAt?: Date;
  durationMs?: number;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  /** Retries (a failed attempt followed by a new one) inside this state. */
  attempts: number;
}

export interface ExecutionView {
  status: string;
  rows: StateRow[];
  error?: string;
  cause?: string;
  /** States in the order first entered: the path taken. */
  path: string[];
}

const FAILURE_TYPES =
  /(TaskFailed|TaskTimedOut|TaskStartFailed|TaskSubmitFailed|LambdaFunctionFailed|LambdaFunctionTimedOut|ActivityFailed|ActivityTimedOut|MapRunFailed)$/;

function failureOf(event: HistoryEvent): { error?: string; cause?: string } | undefined {
  if (!event.type || !FAILURE_TYPES.test(event.type)) return undefined;
  const details = Object.entries(event).find(([key, value]) => key.endsWith('EventDetails') && value && typeof value === 'object')?.[1] as
    | { error?: string; cause?: string }
    | undefined;
  return { ...(details?.error ? { error: details.error } : {}), ...(details?.cause ? { cause: details.cause } : {}) };
}

export function executionView(events: HistoryEvent[], status = 'RUNNING'): ExecutionView {
  const rows: StateRow[] = [];
  // Open states by name (a Map's iterations open the same names more than once: innermost last).
  const open = new Map<string, StateRow[]>();
  const current: StateRow[] = [];
  let executionError: { error?: string; cause?: string } | undefined;
  for (const event of events) {
    const type = event.type ?? '';
    const at = event.timestamp ?? new Date();
    if (type.endsWith('StateEntered') && event.stateEnteredEventDetails) {
      const d = event.stateEnteredEventDetails;
      const row: StateRow = {
        name: d.name ?? '?',
        type: type.replace(/StateEntered$/, ''),
        status: 'RUNNING',
        enteredAt: at,
        ...(d.input !== undefined ? { input: d.input } : {}),
        attempts: 0,
      };
      rows.push(row);
      current.push(row);
      open.set(row.name, [...(open.get(row.name) ?? []), row]);
      continue;
    }
    if (type.endsWith('StateExited') && event.stateExitedEventDetails) {
      const d = event.stateExitedEventDetails;
      const row = open.get(d.name ?? '')?.pop();
      if (row) {
        row.exitedAt = at;
        row.durationMs = at.getTime() - row.enteredAt.getTime();
        if (d.output !== undefined) row.output = d.output;
        row.status = row.error ? 'CAUGHT' : 'SUCCEEDED';
        current.splice(current.lastIndexOf(row), 1);
      }
      continue;
    }
    if (type.endsWith('Scheduled') || type.endsWith('Started')) {
      const row = current.at(-1);
      if (row && type.endsWith('Scheduled')) row.attempts++;
      continue;
    }
    const failure = failureOf(event);
    if (failure) {
      const row = current.at(-1);
      if (row) {
        if (failure.error) row.error = failure.error;
        if (failure.cause) row.cause = failure.cause;
      }
      continue;
    }
    if (type === 'ExecutionFailed' || type === 'ExecutionTimedOut' || type === 'ExecutionAborted') {
      const d = event.executionFailedEventDetails ?? event.executionTimedOutEventDetails ?? event.executionAbortedEventDetails;
      executionError = { ...(d?.error ? { error: d.error } : {}), ...(d?.cause ? { cause: d.cause } : {}) };
    }
  }
  // States still open when the execution closed failed (or were cut short by a stop).
  if (status !== 'RUNNING') {
    for (const row of current) {
      row.status = status === 'ABORTED' ? 'CANCELLED' : 'FAILED';
      if (!row.error && executionError?.error) row.error = executionError.error;
      if (!row.cause && executionError?.cause) row.cause = executionError.cause;
    }
  }
  const path: string[] = [];
  for (const row of rows) if (!path.includes(row.name)) path.push(row.name);
  return {
    status,
    rows,
    ...(executionError?.error ? { error: executionError.error } : {}),
    ...(executionError?.cause ? { cause: executionError.cause } : {}),
    path,
  };
}

/** A pipeline run's cost estimate, as its "Summarize Run" state returned it (lib/pipelines/runs/run-cost.ts). */
export interface RunCostView {
  usd: number;
  tasksUsd: number;
  transitionsUsd: number;
  transitions: number;
  taskSeconds: number;
  /** Of taskSeconds, those of failed tries that were tried again. */
  retriedTaskSeconds?: number;
}

/** The estimate in the last "Summarize Run" output of the execution, if it has one. */
export function runCostOf(view: ExecutionView): RunCostView | undefined {
  const summarized = [...view.rows].reverse().find((row) => row.name === 'Summarize Run' && row.output !== undefined);
  if (!summarized) return undefined;
  try {
    const cost = (JSON.parse(summarized.output!) as { summary?: { result?: { cost?: unknown } } }).summary?.result?.cost;
    if (typeof cost !== 'object' || cost === null) return undefined;
    const fields = cost as Record<string, unknown>;
    return ['usd', 'tasksUsd', 'transitionsUsd', 'transitions', 'taskSeconds'].every((key) => typeof fields[key] === 'number')
      ? (cost as RunCostView)
      : undefined;
  } catch {
    return undefined;
  }
}
