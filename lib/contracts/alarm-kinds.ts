/**
 * Every alarm kind the stack defines, with the sentence and advice its notification carries.
 * The alarm generator (stack/alarms.ts) names alarms `<service>-<stage>/<kind>[/<subject>]`
 * (subject: a pipeline, function or queue), and the alarm formatter reads the kind back from
 * the name: one list, so a new alarm cannot reach people without an explanation.
 */
export const ALARM_KINDS = {
  'run-failures': {
    what: 'Runs of this pipeline failed (alarms.failuresPerHour reached within an hour).',
    hint: 'Each failed run sent its own notification with the classified cause; start there. Re-run a batch with opsRerunBatch after the fix.',
  },
  'run-too-long': {
    what: 'A run of this pipeline took longer than alarms.maxRuntimeSeconds.',
    hint: 'Look at the step durations on the dashboard (extract / transform / load) to find the slow step, or raise the threshold in pipelines.yml.',
  },
  'run-still-running': {
    what: 'A run of this pipeline is still running past alarms.maxRuntimeSeconds (found by the sweeper).',
    hint: 'Open the execution: a task may hang or wait for capacity. Stop the execution if it is stuck; the sweeper notification names the run.',
  },
  'records-affected': {
    what: 'A run affected more records than alarms.maxRecordsAffected.',
    hint: 'Check the input files of the batch for duplicates or a wrong date; raise the threshold in pipelines.yml if the volume is real.',
  },
  'run-too-costly': {
    what: "A run of this pipeline cost more than alarms.maxRunCostUsd (estimated from its tasks' Fargate time and its state transitions).",
    hint: "Compare its task-seconds with earlier runs (opsListRuns shows each run's cost): a slow step, more shards or a larger task size; raise the threshold in pipelines.yml if the cost is expected.",
  },
  'executions-failed': {
    what: 'Executions of the pipeline state machine failed.',
    hint: 'Failed runs notify on their own; an execution that failed without one broke before Summarize Run: read its history.',
  },
  'executions-timed-out': {
    what: 'Executions of the pipeline state machine timed out.',
    hint: 'A task outlived its TimeoutSeconds; read the execution history and the task logs.',
  },
  'executions-aborted': {
    what: 'Executions of the pipeline state machine were stopped (aborted) by someone or something.',
    hint: 'Check CloudTrail StopExecution calls if nobody on the team stopped it.',
  },
  'executions-throttled': {
    what: 'Step Functions throttled state transitions of the pipeline state machine.',
    hint: 'Too many executions at once: lower task.maxConcurrency or spread the schedules.',
  },
  'lambda-errors': {
    what: 'A function of the stack failed invocations.',
    hint: "Read the function's log group for errors; stream and async sources retry, then park the input in a dead-letter queue.",
  },
  'lambda-throttles': {
    what: 'A function of the stack was throttled.',
    hint: 'Account or reserved concurrency is exhausted: check other workloads in the account or raise the limit.',
  },
  'fan-in-iterator-age': {
    what: 'The fan-in is falling behind the arrival stream (iterator age high).',
    hint: "Records older than the mapping's maximum record age go to the fan-in DLQ: check fan-in errors and throttles now.",
  },
  'dead-letters': {
    what: 'Messages arrived in a dead-letter queue: some input was not processed after its retries.',
    hint: "Find the cause in the source function's logs, fix it, then redrive with opsRedriveDlq.",
  },
  'incomplete-batches': {
    what: 'Batches passed their window without all their files (the sweeper sent one notification per batch).',
    hint: 'Upload the missing files: the batch still completes and runs. Or re-run it by hand with the files that arrived.',
  },
  'stuck-batches': {
    what: 'Complete batches whose run never started (the start failed after retries).',
    hint: 'Check the fan-in DLQ and the fan-in logs; redrive the DLQ or re-run the batch with opsRerunBatch.',
  },
} as const satisfies Record<string, { what: string; hint: string }>;

export type AlarmKind = keyof typeof ALARM_KINDS;

export const isAlarmKind = (value: string): value is AlarmKind => Object.hasOwn(ALARM_KINDS, value);

/** `<service>-<stage>/<kind>[/<subject>]`, within CloudWatch's 255 characters. */
export function alarmName(stack: string, kind: AlarmKind, subject?: string): string {
  return `${stack}/${kind}${subject ? `/${subject}` : ''}`.slice(0, 255);
}

/** The kind and subject of one of this stack's alarm names, or undefined for a foreign alarm. */
export function parseAlarmName(name: string): { stack: string; kind: AlarmKind; subject?: string } | undefined {
  const [stack, kind, ...rest] = name.split('/');
  if (!stack || !kind || !isAlarmKind(kind)) return undefined;
  const subject = rest.join('/');
  return { stack, kind, ...(subject ? { subject } : {}) };
}

/** Alarm kinds whose subject is a pipeline. */
export const PIPELINE_ALARM_KINDS: ReadonlySet<AlarmKind> = new Set([
  'run-failures',
  'run-too-long',
  'run-still-running',
  'records-affected',
  'incomplete-batches',
  'stuck-batches',
]);
