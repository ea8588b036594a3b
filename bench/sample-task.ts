/**
 * The sample pipeline task's throughput and memory: a generated orders-daily batch
 * (customers + orders, 1,000 customers over 30 days, ~0.1 % bad rows) at two sizes, run as
 * ECS runs it (`node dist/task.js`, sync launch) against s3rver and the PGlite warehouse.
 * Streaming shows as a peak RSS that stays flat while the input grows 5x: memory follows
 * the aggregate groups (<= 30,000 day x customer rows), not the rows read.
 *
 * Reports per size the median of RUNS runs: rows read per second over the whole task
 * (S3 read, parse, validate, join, aggregate, rejects upload, warehouse load), step timings,
 * and the task's own peak RSS (from its final log line, process.resourceUsage().maxRSS).
 *
 * Run: node scripts/run-ts.mjs bench/sample-task.ts   (SIZES=200000,1000000 RUNS=3 to change)
 */
import { execFile, execFileSync } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { cpus, freemem, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import type { BatchObject } from '../lib/contracts/messages';
import { startS3rver, type S3Emulator } from '../tests/helpers/s3rver';

const ROOT = join(__dirname, '..');
const SIZES = (process.env.SIZES ?? '200000,1000000').split(',').map(Number);
const RUNS = Number(process.env.RUNS ?? 3);
const CUSTOMERS = 1_000;
const DAYS = 30;

/** Deterministic pseudo-random numbers (mulberry32), so every run reads the same data. */
function random(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function writeLines(path: string, header: string, count: number, line: (i: number) => string): Promise<void> {
  const out = createWriteStream(path);
  out.write(`${header}\n`);
  for (let i = 0; i < count; i += 1) {
    if (!out.write(`${line(i)}\n`)) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

async function uploadFile(s3: S3Emulator, path: string, key: string, file: string): Promise<BatchObject> {
  const { size } = await stat(path);
  await s3.client.send(new PutObjectCommand({ Bucket: s3.bucket, Key: key, Body: createReadStream(path), ContentLength: size }));
  return { file, bucket: s3.bucket, key, size, etag: `"${key}"` };
}

async function generate(s3: S3Emulator, dir: string, rows: number): Promise<BatchObject[]> {
  const rand = random(rows);
  const customersPath = join(dir, `customers-${rows}.csv`);
  const ordersPath = join(dir, `orders-${rows}.csv`);
  await writeLines(
    customersPath,
    'customer_id,name,country',
    CUSTOMERS,
    (i) => `C${i},"Customer ${i}, Ltd",${['GB', 'DE', 'FR', 'US'][i % 4]}`,
  );
  await writeLines(ordersPath, 'order_id,customer_id,ordered_at,amount,note', rows, (i) => {
    const day = String(1 + Math.floor(rand() * DAYS)).padStart(2, '0');
    const customer = Math.floor(rand() * CUSTOMERS);
    const amount = (rand() * 500).toFixed(2);
    // ~0.1 % bad dates, to exercise the rejects path.
    return i % 1000 === 999
      ? `O${i},C${customer},2026-11-31,${amount},`
      : `O${i},C${customer},2026-11-${day}T10:00:00Z,${amount},"note ${i}"`;
  });
  return [
    await uploadFile(s3, customersPath, `incoming/acme/customers-bench-${rows}.csv`, 'customers'),
    await uploadFile(s3, ordersPath, `incoming/acme/orders-bench-${rows}.csv`, 'orders'),
  ];
}

interface Measured {
  rowsRead: number;
  durationMs: number;
  peakRssBytes: number;
  timings: { extract: number; transform: number; load: number };
  recordsAffected: number;
}

async function runTask(s3: S3Emulator, objects: BatchObject[], rows: number, dataDir: string): Promise<Measured> {
  const env = {
    ...s3.env,
    PIPELINE: 'orders-daily',
    RUN_KEY: `orders-daily#bench-${rows}`,
    BATCH_KEY: `bench-${rows}`,
    TRIGGER: 's3',
    EXECUTION_ARN: 'arn:aws:states:us-east-1:123456789012:execution:pipeline:bench',
    STAGE: 'bench',
    SHARD_INDEX: '0',
    SHARD_COUNT: '1',
    OBJECTS: JSON.stringify(objects),
    LAUNCH: 'sync',
    WAREHOUSE: 'pglite',
    WAREHOUSE_DIR: dataDir,
  };
  const { stdout } = await promisify(execFile)(process.execPath, ['dist/task.js'], {
    cwd: join(ROOT, 'container'),
    env,
    maxBuffer: 64 * 1024 * 1024,
  });
  const final = stdout
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as Record<string, any>)
    .find((l) => l.message === 'task finished');
  if (final?.exitCode !== 0) throw new Error(`task failed: ${JSON.stringify(final)}`);
  return {
    rowsRead: final.details.rowsRead,
    durationMs: final.durationMs,
    peakRssBytes: final.peakRssBytes,
    timings: final.result.timings,
    recordsAffected: final.result.recordsAffected,
  };
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

async function main() {
  execFileSync(process.execPath, [join(ROOT, 'container/build.mjs')], { stdio: 'inherit' });
  const s3 = await startS3rver();
  const dir = await mkdtemp(join(tmpdir(), 'bench-sample-'));
  const dataDir = join(dir, 'warehouse');
  try {
    console.log(
      `machine: ${cpus().length} cpus (${cpus()[0]?.model}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB RAM (${(freemem() / 2 ** 30).toFixed(1)} free), node ${process.version}`,
    );
    console.log(
      '| rows read | runs | rows/s (median) | task s | extract s | transform s | load s | peak RSS MiB (median, max) | rows loaded |',
    );
    console.log('| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
    // One warm-up so PGlite's first initdb is not counted.
    const small = await generate(s3, dir, 1_000);
    await runTask(s3, small, 1_000, dataDir);
    for (const rows of SIZES) {
      const objects = await generate(s3, dir, rows);
      const runs: Measured[] = [];
      for (let i = 0; i < RUNS; i += 1) runs.push(await runTask(s3, objects, rows, dataDir));
      const rate = median(runs.map((r) => r.rowsRead / (r.durationMs / 1000)));
      const rss = runs.map((r) => r.peakRssBytes / 2 ** 20);
      const s = (ms: number) => (ms / 1000).toFixed(1);
      console.log(
        `| ${runs[0]!.rowsRead.toLocaleString('en-US')} | ${RUNS} | ${Math.round(rate).toLocaleString('en-US')} | ${s(median(runs.map((r) => r.durationMs)))} | ${s(median(runs.map((r) => r.timings.extract)))} | ${s(median(runs.map((r) => r.timings.transform)))} | ${s(median(runs.map((r) => r.timings.load)))} | ${median(rss).toFixed(0)}, ${Math.max(...rss).toFixed(0)} | ${runs[0]!.recordsAffected.toLocaleString('en-US')} |`,
      );
    }
  } finally {
    await s3.stop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
