/**
 * The local console, served by the local cloud:
 *   /executions                 executions, newest first, filtered by pipeline, status and start time
 *   /executions/<arn>           timeline of states and shards, a detail panel per state (full
 *                               input, output, error, cause; a shard's ECS task and its log),
 *                               stop and redrive, links to the run, its files and tasks, the graph
 *   /notifications, /alarms     messages on the stack's topics; alarm states
 *   /runs/<runKey>, /tasks/<arn>, /s3/<bucket>/<key>   a run's logs, a task, an object
 *   /api/...                    the same as JSON
 * Executions are read, stopped and redriven through the Step Functions API, as an SDK client
 * would; the timeline reads the local history, which says which Map iteration an event is of.
 */
import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandOutput,
  GetExecutionHistoryCommand,
  ListExecutionsCommand,
  RedriveExecutionCommand,
  StopExecutionCommand,
  type HistoryEvent,
  type SFNClient,
} from '@aws-sdk/client-sfn';
import * as z from 'zod';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { closeServer, listen } from '../emulators/data-services';
import { renderGraphSvg } from './graph';
import { describeRunCost } from '../../lib/shared/notices/run-notice';
import { executionView, runCostOf, type ExecutionView, type RunCostView, type StateStatus } from './history';
import {
  alarmsPage,
  executionPage,
  listPage,
  notificationsPage,
  objectPage,
  runPage,
  taskPage,
  type ExecutionPageModel,
  type ListedExecution,
  type ListFilters,
} from './pages';
import { buildTimeline } from './timeline';
import type { HistoryEvent as LocalHistoryEvent } from '../emulators/stepfunctions';
import type { LocalTask } from '../emulators/ecs';
import type { RunLogs } from '../cloud/run-logs';
import type { PublishedMessage } from '../emulators/sns/local-sns';
import type { AlarmStatus } from '../emulators/cloudwatch/alarms';

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

/** What DescribeExecution tells of an execution's times, input, output and failure, the fields it has. */
function executionOutcome(d: DescribeExecutionCommandOutput) {
  return {
    ...(d.startDate ? { startDate: d.startDate } : {}),
    ...(d.stopDate ? { stopDate: d.stopDate } : {}),
    ...(d.input !== undefined ? { input: d.input } : {}),
    ...(d.output !== undefined ? { output: d.output } : {}),
    ...(d.error !== undefined ? { error: d.error } : {}),
    ...(d.cause !== undefined ? { cause: d.cause } : {}),
  };
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
    ...executionOutcome(d),
    view,
    ...(cost ? { cost } : {}),
  };
}

export interface ConsoleOptions {
  port: number;
  sfn: SFNClient;
  stateMachineArns: string[];
  definitions: (stateMachineArn: string) => string;
  /** The local history (its events say which Map iteration they belong to): for the timeline. */
  history?: (executionArn: string) => LocalHistoryEvent[];
  /** Container and function logs per run and task (local/cloud/run-logs.ts). */
  logs?: RunLogs;
  /** The executions whose input names this run key. */
  executionsOfRun?: (runKey: string) => string[];
  /** Messages published to the stack's topics (the local SNS). */
  notices?: () => PublishedMessage[];
  /** The stack's alarms and their states (the local CloudWatch). */
  alarms?: () => AlarmStatus[];
  /** One task of the local ECS. */
  task?: (taskArn: string) => LocalTask | undefined;
  /** The Runs table item of a run. */
  runItem?: (runKey: string) => Promise<Record<string, unknown> | undefined>;
  /** Reads an object of the local S3 (at most `limit` bytes). */
  readObject?: (bucket: string, key: string, limit: number) => Promise<{ body: string; truncated: boolean } | undefined>;
}

const ExecutionInputShape = z.looseObject({
  pipeline: z.string().optional(),
  runKey: z.string().optional(),
  trigger: z.string().optional(),
  objects: z.array(z.looseObject({ bucket: z.string(), key: z.string(), file: z.string().optional() })).optional(),
});

function inputFacts(input: string | undefined): {
  pipeline?: string;
  runKey?: string;
  trigger?: string;
  objects: Array<{ bucket: string; key: string; file?: string }>;
} {
  try {
    const parsed = ExecutionInputShape.safeParse(JSON.parse(input ?? '{}'));
    if (!parsed.success) return { objects: [] };
    return {
      ...(parsed.data.pipeline ? { pipeline: parsed.data.pipeline } : {}),
      ...(parsed.data.runKey ? { runKey: parsed.data.runKey } : {}),
      ...(parsed.data.trigger ? { trigger: triggerLabel(parsed.data.trigger) } : {}),
      objects: (parsed.data.objects ?? []).map((o) => ({ bucket: o.bucket, key: o.key, ...(o.file ? { file: o.file } : {}) })),
    };
  } catch {
    return { objects: [] };
  }
}

