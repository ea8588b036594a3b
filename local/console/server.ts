/**
 * The local execution console, served by the local cloud:
 *   /executions             every execution, newest first, with status and timing
 *   /executions/<arn>       the state machine graph with the path taken, and the states table
 *   /api/executions[/<arn>] the same as JSON
 * It reads through the Step Functions API (ListExecutions, DescribeExecution,
 * GetExecutionHistory), so it shows exactly what an SDK client would see.
 */
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { closeServer, PortInUseError } from '../emulators/data-services';
import { renderGraphSvg } from './graph';
import { describeRunCost } from '../../lib/shared/notices/run-notice';
import { executionView, runCostOf, type ExecutionView, type RunCostView, type StateStatus } from './history';
import { formatDuration } from './table';

export interface ConsoleServer {
  url: string;
  stop(): Promise<void>;
}

export interface ExecutionSummary {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: string;
  startDate?: Date;
  stopDate?: Date;
}

export interface ExecutionDetail extends ExecutionSummary {
  input?: string;
  output?: string;
  error?: string;
  cause?: string;
  view: ExecutionView;
  /** A pipeline run's estimated cost, from its Summarize Run state. */
  cost?: RunCostView;
}

export async function listExecutions(sfn: SFNClient, stateMachineArns: string[]): Promise<ExecutionSummary[]> {
  const all: ExecutionSummary[] = [];
  for (const stateMachineArn of stateMachineArns) {
    let nextToken: string | undefined;
    do {
      const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn, nextToken, maxResults: 1000 }));
      for (const e of page.executions ?? []) {
        all.push({
          executionArn: e.executionArn!,
          stateMachineArn,
          name: e.name!,
          status: e.status!,
          ...(e.startDate ? { startDate: e.startDate } : {}),
          ...(e.stopDate ? { stopDate: e.stopDate } : {}),
        });
      }
      nextToken = page.nextToken;
    } while (nextToken);
  }
  return all.sort((a, b) => (b.startDate?.getTime() ?? 0) - (a.startDate?.getTime() ?? 0));
}

export async function describeExecutionDetail(sfn: SFNClient, executionArn: string): Promise<ExecutionDetail> {
  const d = await sfn.send(new DescribeExecutionCommand({ executionArn }));
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, nextToken, maxResults: 1000 }));
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  const view = executionView(events, d.status);
  const cost = runCostOf(view);
  return {
    executionArn,
    stateMachineArn: d.stateMachineArn!,
    name: d.name!,
    status: d.status!,
    ...(d.startDate ? { startDate: d.startDate } : {}),
    ...(d.stopDate ? { stopDate: d.stopDate } : {}),
    ...(d.input !== undefined ? { input: d.input } : {}),
    ...(d.output !== undefined ? { output: d.output } : {}),
    ...(d.error !== undefined ? { error: d.error } : {}),
    ...(d.cause !== undefined ? { cause: d.cause } : {}),
    view,
    ...(cost ? { cost } : {}),
  };
}

const escape = (text: string) => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
const pretty = (text: string | undefined) => {
  if (text === undefined) return '';
  try {
    return JSON.stringify(JSON.parse(text), null, 2);
  } catch {
    return text;
  }
};

const STYLE = `body{font-family:system-ui,sans-serif;margin:24px;color:#1f2933}h1{font-size:20px}h2{font-size:16px;margin-top:28px}
table{border-collapse:collapse;font-size:13px}th,td{border-bottom:1px solid #e4e7eb;padding:6px 10px;text-align:left;vertical-align:top}
.SUCCEEDED{color:#1d8b3a;font-weight:600}.FAILED,.TIMED_OUT{color:#c22c2c;font-weight:600}.RUNNING{color:#2b6cb0;font-weight:600}.CAUGHT{color:#b7791f;font-weight:600}.ABORTED,.CANCELLED{color:#777;font-weight:600}
pre{margin:0;max-width:420px;max-height:160px;overflow:auto;font-size:11px;background:#f5f7fa;padding:4px}a{color:#2b6cb0}.graph{border:1px solid #e4e7eb;border-radius:8px;padding:8px;display:inline-block;background:#fcfcfd}
.legend span{display:inline-block;margin-right:14px;font-size:12px}.meta{color:#52606d;font-size:13px}`;

const page = (title: string, body: string, refresh: boolean) =>
  `<!doctype html><html><head><meta charset="utf-8"><title>${escape(title)}</title>${refresh ? '<meta http-equiv="refresh" content="2">' : ''}<style>${STYLE}</style></head><body>${body}</body></html>`;

