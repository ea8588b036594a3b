/**
 * An execution's history as a timeline (a Gantt chart): one row per top-level state entered,
 * and under a Map one row per iteration (shard) holding that iteration's states. Every bar is
 * one state entry with its full input, output, error and cause, its attempts and its timing.
 * Reads the local Step Functions' history, whose events say which Map iteration they belong to.
 */
import type { HistoryEvent } from '../emulators/stepfunctions';
import type { StateStatus } from './history';

export interface Bar {
  id: string;
  name: string;
  type: string;
  status: StateStatus;
  start: number;
  end?: number;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  /** Task attempts (a retry is a second TaskScheduled). */
  attempts: number;
  /** The Map iteration (shard index) the state ran in. */
  iteration?: number;
  /** The Map the iteration belongs to. */
  map?: string;
}

export interface TimelineRow {
  label: string;
  kind: 'state' | 'iteration';
  iteration?: number;
  map?: string;
  bars: Bar[];
}

export interface Timeline {
  start: number;
  end: number;
  rows: TimelineRow[];
  bars: Map<string, Bar>;
  redrives: number[];
}

const FAILURE =
  /(TaskFailed|TaskTimedOut|TaskStartFailed|TaskSubmitFailed|LambdaFunctionFailed|LambdaFunctionTimedOut|ActivityFailed|ActivityTimedOut)$/;

export function buildTimeline(events: HistoryEvent[], executionStatus: string, stopDate?: Date): Timeline {
  const rows: TimelineRow[] = [];
  const bars = new Map<string, Bar>();
  const open = new Map<string, Bar[]>();
  const iterationRows = new Map<string, TimelineRow>();
  const openMaps: string[] = [];
  const redrives: number[] = [];
  let executionError: { error?: string; cause?: string } | undefined;
  const start = events[0]?.timestamp.getTime() ?? Date.now();
  let n = 0;
  const keyOf = (name: string, iteration: number | undefined) => `${iteration ?? '-'}|${name}`;
  const openBar = (name: string, iteration: number | undefined) => open.get(keyOf(name, iteration))?.at(-1);
  for (const event of events) {
    const at = event.timestamp.getTime();
    const type = event.type;
    if (type === 'ExecutionRedriven') redrives.push(at);
    if (type.endsWith('StateEntered')) {
      const d = event.stateEnteredEventDetails as { name: string; input?: string };
      const iteration = event.iterationIndex;
      const bar: Bar = {
        id: `s${++n}`,
        name: d.name,
        type: type.replace(/StateEntered$/, ''),
        status: 'RUNNING',
        start: at,
        ...(d.input !== undefined ? { input: d.input } : {}),
        attempts: 0,
        ...(iteration !== undefined ? { iteration } : {}),
      };
      bars.set(bar.id, bar);
      open.set(keyOf(d.name, iteration), [...(open.get(keyOf(d.name, iteration)) ?? []), bar]);
      if (iteration === undefined) {
        rows.push({ label: d.name, kind: 'state', bars: [bar] });
        if (bar.type === 'Map' || bar.type === 'Parallel') openMaps.push(d.name);
      } else {
        const map = openMaps.at(-1) ?? '?';
        bar.map = map;
        const rowKey = `${map}#${iteration}`;
        let row = iterationRows.get(rowKey);
        if (!row) {
          row = { label: `${map} · shard ${iteration + 1}`, kind: 'iteration', iteration, map, bars: [] };
          iterationRows.set(rowKey, row);
          // Iterations sit right under their Map's row, in index order.
          const mapRow = rows.map((r) => r.kind === 'state' && r.label === map).lastIndexOf(true);
          let at2 = mapRow + 1;
          while (at2 < rows.length && rows[at2]!.kind === 'iteration' && rows[at2]!.map === map && (rows[at2]!.iteration ?? 0) < iteration)
            at2++;
          rows.splice(at2, 0, row);
        }
        row.bars.push(bar);
      }
      continue;
    }
    if (type.endsWith('StateExited')) {
      const d = event.stateExitedEventDetails as { name: string; output?: string };
      const stack = open.get(keyOf(d.name, event.iterationIndex));
      const bar = stack?.pop();
      if (bar) {
        bar.end = at;
        if (d.output !== undefined) bar.output = d.output;
        bar.status = bar.error ? 'CAUGHT' : 'SUCCEEDED';
        if (event.iterationIndex === undefined && openMaps.at(-1) === d.name) openMaps.pop();
      }
      continue;
    }
    if ((type === 'TaskScheduled' || type === 'ActivityScheduled') && event.stateName) {
      const bar = openBar(event.stateName, event.iterationIndex);
      if (bar) bar.attempts++;
      continue;
    }
    if (FAILURE.test(type) && event.stateName) {
      const bar = openBar(event.stateName, event.iterationIndex);
      const details = Object.entries(event).find(([k, v]) => k.endsWith('EventDetails') && v && typeof v === 'object')?.[1] as
        | { error?: string; cause?: string }
        | undefined;
      if (bar) {
        if (details?.error !== undefined) bar.error = details.error;
        if (details?.cause !== undefined) bar.cause = details.cause;
      }
      continue;
    }
    if (type === 'MapStateFailed' && event.stateName) {
      const bar = openBar(event.stateName, undefined);
      if (bar) {
        bar.end = at;
        bar.status = 'FAILED';
      }
      continue;
    }
    if (type === 'ExecutionFailed' || type === 'ExecutionTimedOut' || type === 'ExecutionAborted') {
      const d = (event.executionFailedEventDetails ?? event.executionTimedOutEventDetails ?? event.executionAbortedEventDetails) as
        | { error?: string; cause?: string }
        | undefined;
      executionError = { ...(d?.error !== undefined ? { error: d.error } : {}), ...(d?.cause !== undefined ? { cause: d.cause } : {}) };
      // What was still open ended with the execution (until a redrive opens it again).
      for (const stack of open.values()) {
        for (const bar of stack.splice(0)) {
          bar.end = at;
          bar.status = type === 'ExecutionAborted' ? 'CANCELLED' : 'FAILED';
          if (!bar.error && executionError.error) bar.error = executionError.error;
          if (!bar.cause && executionError.cause) bar.cause = executionError.cause;
        }
      }
      openMaps.splice(0);
    }
  }
  const last = events.at(-1)?.timestamp.getTime() ?? start;
  const end = executionStatus === 'RUNNING' ? Math.max(Date.now(), last) : (stopDate?.getTime() ?? last);
  return { start, end: Math.max(end, start + 1), rows, bars, redrives };
}