/** What started a run, as people say it: `s3` runs are the runs of a batch of files. */
export const triggerLabel = (trigger: string): string => (trigger === 's3' ? 'files' : trigger);

const SHARD_INDEX = 'SHARD_INDEX';
const shardOf = (task: LocalTask) => {
  const value = task.overrides.containerOverrides.flatMap((o) => o.environment ?? []).find((kv) => kv.name === SHARD_INDEX)?.value;
  return value === undefined ? undefined : Number(value);
};

export async function startConsole(options: ConsoleOptions): Promise<ConsoleServer> {
  const send = (res: ServerResponse, status: number, type: string, body: string, headers: Record<string, string> = {}) => {
    res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store', ...headers });
    res.end(body);
  };
  const html = (res: ServerResponse, body: string, status = 200) => send(res, status, 'text/html; charset=utf-8', body);
  const json = (res: ServerResponse, body: unknown, status = 200) => send(res, status, 'application/json', JSON.stringify(body));

  /** Executions with what their input says (pipeline, run key), newest first. */
  const listed = async (): Promise<ListedExecution[]> =>
    Promise.all(
      (await listExecutions(options.sfn, options.stateMachineArns)).map(async (e) => {
        const d = await options.sfn.send(new DescribeExecutionCommand({ executionArn: e.executionArn }));
        const facts = inputFacts(d.input);
        return {
          ...e,
          ...(facts.pipeline ? { pipeline: facts.pipeline } : {}),
          ...(facts.runKey ? { runKey: facts.runKey } : {}),
          ...(facts.trigger ? { trigger: facts.trigger } : {}),
          redriveCount: d.redriveCount ?? 0,
        };
      }),
    );

  const executionModel = async (arn: string, flash?: string): Promise<ExecutionPageModel> => {
    const d = await options.sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    const events = options.history?.(arn) ?? [];
    const timeline = buildTimeline(events, d.status!, d.stopDate);
    const last = new Map<string, StateStatus>();
    for (const bar of timeline.bars.values()) last.set(bar.name, bar.status);
    const path: string[] = [];
    for (const bar of timeline.bars.values()) if (!path.includes(bar.name)) path.push(bar.name);
    const facts = inputFacts(d.input);
    const tasks = facts.runKey && options.logs ? options.logs.tasksOfRun(facts.runKey) : [];
    const { cost } = await describeExecutionDetail(options.sfn, arn);
    return {
      ...(cost ? { costText: describeRunCost(cost) } : {}),
      executionArn: arn,
      name: d.name!,
      status: d.status!,
      ...executionOutcome(d),
      redriveCount: d.redriveCount ?? 0,
      redrivable: d.redriveStatus === 'REDRIVABLE',
      ...(facts.pipeline ? { pipeline: facts.pipeline } : {}),
      ...(facts.runKey ? { runKey: facts.runKey } : {}),
      ...(facts.trigger ? { trigger: facts.trigger } : {}),
      objects: facts.objects,
      timeline,
      graphSvg: renderGraphSvg(options.definitions(d.stateMachineArn!), (name) => last.get(name), path),
      // A shard's task: started while its state was open (a retry's task is another one).
      tasksOf: (bar) =>
        tasks
          .filter(
            (t) =>
              shardOf(t) === bar.iteration &&
              t.createdAt.getTime() >= bar.start - 1000 &&
              t.createdAt.getTime() <= (bar.end ?? Date.now()) + 1000,
          )
          .map((task) => ({ task, lines: options.logs!.ofTask(task.taskArn) })),
      ...(flash ? { flash } : {}),
    };
  };

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://local');
    const path = url.pathname;
    const action = /^\/executions\/(.+)\/(stop|redrive)$/.exec(path);
    if (req.method === 'POST' && action) {
      const arn = decodeURIComponent(action[1]!);
      let flash: string;
      try {
        if (action[2] === 'stop') {
          await options.sfn.send(
            new StopExecutionCommand({ executionArn: arn, error: 'StoppedFromConsole', cause: 'Stopped from the local console' }),
          );
          flash = 'Stop requested: the execution is ABORTED and its running ECS tasks are stopped.';
        } else {
          await options.sfn.send(new RedriveExecutionCommand({ executionArn: arn }));
          flash = 'Redriven: the execution continues from the state that did not finish.';
        }
      } catch (error) {
        flash = `${action[2] === 'stop' ? 'Stop' : 'Redrive'} refused: ${(error as Error).name}: ${(error as Error).message}`;
      }
      return send(res, 303, 'text/plain', '', { location: `/executions/${encodeURIComponent(arn)}?flash=${encodeURIComponent(flash)}` });
    }
    if (req.method !== 'GET' && req.method !== 'HEAD')
      return send(res, 405, 'text/plain; charset=utf-8', `${req.method} is not supported here`);
    if (path === '/' || path === '/executions') {
      const all = await listed();
      const since = Number(url.searchParams.get('since') ?? '');
      const filters: ListFilters = {
        ...(url.searchParams.get('pipeline') ? { pipeline: url.searchParams.get('pipeline')! } : {}),
        ...(url.searchParams.get('status') ? { status: url.searchParams.get('status')! } : {}),
        ...(Number.isFinite(since) && since > 0 ? { sinceMinutes: since } : {}),
      };
      const from = filters.sinceMinutes ? Date.now() - filters.sinceMinutes * 60_000 : 0;
      const shown = all.filter(
        (e) =>
          (!filters.pipeline || e.pipeline === filters.pipeline) &&
          (!filters.status || e.status === filters.status) &&
          (e.startDate?.getTime() ?? 0) >= from,
      );
      const pipelines = [...new Set(all.map((e) => e.pipeline).filter((p): p is string => Boolean(p)))].sort();
      return html(res, listPage(shown, filters, pipelines));
    }
    if (path === '/api/executions') return json(res, await listExecutions(options.sfn, options.stateMachineArns));
    if (path === '/notifications') return html(res, notificationsPage(options.notices?.() ?? []));
    if (path === '/alarms') return html(res, alarmsPage(options.alarms?.() ?? []));
    if (path === '/api/notifications') return json(res, options.notices?.() ?? []);
    if (path === '/api/alarms') return json(res, options.alarms?.() ?? []);
    const runLogs = /^\/api\/runs\/(.+)\/logs$/.exec(path);
    if (runLogs && options.logs) {
      const runKey = decodeURIComponent(runLogs[1]!);
      const executions = options.executionsOfRun?.(runKey) ?? [];
      const lines = options.logs.ofRun(runKey, executions);
      return json(
        res,
        { runKey, executions, tasks: options.logs.tasksOfRun(runKey).map((t) => t.taskArn), lines },
        executions.length || lines.length ? 200 : 404,
      );
    }
    const run = /^\/runs\/(.+)$/.exec(path);
    if (run && options.logs) {
      const runKey = decodeURIComponent(run[1]!);
      const arns = options.executionsOfRun?.(runKey) ?? [];
      return html(
        res,
        runPage(
          runKey,
          arns.map((arn) => ({ arn, name: arn.split(':').at(-1)! })),
          options.logs.ofRun(runKey, arns),
          await options.runItem?.(runKey),
        ),
      );
    }
    const taskLogs = /^\/api\/tasks\/(.+)\/logs$/.exec(path);
    if (taskLogs && options.logs)
      return json(res, { taskArn: decodeURIComponent(taskLogs[1]!), lines: options.logs.ofTask(decodeURIComponent(taskLogs[1]!)) });
    const task = /^\/tasks\/(.+)$/.exec(path);
    if (task && options.task && options.logs) {
      const found = options.task(decodeURIComponent(task[1]!));
      if (!found) return send(res, 404, 'text/plain; charset=utf-8', `no task ${decodeURIComponent(task[1]!)} on the local ECS`);
      return html(res, taskPage(found, options.logs.ofTask(found.taskArn)));
    }
    const object = /^\/s3\/([^/]+)\/(.+)$/.exec(path);
    if (object && options.readObject) {
      const read = await options.readObject(decodeURIComponent(object[1]!), decodeURIComponent(object[2]!), 1024 * 1024);
      if (!read)
        return send(
          res,
          404,
          'text/plain; charset=utf-8',
          `no object s3://${decodeURIComponent(object[1]!)}/${decodeURIComponent(object[2]!)} in the local S3`,
        );
      return html(res, objectPage(decodeURIComponent(object[1]!), decodeURIComponent(object[2]!), read.body, read.truncated));
    }
    const detail = /^\/(api\/)?executions\/(.+)$/.exec(path);
    if (detail) {
      const arn = decodeURIComponent(detail[2]!);
      if (detail[1]) {
        try {
          return json(res, await describeExecutionDetail(options.sfn, arn));
        } catch (error) {
          return send(res, 404, 'text/plain; charset=utf-8', `no execution ${arn}: ${(error as Error).message}`);
        }
      }
      let model: ExecutionPageModel;
      try {
        model = await executionModel(arn, url.searchParams.get('flash') ?? undefined);
      } catch (error) {
        return send(res, 404, 'text/plain; charset=utf-8', `no execution ${arn}: ${(error as Error).message}`);
      }
      return html(res, executionPage(model));
    }
    return send(res, 404, 'text/plain; charset=utf-8', 'not found: try /executions');
  };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => send(res, 500, 'text/plain; charset=utf-8', `console error: ${String(error)}`));
  });
  const port = await listen(server, 'console', options.port);
  return { url: `http://127.0.0.1:${port}`, stop: () => closeServer(server) };
}
