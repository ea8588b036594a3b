/**
 * The console's HTML: executions with filters, one execution (timeline of states and shards,
 * a detail panel per state with its full input, output, error and cause, the shard's task and
 * log lines, stop and redrive), notifications, alarms, one run's logs, one task, one S3 object.
 * Plain server-rendered pages with a few lines of script: nothing to build, nothing to fetch.
 */
import type { AlarmStatus } from '../emulators/cloudwatch/alarms';
import type { LocalTask } from '../emulators/ecs';
import type { PublishedMessage } from '../emulators/sns/local-sns';
import type { RunLogLine } from '../cloud/run-logs';
import type { Bar, Timeline } from './timeline';
import { formatDuration } from './table';

export const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
export const pretty = (text: string | undefined): string => {
  if (text === undefined) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
};
const href = (path: string) => escape(path);
const enc = encodeURIComponent;

const STYLE = `*{box-sizing:border-box}body{font-family:system-ui,sans-serif;margin:0;color:#1f2933;background:#fff}
header.nav{display:flex;gap:18px;align-items:center;padding:10px 24px;background:#1f2933;color:#fff}header.nav a{color:#e4e7eb;text-decoration:none}header.nav a.active{color:#fff;font-weight:700}
main{padding:18px 24px}h1{font-size:20px;margin:6px 0 10px;overflow-wrap:anywhere}h2{font-size:16px;margin-top:26px}
table{border-collapse:collapse;font-size:13px;width:100%}th,td{border-bottom:1px solid #e4e7eb;padding:6px 8px;text-align:left;vertical-align:top;overflow-wrap:anywhere}
.SUCCEEDED,.OK,.delivered{color:#1d8b3a;font-weight:600}.FAILED,.TIMED_OUT,.ALARM,.failed{color:#c22c2c;font-weight:600}.RUNNING{color:#2b6cb0;font-weight:600}.CAUGHT{color:#b7791f;font-weight:600}.ABORTED,.CANCELLED,.filtered-out,.not-sent{color:#777;font-weight:600}
pre{margin:0;white-space:pre-wrap;overflow-wrap:anywhere;font-size:12px;background:#f5f7fa;padding:6px;border-radius:4px;max-height:420px;overflow:auto}
a{color:#2b6cb0}.meta{color:#52606d;font-size:13px}.error-box{border:1px solid #f1b0b0;background:#fff5f5;border-radius:6px;padding:10px;margin:10px 0}
form.filters{display:flex;gap:10px;align-items:end;flex-wrap:wrap;margin-bottom:12px}form.filters label{display:flex;flex-direction:column;font-size:12px;color:#52606d}
button{font:inherit;padding:5px 12px;border-radius:5px;border:1px solid #9aa5b1;background:#f5f7fa;cursor:pointer}button.danger{border-color:#c22c2c;color:#c22c2c}button.primary{border-color:#2b6cb0;color:#2b6cb0}
.layout{display:grid;grid-template-columns:minmax(0,3fr) minmax(320px,2fr);gap:18px;align-items:start}
.gantt{border:1px solid #e4e7eb;border-radius:6px;font-size:12px}.gantt .row{display:grid;grid-template-columns:260px 1fr;border-bottom:1px solid #f0f2f5;min-height:30px}
.gantt .label{padding:6px 8px;overflow-wrap:anywhere;border-right:1px solid #e4e7eb}.gantt .row.iteration .label{padding-left:24px;color:#52606d}
.gantt .track{position:relative}.gantt .bar{position:absolute;top:6px;height:18px;border-radius:3px;min-width:4px;cursor:pointer;border:1px solid rgba(0,0,0,.15)}
.gantt .bar.SUCCEEDED{background:#8fd19e}.gantt .bar.FAILED{background:#f19999}.gantt .bar.CAUGHT{background:#f6c177}.gantt .bar.RUNNING{background:#90cdf4}.gantt .bar.CANCELLED{background:#cbd2d9}
.gantt .bar.selected{outline:2px solid #1f2933}.gantt .scale{display:grid;grid-template-columns:260px 1fr;font-size:11px;color:#52606d}.gantt .scale div:last-child{display:flex;justify-content:space-between;padding:2px 4px}
.detail{border:1px solid #e4e7eb;border-radius:6px;padding:12px;position:sticky;top:10px}.detail h3{margin:0 0 6px;font-size:15px;overflow-wrap:anywhere}.detail h4{margin:12px 0 4px;font-size:13px}
.logs{font-family:ui-monospace,monospace;font-size:11px;background:#0f1720;color:#e4e7eb;padding:8px;border-radius:4px;max-height:360px;overflow:auto;white-space:pre-wrap;overflow-wrap:anywhere}
.logs .stderr{color:#f8b4b4}.graph{border:1px solid #e4e7eb;border-radius:8px;padding:8px;display:inline-block;background:#fcfcfd;max-width:100%;overflow:auto}
.notice{margin:6px 0}.actions{display:flex;gap:8px;margin:8px 0}.flash{padding:8px 12px;border-radius:6px;background:#ebf8ff;border:1px solid #90cdf4;margin:8px 0}`;

