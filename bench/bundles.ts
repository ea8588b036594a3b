/**
 * Per function: minified bundle size and cold init time, beside the floor of what it
 * cannot do without (its AWS SDK clients bundled alone).
 *
 * Cold init = a fresh node process requiring the bundle and making its first handler
 * call with an event that needs no AWS call, until that call returns (performance.now()
 * counts from process start). Median of RUNS processes. Goal: each function within
 * 1.25x of its floor on both.
 *
 * Run: npm run bench:bundles
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { buildSync, type BuildOptions } from 'esbuild';
import { parse } from 'yaml';

const root = resolve(__dirname, '..');
const RUNS = Number(process.env.RUNS ?? 11);
const out = mkdtempSync(join(tmpdir(), 'bench-bundles-'));

// The same options serverless-esbuild uses for the deployed bundle (serverless.yml custom.esbuild).
const common: BuildOptions = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  loader: { '.yml': 'text' },
  metafile: true,
  write: true,
  logLevel: 'silent',
};

/** Events that exercise the handler's cold path without any AWS call. */
const probeEvents: Record<string, unknown> = {
  s3UploadWatcher: { Records: [{ eventSource: 'aws:s3', eventName: 's3:TestEvent' }] },
  kinesisFanIn: { Records: [] },
};

interface Row { fn: string; bytes: number; floorBytes: number; initMs: number; floorInitMs: number; clients: string[] }

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

function coldInit(script: string, env: NodeJS.ProcessEnv): number {
  const samples: number[] = [];
  for (let i = 0; i < RUNS; i += 1) {
    const outText = execFileSync(process.execPath, ['-e', script], { env: { ...process.env, ...env }, encoding: 'utf8' });
    samples.push(Number(outText.trim().split('\n').pop()));
  }
  return median(samples);
}

const functionFiles = ['functions/ingest.yml', 'functions/runs.yml', 'functions/notifier.yml', 'functions/queue-services.yml', 'functions/operations.yml'];
const functions: Array<[string, string]> = [];
for (const file of functionFiles) {
  let doc: Record<string, { handler: string }> | undefined;
  try {
    doc = parse(readFileSync(join(root, file), 'utf8'), { customTags: [{ tag: '!GetAtt', resolve: (v: string) => v }, { tag: '!Ref', resolve: (v: string) => v }, { tag: '!Sub', resolve: (v: string) => v }, { tag: '!If', collection: 'seq', resolve: (v: unknown) => v }] as never });
  } catch {
    continue;
  }
  for (const [name, def] of Object.entries(doc ?? {})) if (def?.handler) functions.push([name, def.handler.replace(/\.handler$/, '.ts')]);
}

const env = {
  AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'x', AWS_SECRET_ACCESS_KEY: 'x',
  STAGE: 'bench', SERVICE: 'ecs-pipelines', STREAM_NAME: 's', UPLOADS_BUCKET: 'b', BATCHES_TABLE: 'b', RUNS_TABLE: 'r',
  STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:123456789012:stateMachine:x', RUN_LEASE_SECONDS: '60', BATCH_TTL_DAYS: '30',
  POWERTOOLS_LOG_LEVEL: 'SILENT', POWERTOOLS_METRICS_DISABLED: 'true',
};

const rows: Row[] = [];
for (const [fn, entry] of functions) {
  const outfile = join(out, `${fn}.js`);
  const result = buildSync({ ...common, entryPoints: [join(root, entry)], outfile });
  const clients = [...new Set(Object.keys(result.metafile!.inputs).map((p) => /node_modules\/(@aws-sdk\/client-[a-z0-9-]+)\//.exec(p)?.[1]).filter((c): c is string => Boolean(c)))].sort();
  // The floor: only the SDK clients, constructed once.
  const floorEntry = join(out, `${fn}.floor.ts`);
  writeFileSync(
    floorEntry,
    clients.map((c, i) => `import * as c${i} from '${c}';`).join('\n') +
      `\nexport const handler = async () => [${clients.map((_, i) => `new (Object.values(c${i}).find((v: any) => typeof v === 'function' && /Client$/.test(v.name) && v.name !== 'Client') as any)({})`).join(', ')}];\n`,
  );
  const floorOut = join(out, `${fn}.floor.js`);
  buildSync({ ...common, entryPoints: [floorEntry], outfile: floorOut, nodePaths: [join(root, 'node_modules')] });
  const event = JSON.stringify(probeEvents[fn] ?? {});
  const probe = (file: string) =>
    `const h=require(${JSON.stringify(file)}).handler;Promise.resolve(h(${event},{functionName:'bench',awsRequestId:'1',getRemainingTimeInMillis:()=>1000})).catch(()=>{}).then(()=>console.log(performance.now()))`;
  rows.push({
    fn,
    clients,
    bytes: readFileSync(outfile).length,
    floorBytes: readFileSync(floorOut).length,
    initMs: coldInit(probe(outfile), env),
    floorInitMs: coldInit(probe(floorOut), env),
  });
}

const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
console.log(`| function | SDK clients | bundle | floor | ratio | cold init (median of ${RUNS}) | floor init | ratio |`);
console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
for (const r of rows) {
  console.log(
    `| ${r.fn} | ${r.clients.map((c) => c.replace('@aws-sdk/client-', '')).join(', ') || '-'} | ${kb(r.bytes)} | ${kb(r.floorBytes)} | ${(r.bytes / Math.max(r.floorBytes, 1)).toFixed(2)}x | ${r.initMs.toFixed(0)} ms | ${r.floorInitMs.toFixed(0)} ms | ${(r.initMs / Math.max(r.floorInitMs, 1)).toFixed(2)}x |`,
  );
}
