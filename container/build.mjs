// Bundles the sample containers' entry points, one file each (the AWS SDK clients, zod,
// csv-parse and the worker library included), so the runtime image needs no node_modules:
// dist/task.js (the sample pipeline task) and dist/sample-queue.js (the sample queue service).
// One image serves both (npm run deploy builds it for the sample pipelines; the queue service
// runs stage param containerImage); the registry's command picks the file.
// PGlite stays external: it loads its WASM and data files from its package directory, and
// only the local warehouse uses it (the AWS image loads into Redshift).
// Usage: node container/build.mjs  (from anywhere)
import { build } from 'esbuild';
import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const result = await build({
  entryPoints: { task: join(here, 'sample/task.ts'), 'sample-queue': join(here, 'sample-queue/main.ts') },
  outdir: join(here, 'dist'),
  mainFields: ['module', 'main'],
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  minify: true,
  sourcemap: 'linked',
  external: ['@electric-sql/pglite'],
  legalComments: 'linked',
  metafile: true,
  logLevel: 'warning',
  // Written below, each file replaced in one rename: a test that runs dist/task.js while
  // another test rebuilds never reads a half-written bundle.
  write: false,
});
mkdirSync(join(here, 'dist'), { recursive: true });
for (const file of result.outputFiles) {
  const temporary = `${file.path}.${process.pid}.tmp`;
  writeFileSync(temporary, file.contents);
  renameSync(temporary, file.path);
}
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(`container/dist/task.js and sample-queue.js built (${(bytes / 1024).toFixed(0)} KiB with maps and licenses)`);