const SCRIPT = `(() => {
  const show = (id) => {
    document.querySelectorAll('.detail[data-bar]').forEach((d) => (d.hidden = d.dataset.bar !== id));
    document.querySelectorAll('.bar').forEach((b) => b.classList.toggle('selected', b.dataset.bar === id));
  };
  document.querySelectorAll('.bar').forEach((bar) => bar.addEventListener('click', () => { history.replaceState(null, '', '#' + bar.dataset.bar); show(bar.dataset.bar); }));
  const initial = location.hash.slice(1) || document.querySelector('[data-default-bar]')?.dataset.defaultBar;
  if (initial) show(initial);
  const refresh = document.querySelector('[data-refresh]');
  if (refresh) setTimeout(() => location.reload(), Number(refresh.dataset.refresh));
})();`;

export type Section = 'executions' | 'notifications' | 'alarms';

export function page(title: string, section: Section | undefined, body: string, options: { refreshMs?: number } = {}): string {
  const nav = (name: Section, label: string) => `<a href="/${name}"${section === name ? ' class="active"' : ''}>${label}</a>`;
  return `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title><style>${STYLE}</style></head><body>
<header class="nav"><strong>Local cloud console</strong>${nav('executions', 'Executions')}${nav('notifications', 'Notifications')}${nav('alarms', 'Alarms')}</header>
<main${options.refreshMs ? ` data-refresh="${options.refreshMs}"` : ''}>${body}</main><script>${SCRIPT}</script></body></html>`;
}

export interface ListedExecution {
  executionArn: string;
  name: string;
  status: string;
  startDate?: Date;
  stopDate?: Date;
  pipeline?: string;
  runKey?: string;
  /** What started the run: files, schedule, manual, events or queue. */
  trigger?: string;
  redriveCount?: number;
}

export interface ListFilters {
  pipeline?: string;
  status?: string;
  /** Minutes back from now; undefined: all. */
  sinceMinutes?: number;
}

const SINCE = [
  ['', 'any time'],
  ['15', 'last 15 minutes'],
  ['60', 'last hour'],
  ['1440', 'last 24 hours'],
] as const;

export function listPage(executions: ListedExecution[], filters: ListFilters, pipelines: string[]): string {
  const option = (value: string, label: string, selected: string | undefined) =>
    `<option value="${escape(value)}"${selected === value ? ' selected' : ''}>${escape(label)}</option>`;
  const form = `<form class="filters" method="get" action="/executions">
<label>Pipeline<select name="pipeline" id="filter-pipeline">${option('', 'all pipelines', filters.pipeline ?? '')}${pipelines.map((p) => option(p, p, filters.pipeline)).join('')}</select></label>
<label>Status<select name="status" id="filter-status">${option('', 'any status', filters.status ?? '')}${['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED'].map((s) => option(s, s, filters.status)).join('')}</select></label>
<label>Started<select name="since" id="filter-since">${SINCE.map(([v, l]) => option(v, l, filters.sinceMinutes === undefined ? '' : String(filters.sinceMinutes))).join('')}</select></label>
<button type="submit" class="primary">Filter</button></form>`;
  const rows = executions
    .map((e) => {
      const ms = e.startDate ? (e.stopDate ?? new Date()).getTime() - e.startDate.getTime() : undefined;
      return `<tr data-execution="${escape(e.name)}"><td><a href="${href(`/executions/${enc(e.executionArn)}`)}">${escape(e.name)}</a>${e.redriveCount ? ` <span class="meta">(redriven ${e.redriveCount}×)</span>` : ''}</td><td>${escape(e.pipeline ?? '')}</td><td>${e.runKey ? `<a href="${href(`/runs/${enc(e.runKey)}`)}">${escape(e.runKey)}</a>` : ''}</td><td>${escape(e.trigger ?? '')}</td><td class="${e.status}">${e.status}</td><td>${e.startDate?.toISOString() ?? ''}</td><td>${formatDuration(ms)}</td></tr>`;
    })
    .join('');
  const running = executions.some((e) => e.status === 'RUNNING');
  return page(
    'Executions',
    'executions',
    `<h1>Executions</h1>${form}<p class="meta">${executions.length} execution(s)${running ? ' · refreshing while any runs' : ''}</p>
<table id="executions"><tr><th>Name</th><th>Pipeline</th><th>Run key</th><th>Trigger</th><th>Status</th><th>Started</th><th>Duration</th></tr>${rows || '<tr><td colspan="7">No executions match: upload a complete batch (npm run demo does), or clear the filters.</td></tr>'}</table>`,
    running ? { refreshMs: 3000 } : {},
  );
}

