/**
 * What happens in the local cloud, as one line per step a person cares about: file accepted or
 * ignored, batch n of m files, run started, task running, heartbeat, run finished with its
 * records and time; messages a function took from a queue (and those that failed), and a
 * service scaling out or in. Reads the components' own events plus the Batches and Runs tables.
 */
import type { EventEmitter } from 'node:events';
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { FileArrivalSchema, ExecutionInputSchema } from '../../lib/contracts/messages';
import { pipelines } from '../../lib/registry';
import { TASK_ENV } from '../../lib/contracts/task-contract';
import type { LocalCloud } from './start';
import { formatDuration } from '../console/table';

export interface RunOutcome {
  executionArn: string;
  executionName: string;
  pipeline: string;
  runKey: string;
  status: string;
  durationMs?: number;
  recordsAffected?: number;
  error?: string;
  cause?: string;
}

const SYMBOL = { ok: '✔', info: '•', warn: '!', fail: '✘' } as const;

/** Starts printing progress lines; returns a function that stops it and the finished runs so far. */
export function attachProgress(cloud: LocalCloud, print: (line: string) => void): { detach: () => void; runs: Map<string, RunOutcome> } {
  const registry = pipelines();
  const runs = new Map<string, RunOutcome>();
  const shardOfToken = new Map<string, string>();
  const tables = cloud.resources.tables;
  const batchesTable = Object.entries(tables).find(([id]) => /batch/i.test(id))?.[1];
  const runsTable = Object.entries(tables).find(([id]) => /run/i.test(id))?.[1];
  const stamp = () => new Date().toISOString().slice(11, 23);
  const say = (symbol: keyof typeof SYMBOL, text: string) => print(`${stamp()} ${SYMBOL[symbol]} ${text}`);
  const offs: Array<() => void> = [];
  const on = (emitter: unknown, name: string, listener: (arg: never) => void) => {
    const e = emitter as EventEmitter;
    e.on(name, listener as (...args: unknown[]) => void);
    offs.push(() => e.off(name, listener as (...args: unknown[]) => void));
  };

  on(cloud.wiring.events, 's3', (e: { bucket: string; key: string; size: number; targets: number }) => {
    const match = registry.match(e.bucket, e.key);
    if (e.targets === 0)
      say(
        'warn',
        `upload ${e.key}: ignored, no notification of bucket ${e.bucket} covers it (watched prefixes: ${registry
          .prefixes()
          .map((p) => p.prefix)
          .join(', ')})`,
      );
    else if (!match) say('warn', `upload ${e.key}: ignored, ${registry.explainMiss(e.bucket, e.key, e.bucket).detail}`);
    else say('info', `upload ${e.key} (${e.size} B): accepted for ${match.pipeline}, batch ${match.batchKey}, file "${match.file}"`);
  });
  on(
    cloud.functions.events,
    'result',
    (r: { function: string; event: { Records?: Array<{ kinesis?: { data: string } }> }; error?: { name: string; message: string } }) => {
      if (r.error) {
        say('fail', `${r.function} failed: ${r.error.name}: ${r.error.message}`);
        return;
      }
      const arrivals = (r.event.Records ?? []).flatMap((record) => {
        if (!record.kinesis) return [];
        const parsed = FileArrivalSchema.safeParse(JSON.parse(Buffer.from(record.kinesis.data, 'base64').toString('utf8')));
        return parsed.success ? [parsed.data] : [];
      });
      const seen = new Set<string>();
      for (const arrival of arrivals) {
        const pk = `${arrival.pipeline}#${arrival.batchKey}`;
        if (seen.has(pk) || !batchesTable) continue;
        seen.add(pk);
        void cloud.clients.documents.send(new GetCommand({ TableName: batchesTable, Key: { pk } })).then((out) => {
          const arrived = [...((out.Item?.arrived as Set<string> | undefined) ?? [])];
          const rule = registry.completion(arrival.pipeline);
          if (rule.kind !== 'files') {
            say('info', `batch ${arrival.pipeline}/${arrival.batchKey}: ${arrived.length} files so far (completes by its ${rule.kind})`);
            return;
          }
          const required = registry.requiredFiles(arrival.pipeline);
          const missing = required.filter((f) => !arrived.includes(f));
          say(
            'info',
            `batch ${arrival.pipeline}/${arrival.batchKey}: ${arrived.length} of ${required.length} files${missing.length ? ` (waiting for ${missing.join(', ')})` : ' (complete)'}`,
          );
        });
      }
    },
  );
  on(cloud.stepFunctions.events, 'history', (e: { executionArn: string; event: { type: string } }) => {
    if (e.event.type === 'ExecutionStarted') say('ok', `run started: ${e.executionArn.split(':').at(-1)}`);
  });
  on(
    cloud.ecs.events,
    'taskStateChange',
    (e: {
      detail: {
        lastStatus?: string;
        taskDefinitionArn?: string;
        stoppedReason?: string;
        containers?: Array<{ exitCode?: number }>;
        overrides?: { containerOverrides?: Array<{ environment?: Array<{ name: string; value: string }> }> };
      };
    }) => {
      const env = new Map(
        (e.detail.overrides?.containerOverrides ?? []).flatMap((o) => o.environment ?? []).map((kv) => [kv.name, kv.value] as const),
      );
      const shard = env.has(TASK_ENV.SHARD_INDEX)
        ? ` shard ${Number(env.get(TASK_ENV.SHARD_INDEX)) + 1} of ${env.get(TASK_ENV.SHARD_COUNT)}`
        : '';
      const group = (e.detail as { group?: string }).group;
      const who = `${env.get(TASK_ENV.PIPELINE) ?? (group?.startsWith('service:') ? group : e.detail.taskDefinitionArn?.split('/').at(-1))}${shard}`;
      const token = env.get(TASK_ENV.TASK_TOKEN);
      if (token) shardOfToken.set(token, who);
      if (e.detail.lastStatus === 'RUNNING') say('info', `task running: ${who}`);
      if (e.detail.lastStatus === 'STOPPED') {
        const exit = e.detail.containers?.[0]?.exitCode;
        say(
          exit === 0 ? 'info' : 'warn',
          `task stopped: ${who}, exit code ${exit ?? 'none'}${e.detail.stoppedReason ? ` (${e.detail.stoppedReason})` : ''}`,
        );
      }
    },
  );
  on(
    cloud.wiring.events,
    'sqsBatch',
    (b: { function: string; queueArn: string; records: number; failed: number; outcome: string; error?: string }) => {
      const queue = b.queueArn.split(':').at(-1);
      if (b.outcome === 'ok') say('info', `${b.function}: handled ${b.records} message(s) from ${queue}`);
      else if (b.outcome === 'poll-error') say('fail', `${b.function}: cannot receive from ${queue}: ${b.error ?? ''}`);
      else
        say(
          'warn',
          `${b.function}: ${b.failed} of ${b.records} message(s) from ${queue} failed (${b.error ?? ''}); they come back after the visibility timeout`,
        );
    },
  );
  on(
    cloud.autoscaling.events,
    'decision',
    (d: { serviceName: string; action: string; desired: number; visible: number; target: number; busy?: number }) => {
      if (d.action !== 'hold')
        say(
          'info',
          d.action === 'burst-in'
            ? `service ${d.serviceName}: ${d.action} to ${d.desired} task(s) (busy slots ${(d.busy ?? 0).toFixed(2)})`
            : `service ${d.serviceName}: ${d.action} to ${d.desired} task(s) (backlog ${d.visible}, target ${d.target.toFixed(1)} per task)`,
        );
    },
  );
  on(cloud.stepFunctions.events, 'heartbeat', (e: { taskToken: string }) =>
    say('info', `heartbeat: ${shardOfToken.get(e.taskToken) ?? 'task'}`),
  );
  on(cloud.monitoring.sns, 'message', (n: { topicName: string; subject?: string; message: string; publisher?: string }) =>
    say('warn', `notice on ${n.topicName}${n.publisher ? ` from ${n.publisher}` : ''}: ${n.subject ?? n.message.slice(0, 120)}`),
  );
  on(
    cloud.stepFunctions.events,
    'executionClosed',
    (record: {
      executionArn: string;
      name: string;
      status: string;
      input: string;
      startDate: Date;
      stopDate?: Date;
      error?: string;
      cause?: string;
    }) => {
      const input = ExecutionInputSchema.safeParse(JSON.parse(record.input));
      const runKey = input.success ? input.data.runKey : record.name;
      const outcome: RunOutcome = {
        executionArn: record.executionArn,
        executionName: record.name,
        pipeline: input.success ? input.data.pipeline : '?',
        runKey,
        status: record.status,
        durationMs: (record.stopDate ?? new Date()).getTime() - record.startDate.getTime(),
        ...(record.error ? { error: record.error } : {}),
        ...(record.cause ? { cause: record.cause } : {}),
      };
      const report = () => {
        runs.set(record.executionArn, outcome);
        if (outcome.status === 'SUCCEEDED')
          say('ok', `run ${runKey} succeeded: ${outcome.recordsAffected ?? '?'} records in ${formatDuration(outcome.durationMs)}`);
        else say('fail', `run ${runKey} ${outcome.status}: ${outcome.error ?? ''} ${(outcome.cause ?? '').slice(0, 200)}`);
      };
      if (!runsTable) return report();
      void cloud.clients.documents
        .send(new GetCommand({ TableName: runsTable, Key: { pk: runKey } }))
        .then((out) => {
          const result = out.Item?.result as { recordsAffected?: number } | undefined;
          if (typeof result?.recordsAffected === 'number') outcome.recordsAffected = result.recordsAffected;
        })
        .finally(report);
    },
  );
  return { detach: () => offs.forEach((off) => off()), runs };
}
