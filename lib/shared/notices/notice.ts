/**
 * The one notification format for people. Every message operators get (a run that failed or
 * looks wrong, a CloudWatch alarm, an incomplete or stuck batch, a late batch that ran after
 * all, a run past its max runtime) is a Notice rendered here, so they all read the same:
 * which pipeline and batch, what happened, the classified cause and what to do, the stop
 * reason or last error, how long it ran, and links to the execution and the task's logs.
 */

export type NoticeSeverity = 'ALARM' | 'WARNING' | 'OK' | 'INFO';

export type NoticeKind =
  | 'run-failed'
  | 'run-anomaly'
  | 'run-over-max-runtime'
  | 'batch-incomplete'
  | 'batch-incomplete-at-schedule'
  | 'batch-stuck'
  | 'batch-late-completed'
  | 'alarm'
  | 'alarm-ok';

export interface Notice {
  /** Machine-readable kind: an SNS message attribute, so subscriptions can filter on it. */
  kind: NoticeKind;
  severity: NoticeSeverity;
  /** A few words for the subject: "run FAILED", "batch incomplete", "alarm LambdaErrors". */
  title: string;
  /** Stack this came from, for the subject line (several stages may share an inbox). */
  stack?: { service: string; stage: string } | undefined;
  pipeline?: string | undefined;
  batchKey?: string | undefined;
  runKey?: string | undefined;
  /** One or two sentences, for a person who has not seen the system before. */
  whatHappened: string;
  /** The failure class (lib/pipelines/runs/classify-failure.ts) or alarm kind, and what to do about it. */
  cause?: { class: string; hint?: string | undefined } | undefined;
  /** ECS stop code and reason, when a task stopped. */
  stopReason?: string | null | undefined;
  /** The last error message (a run's error, an alarm's state reason). */
  lastError?: string | null | undefined;
  /** How long it ran: duration and, when known, start and end. */
  ran?: { durationMs?: number | null | undefined; startedAt?: string | undefined; endedAt?: string | undefined } | undefined;
  /** Further facts as label → value lines (files arrived / missing, records affected, ...). */
  facts?: Array<[label: string, value: string]> | undefined;
  links?:
    | {
        /** Execution ARN (the console URL is built from it). */
        executionArn?: string | undefined;
        /** Task log stream console URLs, one per task (shard). */
        taskLogs?: string[] | undefined;
        /** Other labelled links (alarm, log group, queue). */
        other?: Array<[label: string, url: string]> | undefined;
      }
    | undefined;
}

export interface RenderedNotice {
  /** SNS subjects: ASCII, no line breaks, at most 100 characters. */
  subject: string;
  message: string;
  /** SNS message attributes for subscription filter policies. */
  attributes: Record<string, string>;
}

/** `93000` → `1m 33s`. */
export function formatDuration(ms: number): string {
  const seconds = Math.round(ms / 1000);
  const h = Math.floor(seconds / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return h ? `${h}h ${m}m ${s}s` : m ? `${m}m ${s}s` : `${s}s`;
}

const NON_SUBJECT = /[^\x20-\x7E]/g;
/** SNS Publish: a subject "less than 100 characters long" (API reference), so 99 at most. */
export const MAX_SUBJECT_CHARS = 99;
/** SNS messages to email stay readable well below the 256 KB limit. */
export const MAX_MESSAGE_CHARS = 16_000;

function executionUrl(executionArn: string): string {
  const region = executionArn.split(':')[3] || 'us-east-1';
  return `https://${region}.console.aws.amazon.com/states/home?region=${region}#/v2/executions/details/${executionArn}`;
}

const LABEL_WIDTH = 15;
const line = (label: string, value: string): string =>
  `${`${label}:`.padEnd(LABEL_WIDTH)} ${value.replace(/\r?\n/g, `\n${' '.repeat(LABEL_WIDTH + 1)}`)}`;

export function renderNotice(notice: Notice): RenderedNotice {
  const where = [notice.pipeline, notice.batchKey].filter(Boolean).join(' ');
  const prefix = notice.stack ? `[${notice.stack.service} ${notice.stack.stage}] ` : '';
  const subject =
    `${prefix}${notice.severity === 'ALARM' || notice.severity === 'WARNING' ? `${notice.severity}: ` : ''}${where ? `${where}: ` : ''}${notice.title}`
      .replace(NON_SUBJECT, '?')
      .slice(0, MAX_SUBJECT_CHARS);

  const lines: string[] = [];
  if (notice.pipeline) lines.push(line('Pipeline', notice.pipeline));
  if (notice.batchKey) lines.push(line('Batch', notice.batchKey));
  if (notice.runKey) lines.push(line('Run', notice.runKey));
  lines.push(line('What happened', notice.whatHappened));
  if (notice.cause) lines.push(line('Cause', `${notice.cause.class}${notice.cause.hint ? ` - ${notice.cause.hint}` : ''}`));
  if (notice.stopReason) lines.push(line('Stop reason', notice.stopReason));
  if (notice.lastError) lines.push(line('Last error', notice.lastError));
  const ran = notice.ran;
  if (ran && (typeof ran.durationMs === 'number' || ran.startedAt)) {
    const span = [ran.startedAt, ran.endedAt].filter(Boolean).join(' to ');
    lines.push(
      line('Ran for', `${typeof ran.durationMs === 'number' ? formatDuration(ran.durationMs) : 'unknown'}${span ? ` (${span})` : ''}`),
    );
  }
  for (const [label, value] of notice.facts ?? []) lines.push(line(label, value));

  const links: string[] = [];
  if (notice.links?.executionArn) links.push(line('Execution', executionUrl(notice.links.executionArn)));
  for (const [i, url] of (notice.links?.taskLogs ?? []).entries())
    links.push(line(notice.links!.taskLogs!.length > 1 ? `Task log ${i + 1}` : 'Task log', url));
  for (const [label, url] of notice.links?.other ?? []) links.push(line(label, url));
  if (links.length) lines.push('', 'Links', ...links);
  if (notice.stack) lines.push('', `Sent by ${notice.stack.service} (stage ${notice.stack.stage}).`);

  let message = lines.join('\n');
  if (message.length > MAX_MESSAGE_CHARS) message = `${message.slice(0, MAX_MESSAGE_CHARS - 1)}…`;
  const attributes: Record<string, string> = { severity: notice.severity, kind: notice.kind };
  if (notice.pipeline) attributes.pipeline = notice.pipeline;
  return { subject, message, attributes };
}