export interface ExecutionPageModel {
  executionArn: string;
  name: string;
  status: string;
  startDate?: Date;
  stopDate?: Date;
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  redriveCount: number;
  redrivable: boolean;
  pipeline?: string;
  runKey?: string;
  trigger?: string;
  timeline: Timeline;
  graphSvg: string;
  /** Tasks of a bar (the ECS tasks its shard ran while the state was open), with their log lines. */
  tasksOf(bar: Bar): Array<{ task: LocalTask; lines: RunLogLine[] }>;
  /** Object links: s3 objects named in the input. */
  objects: Array<{ bucket: string; key: string; file?: string }>;
  /** A pipeline run's estimated cost, from its Summarize Run state. */
  costText?: string;
  flash?: string;
}

function barDetail(bar: Bar, model: ExecutionPageModel): string {
  const timing = `${new Date(bar.start).toISOString()} · ${bar.end ? formatDuration(bar.end - bar.start) : 'running'}${bar.attempts > 1 ? ` · ${bar.attempts} attempts` : ''}`;
  const tasks = bar.type === 'Task' ? model.tasksOf(bar) : [];
  const taskBlocks = tasks
    .map(({ task, lines }) => {
      const id = task.taskArn.split('/').at(-1)!;
      const exit = task.containers
        .map((c) => `${c.name}: ${c.lastStatus}${c.exitCode !== undefined ? ` exit ${c.exitCode}` : ''}`)
        .join(', ');
      return `<h4>ECS task <a href="${href(`/tasks/${enc(task.taskArn)}`)}">${escape(id)}</a></h4><p class="meta">${escape(task.lastStatus)} · ${escape(exit)}${task.stoppedReason ? ` · ${escape(task.stoppedReason)}` : ''}</p>
<div class="logs" data-task-log="${escape(id)}">${lines.map((l) => `<div class="${l.stream}">${escape(l.at.slice(11, 23))} ${escape(l.line)}</div>`).join('') || '(no output yet)'}</div>`;
    })
    .join('');
  return `<section class="detail" data-bar="${bar.id}" hidden>
<h3>${escape(bar.name)}</h3>
<p class="meta">${escape(bar.type)}${bar.iteration !== undefined ? ` · shard ${bar.iteration + 1} (iteration ${bar.iteration} of ${escape(bar.map ?? '')})` : ''} · <span class="${bar.status}">${bar.status}</span></p>
<p class="meta">${escape(timing)}</p>
${bar.error !== undefined || bar.cause !== undefined ? `<h4>Error</h4><pre class="error">${escape(bar.error ?? '')}</pre><h4>Cause</h4><pre class="cause">${escape(pretty(bar.cause))}</pre>` : ''}
<h4>Input</h4><pre class="input">${escape(pretty(bar.input))}</pre>
${bar.output !== undefined ? `<h4>Output</h4><pre class="output">${escape(pretty(bar.output))}</pre>` : ''}
${taskBlocks}</section>`;
}

function gantt(timeline: Timeline): string {
  const span = timeline.end - timeline.start;
  const pct = (t: number) => `${(((t - timeline.start) / span) * 100).toFixed(3)}%`;
  const rows = timeline.rows
    .map((row) => {
      const bars = row.bars
        .map((bar) => {
          const width = Math.max(0.4, (((bar.end ?? timeline.end) - bar.start) / span) * 100);
          return `<div class="bar ${bar.status}" data-bar="${bar.id}" data-state="${escape(bar.name)}" title="${escape(`${bar.name}: ${bar.status}, ${bar.end ? formatDuration(bar.end - bar.start) : 'running'}`)}" style="left:${pct(bar.start)};width:${width.toFixed(3)}%"></div>`;
        })
        .join('');
      return `<div class="row ${row.kind}"${row.iteration !== undefined ? ` data-shard="${row.iteration + 1}"` : ''}><div class="label">${escape(row.label)}</div><div class="track">${bars}</div></div>`;
    })
    .join('');
  return `<div class="gantt" id="timeline">${rows}<div class="scale"><div></div><div><span>0</span><span>${formatDuration(span)}</span></div></div></div>`;
}

