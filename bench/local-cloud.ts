/**
 * Local cloud benchmark: start-up time, and upload-to-RunTask latency over N batches
 * (BENCH_BATCHES, default 100) with the time spent in each hop:
 *   put      PutObject sent → s3rver's object-created event
 *   notify   S3 event → watcher invocation starts (async invoke)
 *   watcher  watcher runs (PutRecords to Kinesis)
 *   stream   watcher done → fan-in invoked (GetRecords polling + batching window)
 *   fan-in   fan-in invoked → execution started (Batches write, run lock, StartExecution)
 *   sfn      execution started → ECS RunTask (states before the task)
 * One inventory-snapshot file is a whole batch, so each upload is one run. Tasks run `true`
 * (the container's work is not part of this path). Two passes: the template's batching window,
 * and a window of 0, to separate the configured wait from the local cloud's own cost.
 * Run: node scripts/run-ts.mjs bench/local-cloud.ts
 */
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { resolve } from 'node:path';
import { FileArrivalSchema } from '../lib/contracts/messages';
import { startLocalCloud, type LocalCloud } from '../local/cloud/start';
import { uploadsBucket } from '../local/scenarios/demo/demo';

const root = resolve(__dirname, '..');
const N = Number(process.env.BENCH_BATCHES ?? 100);
const HOPS = ['put', 'notify', 'watcher', 'stream', 'fan-in', 'sfn'] as const;

interface Marks {
  sent?: number;
  s3?: number;
  watcherStart?: number;
  watcherEnd?: number;
  fanIn?: number;
  started?: number;
  runTask?: number;
}

const pct = (values: number[], p: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
};

async function pass(cloud: LocalCloud, label: string, offset: number) {
  const marks = new Map<string, Marks>();
  const mark = (key: string, name: keyof Marks) => {
    const m = marks.get(key) ?? {};
    m[name] ??= performance.now();
    marks.set(key, m);
  };
  const keyOfBatch = (date: string) => `incoming/inventory/bench/snapshot-${date}.csv`;
  // inventory-snapshot's batch key is `<region>_<date>` (its pattern's captures in order).
  const dateOf = (batchKey: string) => batchKey.split(/[#_]/).at(-1)!;
  cloud.wiring.events.on('s3', (e) => mark(e.key, 's3'));
  cloud.functions.events.on(
    'invoke',
    (i: { function: string; event: { Records?: Array<{ s3?: { object: { key: string } }; kinesis?: { data: string } }> } }) => {
      for (const r of i.event.Records ?? []) {
        if (r.s3) mark(decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')), 'watcherStart');
        if (r.kinesis) {
          const arrival = FileArrivalSchema.safeParse(JSON.parse(Buffer.from(r.kinesis.data, 'base64').toString('utf8')));
          if (arrival.success) mark(arrival.data.key, 'fanIn');
        }
      }
    },
  );
  cloud.functions.events.on('result', (i: { event: { Records?: Array<{ s3?: { object: { key: string } } }> } }) => {
    for (const r of i.event.Records ?? []) if (r.s3) mark(decodeURIComponent(r.s3.object.key.replace(/\+/g, ' ')), 'watcherEnd');
  });
  cloud.stepFunctions.events.on('history', (e) => {
    if (e.event.type !== 'ExecutionStarted') return;
    const input = JSON.parse(
      String((e.event as { executionStartedEventDetails?: { input?: string } }).executionStartedEventDetails?.input ?? '{}'),
    ) as { batchKey?: string };
    if (input.batchKey) mark(keyOfBatch(dateOf(input.batchKey)), 'started');
  });
  cloud.ecs.events.on('taskStateChange', (e) => {
    const env = (
      (e.detail as { overrides?: { containerOverrides?: Array<{ environment?: Array<{ name: string; value: string }> }> } }).overrides
        ?.containerOverrides ?? []
    ).flatMap((o) => o.environment ?? []);
    const batchKey = env.find((kv) => kv.name === 'BATCH_KEY')?.value;
    if (batchKey) mark(keyOfBatch(dateOf(batchKey)), 'runTask');
  });
  const bucket = uploadsBucket(cloud);
  for (let i = 0; i < N; i++) {
    const date = new Date(Date.UTC(2020, 0, 1) + (offset + i) * 86_400_000).toISOString().slice(0, 10);
    const key = keyOfBatch(date);
    cloud.ecs.injectTaskCommand(['true']);
    cloud.ecs.injectTaskCommand(['true']);
    mark(key, 'sent');
    await cloud.clients.s3.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: `sku,region,warehouse,quantity,unit_cost,counted_at\nA1,bench,w1,1,1.00,${date}\n`,
      }),
    );
    const deadline = Date.now() + 30_000;
    while (marks.get(key)?.runTask === undefined && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
  }
  const complete = [...marks.values()].filter((m) => m.sent !== undefined && m.runTask !== undefined);
  const total = complete.map((m) => m.runTask! - m.sent!);
  const hop = (m: Marks, h: (typeof HOPS)[number]) =>
    ({
      put: m.s3! - m.sent!,
      notify: m.watcherStart! - m.s3!,
      watcher: m.watcherEnd! - m.watcherStart!,
      stream: m.fanIn! - m.watcherEnd!,
      'fan-in': m.started! - m.fanIn!,
      sfn: m.runTask! - m.started!,
    })[h];
  const rows = HOPS.map((h) => {
    const values = complete.map((m) => hop(m, h)).filter((v) => Number.isFinite(v));
    return `| ${h} | ${pct(values, 50).toFixed(1)} | ${pct(values, 95).toFixed(1)} |`;
  });
  return [
    `#### ${label}: ${complete.length} of ${N} batches reached RunTask`,
    '',
    `upload-to-RunTask: median ${pct(total, 50).toFixed(1)} ms, p95 ${pct(total, 95).toFixed(1)} ms`,
    '',
    '| hop | median ms | p95 ms |',
    '| --- | ---: | ---: |',
    ...rows,
    '',
  ].join('\n');
}

async function main() {
  const out: string[] = [];
  // Warm the package cache first: start-up is measured as a developer sees it on the second run.
  const warm = await startLocalCloud({ root, portBase: 0 });
  await warm.stop();
  const startups: number[] = [];
  for (let i = 0; i < 3; i++) {
    const c = await startLocalCloud({ root, portBase: 0 });
    startups.push(c.startupMs);
    if (i < 2) await c.stop();
    else {
      out.push(
        `Start-up (package cached): ${startups.join(' / ')} ms over 3 starts; last by step: ${Object.entries(c.timings)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ')} ms`,
        '',
      );
      out.push(await pass(c, 'batching window from the template', 0));
      await c.stop();
    }
  }
  const fast = await startLocalCloud({ root, portBase: 0, timing: { batchWindowMs: 0, pollIntervalMs: 100 } });
  out.push(await pass(fast, "batching window 0 (the local cloud's own cost)", 10_000));
  await fast.stop();
  console.log(out.join('\n'));
}

main().then(
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
