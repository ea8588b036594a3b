/**
 * A finished run (failed, or succeeded with anomalies) → a Notice in the shared format.
 * Summarize Run (lib/pipelines/runs/summarize-run.ts) has every field; the operating command "show
 * run" renders the same for any run.
 */
import { logGroupUrl, taskLogStreamUrl } from './links';
import type { Notice } from './notice';
import { formatUsd } from '../pricing/format';

export interface RunShardOutcome {
  index: number;
  status: 'SUCCEEDED' | 'FAILED';
  exitCode: number | null;
  stopReason: string | null;
  recordsAffected: number | null;
  errorClass?: string | undefined;
  errorMessage?: string | undefined;
  /** ECS task ARN, when the outcome carried one (the log link needs it). */
  taskArn?: string | undefined;
  /** Tries of the shard, the last one included (task.retry by failure class). */
  attempts?: number | undefined;
  /** The failed tries that were tried again. */
  retried?:
    | Array<{
        attempt: number;
        capacityProvider: string;
        errorClass: string;
        errorMessage: string;
        retryAfterSeconds: number;
        nextCapacityProvider?: string | undefined;
      }>
    | undefined;
}

export interface RunNoticeInput {
  stack?: { service: string; stage: string } | undefined;
  pipeline: string;
  batchKey: string;
  runKey: string;
  status: 'SUCCEEDED' | 'FAILED';
  errorClass: string | null;
  errorMessage: string | null;
  /** What to do about the failure class (FAILURE_HINTS). */
  hint?: string | undefined;
  anomalies: string[];
  shards: RunShardOutcome[];
  startedAt?: string | undefined;
  endedAt?: string | undefined;
  durationMs?: number | null | undefined;
  recordsAffected: number | null;
  /** The run's estimated cost (lib/pipelines/runs/run-cost.ts), when it was estimated. */
  cost?:
    | { usd: number; tasksUsd: number; transitionsUsd: number; transitions: number; taskSeconds: number; retriedTaskSeconds?: number }
    | null
    | undefined;
  executionArn?: string | undefined;
  /** Where the pipeline container logs (awslogs): region, group and container name. */
  taskLogs?: { region: string; logGroup: string; container: string; streamPrefix?: string } | undefined;
}

export function runNotice(run: RunNoticeInput): Notice {
  const failed = run.status === 'FAILED';
  const firstFailed = run.shards.find((s) => s.status === 'FAILED');
  const facts: Array<[string, string]> = [['Records', run.recordsAffected === null ? 'unknown' : String(run.recordsAffected)]];
  if (run.cost) facts.push(['Estimated cost', describeRunCost(run.cost)]);
  for (const anomaly of run.anomalies) facts.push(['Anomaly', anomaly]);
  if (run.shards.length > 1 || firstFailed || run.shards.some((s) => (s.attempts ?? 1) > 1)) {
    for (const s of run.shards) {
      const attempts = (s.attempts ?? 1) > 1 ? `, ${s.attempts} attempts` : '';
      facts.push([
        `Shard ${s.index}`,
        `${s.status}${attempts}${s.exitCode !== null ? `, exit code ${s.exitCode}` : ''}${s.recordsAffected !== null ? `, ${s.recordsAffected} records` : ''}` +
          `${s.errorMessage ? ` - ${s.errorMessage}` : ''}`,
      ]);
      // Each try that was tried again: what failed it, how long the run waited, where the next ran.
      for (const a of s.retried ?? []) {
        facts.push([
          `Shard ${s.index} try ${a.attempt}`,
          `${a.errorClass} on ${a.capacityProvider} - ${a.errorMessage}; tried again after ${a.retryAfterSeconds}s` +
            `${a.nextCapacityProvider ? ` on ${a.nextCapacityProvider}` : ''}`,
        ]);
      }
    }
  }
  const taskLogs: string[] = [];
  const other: Array<[string, string]> = [];
  if (run.taskLogs) {
    const { region, logGroup, container, streamPrefix } = run.taskLogs;
    const withTask = run.shards.filter((s) => s.taskArn);
    // Failed shards first: that is the log a person opens.
    for (const s of [...withTask.filter((x) => x.status === 'FAILED'), ...withTask.filter((x) => x.status !== 'FAILED')]) {
      taskLogs.push(taskLogStreamUrl({ region, logGroup, container, taskArn: s.taskArn!, ...(streamPrefix ? { streamPrefix } : {}) }));
    }
    if (!taskLogs.length) other.push(['Task logs', logGroupUrl(region, logGroup)]);
  }
  return {
    kind: failed ? 'run-failed' : 'run-anomaly',
    severity: failed ? 'ALARM' : 'WARNING',
    title: failed ? `run FAILED (${run.errorClass ?? 'unknown'})` : 'run succeeded with anomalies',
    stack: run.stack,
    pipeline: run.pipeline,
    batchKey: run.batchKey,
    runKey: run.runKey,
    whatHappened: failed
      ? `The run failed: ${run.errorMessage ?? 'no error message was recorded'}`
      : `The run succeeded, but looks wrong: ${run.anomalies.join('; ')}`,
    ...(run.errorClass ? { cause: { class: run.errorClass, hint: run.hint } } : {}),
    stopReason: firstFailed?.stopReason ?? null,
    lastError: firstFailed?.errorMessage ?? (failed ? run.errorMessage : null),
    ran: { durationMs: run.durationMs ?? null, startedAt: run.startedAt, endedAt: run.endedAt },
    facts,
    links: { executionArn: run.executionArn, taskLogs, other },
  };
}

/**
 * "$0.0034 (Fargate $0.0032 for 600 task-seconds, 9 transitions $0.0002)"; with retried tries,
 * "… for 720 task-seconds, 120 of them by retried tries, …".
 */
export function describeRunCost(cost: NonNullable<RunNoticeInput['cost']>): string {
  const retried = cost.retriedTaskSeconds ? `, ${cost.retriedTaskSeconds} of them by retried tries` : '';
  return `${formatUsd(cost.usd)} (Fargate ${formatUsd(cost.tasksUsd)} for ${cost.taskSeconds} task-seconds${retried}, ${cost.transitions} transitions ${formatUsd(cost.transitionsUsd)})`;
}