export function executionPage(model: ExecutionPageModel): string {
  const bars = [...model.timeline.bars.values()];
  const selected =
    bars.find((b) => b.status === 'FAILED' && b.cause) ??
    bars.find((b) => b.status === 'FAILED') ??
    bars.find((b) => b.status === 'RUNNING') ??
    bars.at(-1);
  const ms = model.startDate ? (model.stopDate ?? new Date()).getTime() - model.startDate.getTime() : undefined;
  const arn = enc(model.executionArn);
  const actions = `<div class="actions">${model.status === 'RUNNING' ? `<form method="post" action="/executions/${escape(arn)}/stop"><button class="danger" id="stop">Stop execution</button></form>` : ''}${model.redrivable ? `<form method="post" action="/executions/${escape(arn)}/redrive"><button class="primary" id="redrive">Redrive</button></form>` : ''}</div>`;
  const objects = model.objects.length
    ? `<h2>Files of the batch</h2><ul>${model.objects.map((o) => `<li>${o.file ? `${escape(o.file)}: ` : ''}<a href="${href(`/s3/${enc(o.bucket)}/${enc(o.key)}`)}">s3://${escape(o.bucket)}/${escape(o.key)}</a></li>`).join('')}</ul>`
    : '';
  return page(
    model.name,
    'executions',
    `<p><a href="/executions">← all executions</a></p>
${model.flash ? `<p class="flash" id="flash">${escape(model.flash)}</p>` : ''}
<h1 id="execution-name">${escape(model.name)} <span class="${model.status}" id="execution-status">${model.status}</span></h1>
<p class="meta">${escape(model.executionArn)}</p>
<p class="meta">${model.pipeline ? `pipeline ${escape(model.pipeline)} · ` : ''}${model.runKey ? `run <a href="${href(`/runs/${enc(model.runKey)}`)}">${escape(model.runKey)}</a> (all its logs) · ` : ''}${model.trigger ? `trigger ${escape(model.trigger)} · ` : ''}started ${model.startDate?.toISOString() ?? ''} · ${formatDuration(ms)}${model.redriveCount ? ` · redriven ${model.redriveCount}×` : ''}</p>
${model.costText ? `<p class="meta" id="execution-cost">Estimated cost: ${escape(model.costText)}</p>` : ''}
${actions}
${model.error !== undefined ? `<div class="error-box" id="execution-error"><strong>${escape(model.error)}</strong><pre>${escape(pretty(model.cause))}</pre></div>` : ''}
<div class="layout"><div><h2>Timeline</h2>${gantt(model.timeline)}<p class="meta">Click a bar for its input, output, error and cause; a shard's bar shows its ECS task and log.</p></div>
<div id="details"${selected ? ` data-default-bar="${selected.id}"` : ''}>${bars.map((b) => barDetail(b, model)).join('')}</div></div>
${objects}
<h2>Graph</h2><div class="graph">${model.graphSvg}</div>
<h2>Execution input</h2><pre id="execution-input">${escape(pretty(model.input))}</pre>${model.output ? `<h2>Execution output</h2><pre>${escape(pretty(model.output))}</pre>` : ''}`,
    model.status === 'RUNNING' ? { refreshMs: 2000 } : {},
  );
}

