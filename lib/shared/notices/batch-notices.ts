/** The sweeper's notices: incomplete, stuck and late batches, and runs past their max runtime. */
import { ALARM_KINDS } from '../../contracts/alarm-kinds';
import { formatDuration, type Notice } from './notice';

export interface BatchNoticeInput {
  stack?: { service: string; stage: string } | undefined;
  pipeline: string;
  batchKey: string;
  firstArrivalAt: string;
  /** Epoch seconds: first arrival + the pipeline's window. */
  deadline: number;
  windowMinutes: number;
  /** Logical file → object key, of the files that arrived. */
  arrived: Array<{ file: string; key: string }>;
  missing: string[];
  now: Date;
}

const iso = (epochSeconds: number): string => new Date(epochSeconds * 1000).toISOString();

function arrivedFact(arrived: BatchNoticeInput['arrived']): [string, string] {
  return ['Files arrived', arrived.length ? arrived.map((a) => `${a.file} (${a.key})`).join('\n') : 'none'];
}

export function incompleteBatchNotice(batch: BatchNoticeInput): Notice {
  return {
    kind: 'batch-incomplete',
    severity: 'WARNING',
    title: `batch incomplete, missing ${batch.missing.join(', ')}`,
    stack: batch.stack,
    pipeline: batch.pipeline,
    batchKey: batch.batchKey,
    whatHappened:
      `The batch's window of ${batch.windowMinutes} minutes passed without all its files, so it has not run. ` +
      'If the missing files arrive later, the batch still completes and runs, and you get a notice saying so.',
    cause: { class: 'incomplete-batch', hint: ALARM_KINDS['incomplete-batches'].hint },
    facts: [
      ['Files missing', batch.missing.join(', ')],
      arrivedFact(batch.arrived),
      ['First file at', batch.firstArrivalAt],
      ['Window ended', `${iso(batch.deadline)} (${formatDuration(batch.now.getTime() - batch.deadline * 1000)} ago)`],
    ],
  };
}

export function stuckBatchNotice(batch: BatchNoticeInput & { lastArrivalAt?: string | undefined }): Notice {
  return {
    kind: 'batch-stuck',
    severity: 'ALARM',
    title: 'batch complete but its run never started',
    stack: batch.stack,
    pipeline: batch.pipeline,
    batchKey: batch.batchKey,
    whatHappened:
      'Every file of the batch arrived, but no run was started for it: starting the run failed after its retries, ' +
      "and the fan-in's record is likely in its dead-letter queue.",
    cause: { class: 'start-failed', hint: ALARM_KINDS['stuck-batches'].hint },
    facts: [
      arrivedFact(batch.arrived),
      ['First file at', batch.firstArrivalAt],
      ...(batch.lastArrivalAt ? [['Last file at', batch.lastArrivalAt] as [string, string]] : []),
    ],
  };
}

export interface LateBatchInput {
  stack?: { service: string; stage: string } | undefined;
  pipeline: string;
  batchKey: string;
  runKey: string;
  overdueNotifiedAt: string;
  firstArrivalAt: string;
  arrived: Array<{ file: string; key: string }>;
}

export function lateBatchNotice(batch: LateBatchInput): Notice {
  return {
    kind: 'batch-late-completed',
    severity: 'INFO',
    title: 'late batch completed, run started',
    stack: batch.stack,
    pipeline: batch.pipeline,
    batchKey: batch.batchKey,
    runKey: batch.runKey,
    whatHappened:
      `The batch reported overdue at ${batch.overdueNotifiedAt} has run after all: its missing files arrived (or its start was redriven) and its run started. ` +
      'Nothing to do unless the run fails (you would get a separate notice).',
    facts: [arrivedFact(batch.arrived), ['First file at', batch.firstArrivalAt]],
  };
}

export interface OverrunInput {
  stack?: { service: string; stage: string } | undefined;
  pipeline: string;
  batchKey: string;
  runKey: string;
  status: string;
  startedAt: string;
  maxRuntimeSeconds: number;
  now: Date;
  executionArn?: string | undefined;
}

export function runOverMaxRuntimeNotice(run: OverrunInput): Notice {
  const durationMs = run.now.getTime() - Date.parse(run.startedAt);
  return {
    kind: 'run-over-max-runtime',
    severity: 'WARNING',
    title: `run still ${run.status} after ${formatDuration(durationMs)}`,
    stack: run.stack,
    pipeline: run.pipeline,
    batchKey: run.batchKey,
    runKey: run.runKey,
    whatHappened: `The run is still ${run.status}, past the pipeline's alarms.maxRuntimeSeconds of ${formatDuration(run.maxRuntimeSeconds * 1000)}.`,
    cause: { class: 'ran-too-long', hint: ALARM_KINDS['run-still-running'].hint },
    ran: { durationMs, startedAt: run.startedAt },
    links: { executionArn: run.executionArn },
  };
}

export interface IncompleteAtScheduleInput {
  stack?: { service: string; stage: string } | undefined;
  pipeline: string;
  /** The batch, when the firing selected one; absent when no batch matched an open capture. */
  batchKey?: string;
  /** Capture values the schedule selected (schedule.batch at the fire time). */
  selected: Record<string, string>;
  scheduledTime: Date;
  timeZone: string;
  expression: string;
  arrived: Array<{ file: string; key: string }>;
  missing: string[];
}

/** A schedule fired and its batch was not complete (schedule.whenIncomplete: notify): nothing ran. */
export function incompleteAtScheduleNotice(input: IncompleteAtScheduleInput): Notice {
  const selection = Object.entries(input.selected)
    .map(([name, value]) => `${name}=${value}`)
    .join(', ');
  return {
    kind: 'batch-incomplete-at-schedule',
    severity: 'WARNING',
    title:
      input.batchKey !== undefined
        ? `incomplete at schedule, missing ${input.missing.join(', ')}`
        : `no batch of ${selection} at schedule time`,
    stack: input.stack,
    pipeline: input.pipeline,
    batchKey: input.batchKey,
    whatHappened:
      (input.batchKey !== undefined
        ? `The schedule fired for this batch before all its files arrived, so it did not run (schedule.whenIncomplete: notify). `
        : `The schedule fired and found no batch with ${selection}: no file of it has arrived, so nothing ran (schedule.whenIncomplete: notify). `) +
      'When the missing files arrive the batch runs by itself; to run it now with what arrived, start it by hand.',
    cause: {
      class: 'incomplete-at-schedule',
      hint: 'Ask the sender about the missing files, or run the batch by hand: npx sls invoke -f startPipeline --data \'{"pipeline":"…","batch":"…"}\'.',
    },
    facts: [
      ['Files missing', input.missing.join(', ') || 'none'],
      arrivedFact(input.arrived),
      ['Fire time', `${input.scheduledTime.toISOString()} (${input.expression}, ${input.timeZone})`],
      ['Selected', selection],
    ],
  };
}