function listPage(executions: ExecutionSummary[]): string {
  const rows = executions
    .map((e) => {
      const ms = e.startDate ? (e.stopDate ?? new Date()).getTime() - e.startDate.getTime() : undefined;
      return `<tr><td><a href="/executions/${encodeURIComponent(e.executionArn)}">${escape(e.name)}</a></td><td class="${e.status}">${e.status}</td><td>${e.startDate?.toISOString() ?? ''}</td><td>${formatDuration(ms)}</td><td class="meta">${escape(e.stateMachineArn.split(':').at(-1) ?? '')}</td></tr>`;
    })
    .join('');
  const running = executions.some((e) => e.status === 'RUNNING');
  return page(
    'Executions',
    `<h1>Executions</h1><p class="meta">Local Step Functions · ${executions.length} execution(s)${running ? ' · refreshing while any runs' : ''}</p>
<table><tr><th>Name</th><th>Status</th><th>Started</th><th>Duration</th><th>State machine</th></tr>${rows || '<tr><td colspan="5">No executions yet: upload a complete batch (npm run demo does).</td></tr>'}</table>`,
    running,
  );
}

function detailPage(detail: ExecutionDetail, definition: string): string {
  const last = new Map<string, StateStatus>();
  for (const row of detail.view.rows) last.set(row.name, row.status);
  const svg = renderGraphSvg(definition, (name) => last.get(name), detail.view.path);
  const start = detail.view.rows[0]?.enteredAt.getTime() ?? 0;
  const rows = detail.view.rows
    .map(
      (r, i) =>
        `<tr><td>${i + 1}</td><td>${escape(r.name)}</td><td>${escape(r.type)}</td><td class="${r.status}">${r.status}</td><td>+${formatDuration(r.enteredAt.getTime() - start)}</td><td>${formatDuration(r.durationMs)}</td><td><pre>${escape(pretty(r.input))}</pre></td><td>${r.error ? `<b>${escape(r.error)}</b><pre>${escape(pretty(r.cause))}</pre>` : `<pre>${escape(pretty(r.output))}</pre>`}</td></tr>`,
    )
    .join('');
  const ms = detail.startDate ? (detail.stopDate ?? new Date()).getTime() - detail.startDate.getTime() : undefined;
  return page(
    detail.name,
    `<p><a href="/executions">← all executions</a></p><h1>${escape(detail.name)} <span class="${detail.status}">${detail.status}</span></h1>
<p class="meta">${escape(detail.executionArn)} · started ${detail.startDate?.toISOString() ?? ''} · ${formatDuration(ms)}</p>
${detail.cost ? `<p class="meta">Estimated cost: ${escape(describeRunCost(detail.cost))}</p>` : ''}
${detail.error ? `<p class="FAILED">${escape(detail.error)}: ${escape(detail.cause ?? '')}</p>` : ''}
<h2>Graph</h2><p class="legend"><span class="SUCCEEDED">■ succeeded</span><span class="FAILED">■ failed</span><span class="CAUGHT">■ failed, caught</span><span class="RUNNING">■ running</span><span class="meta">□ not reached</span></p>
<div class="graph">${svg}</div>
<h2>States</h2><table><tr><th>#</th><th>State</th><th>Type</th><th>Status</th><th>At</th><th>Duration</th><th>Input</th><th>Output / error</th></tr>${rows}</table>
<h2>Execution input</h2><pre>${escape(pretty(detail.input))}</pre>${detail.output ? `<h2>Execution output</h2><pre>${escape(pretty(detail.output))}</pre>` : ''}`,
    detail.status === 'RUNNING',
  );
}

export async function startConsole(options: {
  port: number;
  sfn: SFNClient;
  stateMachineArns: string[];
  definitions: (stateMachineArn: string) => string;
}): Promise<ConsoleServer> {
  const send = (res: ServerResponse, status: number, type: string, body: string) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
    res.end(body);
  };
  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const path = new URL(req.url ?? '/', 'http://local').pathname;
    if (path === '/' || path === '/executions')
      return send(res, 200, 'text/html; charset=utf-8', listPage(await listExecutions(options.sfn, options.stateMachineArns)));
    if (path === '/api/executions')
      return send(res, 200, 'application/json', JSON.stringify(await listExecutions(options.sfn, options.stateMachineArns)));
    const detail = /^\/(api\/)?executions\/(.+)$/.exec(path);
    if (detail) {
      const arn = decodeURIComponent(detail[2]!);
      let found: ExecutionDetail;
      try {
        found = await describeExecutionDetail(options.sfn, arn);
      } catch (error) {
        return send(res, 404, 'text/plain; charset=utf-8', `no execution ${arn}: ${(error as Error).message}`);
      }
      if (detail[1]) return send(res, 200, 'application/json', JSON.stringify(found));
      return send(res, 200, 'text/html; charset=utf-8', detailPage(found, options.definitions(found.stateMachineArn)));
    }
    return send(res, 404, 'text/plain; charset=utf-8', 'not found: try /executions');
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, 'text/plain; charset=utf-8', `console error: ${String(error)}`));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new PortInUseError('console', options.port, { cause: error }) : error),
    );
    server.listen(options.port, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}`, stop: () => closeServer(server) };
}