export function notificationsPage(notices: PublishedMessage[]): string {
  const rows = [...notices]
    .reverse()
    .map((n) => {
      const attributes = Object.entries(n.attributes)
        .map(([k, a]) => `${escape(k)}=${escape(a.StringValue ?? a.BinaryValue ?? '')}`)
        .join('<br>');
      const deliveries = n.deliveries
        .map(
          (d) =>
            `<span class="${d.status}">${escape(d.status)}</span> ${escape(d.protocol)} ${escape(d.endpoint.split(':').at(-1) ?? d.endpoint)}${d.detail ? ` (${escape(d.detail)})` : ''}`,
        )
        .join('<br>');
      return `<tr class="notice"><td>${n.at.toISOString()}</td><td>${escape(n.topicName)}</td><td>${escape(n.publisher ?? '')}</td><td><strong>${escape(n.subject ?? '')}</strong><pre>${escape(pretty(n.message))}</pre></td><td>${attributes}</td><td>${deliveries}</td></tr>`;
    })
    .join('');
  return page(
    'Notifications',
    'notifications',
    `<h1>Notifications</h1><p class="meta">Every message published to the stack's SNS topics, newest first, and what each subscription did with it.</p>
<table id="notifications"><tr><th>At</th><th>Topic</th><th>From</th><th>Subject and message</th><th>Attributes</th><th>Deliveries</th></tr>${rows || '<tr><td colspan="6">No notices yet: a failed run, an anomaly or an alarm publishes one.</td></tr>'}</table>`,
  );
}

export function alarmsPage(alarms: AlarmStatus[]): string {
  const order = { ALARM: 0, INSUFFICIENT_DATA: 1, OK: 2 } as const;
  const rows = [...alarms]
    .sort((a, b) => order[a.state] - order[b.state] || a.alarmName.localeCompare(b.alarmName))
    .map(
      (a) =>
        `<tr data-alarm="${escape(a.alarmName)}"><td>${escape(a.alarmName)}<div class="meta">${escape(a.alarmDescription ?? '')}</div></td><td class="${a.state}">${a.state}</td><td>${escape(a.namespace)}/${escape(a.metricName)} ${escape(a.statistic)} ${escape(a.comparisonOperator)} ${a.threshold} over ${a.evaluationPeriods}×${a.periodSeconds} s</td><td>${a.lastValue ?? ''}</td><td>${escape(a.stateReason)}<div class="meta">${a.stateUpdatedAt.toISOString()}</div></td></tr>`,
    )
    .join('');
  return page(
    'Alarms',
    'alarms',
    `<h1>Alarms</h1><p class="meta">The template's alarms, evaluated on the local metrics (EMF lines of functions and containers, Lambda, Step Functions and SQS).</p><table id="alarms"><tr><th>Alarm</th><th>State</th><th>Condition</th><th>Last value</th><th>Reason</th></tr>${rows}</table>`,
  );
}

export function runPage(
  runKey: string,
  executions: Array<{ arn: string; name: string }>,
  lines: RunLogLine[],
  runItem: Record<string, unknown> | undefined,
): string {
  return page(
    runKey,
    'executions',
    `<p><a href="/executions">← all executions</a></p><h1>Run ${escape(runKey)}</h1>
<h2>Executions</h2><ul>${executions.map((e) => `<li><a href="${href(`/executions/${enc(e.arn)}`)}">${escape(e.name)}</a></li>`).join('') || '<li>none</li>'}</ul>
${runItem ? `<h2>Runs table item</h2><pre id="run-item">${escape(JSON.stringify(runItem, (_, v: unknown) => (v instanceof Set ? [...v] : v), 2))}</pre>` : ''}
<h2>Logs (containers and functions)</h2><div class="logs" id="run-logs">${lines.map((l) => `<div class="${l.stream}">${escape(l.at.slice(11, 23))} ${escape(l.source.padEnd(34))} ${escape(l.line)}</div>`).join('') || '(no lines)'}</div>`,
  );
}

export function taskPage(task: LocalTask, lines: RunLogLine[]): string {
  const { logs: _logs, ...described } = task;
  return page(
    task.taskArn,
    'executions',
    `<p><a href="/executions">← all executions</a></p><h1>ECS task ${escape(task.taskArn.split('/').at(-1)!)}</h1><p class="meta">${escape(task.taskArn)} · ${escape(task.lastStatus)}${task.stoppedReason ? ` · ${escape(task.stoppedReason)}` : ''}</p>
<h2>Log</h2><div class="logs" id="task-log">${lines.map((l) => `<div class="${l.stream}">${escape(l.at.slice(11, 23))} ${escape(l.line)}</div>`).join('') || '(no output)'}</div>
<h2>DescribeTasks</h2><pre>${escape(JSON.stringify(described, null, 2))}</pre>`,
  );
}

export function objectPage(bucket: string, key: string, body: string, truncated: boolean): string {
  return page(
    key,
    undefined,
    `<h1>s3://${escape(bucket)}/${escape(key)}</h1>${truncated ? '<p class="meta">first 1 MiB shown</p>' : ''}<pre id="object-body">${escape(body)}</pre>`,
  );
}
