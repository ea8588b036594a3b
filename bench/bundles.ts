/**
 * Per function: minified bundle size and cold init time, beside the floor of what it
 * cannot do without (its AWS SDK clients bundled alone).
 *
 * Cold init = a fresh node process requiring the bundle and making its first handler
 * call with an event that needs no AWS call, until that call returns (performance.now()
 * counts from process start). Median of RUNS processes each, the function's and its
 * floor's taken in turns. Goal: each function within 1.25x of its floor on both.
 *
 * Run: npm run bench:bundles (RUNS=21 for more samples, FUNCTIONS=a,b for some functions only)
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build, type BuildOptions, type Plugin } from 'esbuild';
import { parse } from 'yaml';
const esbuildPlugins = require('../scripts/esbuild-plugins.cjs') as Plugin[];
import { ENV } from '../lib/shared/config.js';

const root = resolve(__dirname, '..');
const RUNS = Number(process.env.RUNS ?? 11);
/** Optional comma-separated function names to measure (all by default). */
const ONLY = process.env.FUNCTIONS?.split(',').filter(Boolean);
const out = mkdtempSync(join(tmpdir(), 'bench-bundles-'));

// The same options serverless-esbuild uses for the deployed bundle (serverless.yml custom.esbuild).
const common: BuildOptions = {
  bundle: true,
  minify: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  plugins: esbuildPlugins,
  mainFields: ['module', 'main'],
  metafile: true,
  write: true,
  logLevel: 'silent',
};

/** Events that exercise the handler's cold path without any AWS call. */
const probeEvents: Record<string, unknown> = {
  s3UploadWatcher: { Records: [{ eventSource: 'aws:s3', eventName: 's3:TestEvent' }] },
  kinesisFanIn: { Records: [] },
};

interface Row {
  fn: string;
  bytes: number;
  floorBytes: number;
  initMs: number;
  floorInitMs: number;
  clients: string[];
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

/** One cold start: a fresh process loads the script's bundle and makes its first call; ms since process start. */
function coldStart(script: string, env: NodeJS.ProcessEnv): number {
  const outText = execFileSync(process.execPath, ['-e', script], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return Number(outText.trim().split('\n').pop());
}

/**
 * Median cold init of each script. The scripts' samples alternate (bundle, floor, bundle, ...)
 * so that both see the same machine load: on a shared machine, load that comes and goes
 * between two back-to-back series would otherwise decide the ratio.
 */
function coldInits(scripts: string[], env: NodeJS.ProcessEnv): number[] {
  const samples = scripts.map((): number[] => []);
  const failed = scripts.map(() => false);
  for (let i = 0; i < RUNS; i += 1) {
    scripts.forEach((script, k) => {
      if (failed[k]) return;
      try {
        samples[k]!.push(coldStart(script, env));
      } catch (error) {
        // A function that cannot start is a finding, not a crash of the benchmark.
        const stderr = String((error as { stderr?: string }).stderr ?? '');
        const line = stderr.split('\n').find((l) => /^\w*Error\b/.test(l)) ?? stderr.slice(-300);
        console.error(`cold start failed: ${line.slice(0, 300)}`);
        failed[k] = true;
      }
    });
  }
  return samples.map((values, k) => (failed[k] ? NaN : median(values)));
}

const functionFiles = [
  'functions/ingest.yml',
  'functions/runs.yml',
  'functions/notifier.yml',
  'functions/queue-services.yml',
  'functions/operations.yml',
];
const functions: Array<[string, string]> = [];
for (const file of functionFiles) {
  let doc: Record<string, { handler: string }> | undefined;
  try {
    // CloudFormation's short tags, read as plain values: only `handler` is used here.
    const cfnTags = [
      'Ref',
      'GetAtt',
      'Sub',
      'If',
      'Join',
      'Split',
      'Select',
      'Equals',
      'Not',
      'Or',
      'And',
      'Condition',
      'ImportValue',
      'FindInMap',
      'Base64',
      'GetAZs',
      'Cidr',
    ].flatMap((name) =>
      (['scalar', 'seq', 'map'] as const).map((collection) => ({
        tag: `!${name}`,
        ...(collection === 'scalar' ? {} : { collection }),
        resolve: (v: unknown) => v,
      })),
    );
    doc = parse(readFileSync(join(root, file), 'utf8'), { customTags: cfnTags as never });
  } catch {
    continue;
  }
  for (const [name, def] of Object.entries(doc ?? {})) {
    if (def?.handler && (!ONLY || ONLY.includes(name))) functions.push([name, def.handler.replace(/\.handler$/, '.ts')]);
  }
}

// A valid value for every variable any function reads (lib/shared/config.ts), so each cold start
// runs its real configuration code: the first candidate each variable's schema accepts.
const sqsUrl = 'https://sqs.us-east-1.amazonaws.com/123456789012/q';
const candidates = ['1', 'ENABLED', 'arn:aws:states:us-east-1:123456789012:stateMachine:x'];
const special: Record<string, string> = {
  QUEUE_SERVICES: '{}',
  DEAD_LETTER_QUEUES: JSON.stringify({ watcher: sqsUrl, 'fan-in': sqsUrl, start: sqsUrl }),
  NOTIFY_SERVICE_QUEUE_URL: sqsUrl,
  NOTIFY_TASK_QUEUE_URL: sqsUrl,
  TASK_SUBNETS: 'subnet-0abc,subnet-0def',
  TASK_SECURITY_GROUPS: 'sg-0abc',
};
const env: Record<string, string> = {
  AWS_ACCESS_KEY_ID: 'x',
  AWS_SECRET_ACCESS_KEY: 'x',
  POWERTOOLS_LOG_LEVEL: 'SILENT',
  POWERTOOLS_METRICS_DISABLED: 'true',
  ...Object.fromEntries(
    Object.entries(ENV).map(([name, schema]) => [name, special[name] ?? candidates.find((c) => schema.safeParse(c).success) ?? 'x']),
  ),
  AWS_REGION: 'us-east-1',
  // A handler whose first call reaches AWS gets an immediate refusal, not a network wait.
  AWS_ENDPOINT_URL: 'http://127.0.0.1:9',
  AWS_MAX_ATTEMPTS: '1',
};

async function main(): Promise<void> {
  const rows: Row[] = [];
  for (const [fn, entry] of functions) {
    const outfile = join(out, `${fn}.js`);
    const result = await build({ ...common, entryPoints: [join(root, entry)], outfile });
    // Clients whose code is in the output (not merely read while bundling).
    const kept = Object.entries(Object.values(result.metafile!.outputs)[0]!.inputs)
      .filter(([, input]) => input.bytesInOutput > 0)
      .map(([path]) => path);
    const clients = [
      ...new Set(kept.map((p) => /node_modules\/(@aws-sdk\/client-[a-z0-9-]+)\//.exec(p)?.[1]).filter((c): c is string => Boolean(c))),
    ].sort();
    // The floor: only the SDK clients, each imported by its class name and constructed once.
    const floorEntry = join(out, `${fn}.floor.ts`);
    const classes = clients.map(
      (c) => Object.keys(require(join(root, 'node_modules', c))).find((name) => /^[A-Z]\w*Client$/.test(name) && name !== 'Client')!,
    );
    writeFileSync(
      floorEntry,
      clients.map((c, i) => `import { ${classes[i]} } from '${c}';`).join('\n') +
        `\nexport const handler = async () => [${classes.map((k) => `new ${k}({})`).join(', ')}];\n`,
    );
    const floorOut = join(out, `${fn}.floor.js`);
    await build({ ...common, entryPoints: [floorEntry], outfile: floorOut, nodePaths: [join(root, 'node_modules')] });
    const event = JSON.stringify(probeEvents[fn] ?? {});
    const probe = (file: string) =>
      `const h=require(${JSON.stringify(file)}).handler;Promise.resolve(h(${event},{functionName:'bench',awsRequestId:'1',getRemainingTimeInMillis:()=>1000})).catch(()=>{}).then(()=>console.log(performance.now()))`;
    const [initMs, floorInitMs] = coldInits([probe(outfile), probe(floorOut)], env);
    rows.push({
      fn,
      clients,
      bytes: readFileSync(outfile).length,
      floorBytes: readFileSync(floorOut).length,
      initMs: initMs!,
      floorInitMs: floorInitMs!,
    });
  }

  const kb = (n: number) => `${(n / 1024).toFixed(0)} KiB`;
  console.log(`| function | SDK clients | bundle | floor | ratio | cold init (median of ${RUNS}) | floor init | ratio |`);
  console.log('| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  const ratio = (a: number, b: number) => (b > 0 && Number.isFinite(a) ? `${(a / b).toFixed(2)}x` : 'n/a');
  for (const r of rows) {
    if (!r.clients.length) {
      // No AWS client: no floor to compare against; the absolute numbers are the result.
      console.log(`| ${r.fn} | - | ${kb(r.bytes)} | - | n/a | ${r.initMs.toFixed(0)} ms | - | n/a |`);
      continue;
    }
    console.log(
      `| ${r.fn} | ${r.clients.map((c) => c.replace('@aws-sdk/client-', '')).join(', ') || '-'} | ${kb(r.bytes)} | ${kb(r.floorBytes)} | ${ratio(r.bytes, r.floorBytes)} | ${r.initMs.toFixed(0)} ms | ${r.floorInitMs.toFixed(0)} ms | ${ratio(r.initMs, r.floorInitMs)} |`,
    );
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => rmSync(out, { recursive: true, force: true }));
