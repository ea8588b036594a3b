// Bundles the sample task into dist/task.js (one file: the AWS SDK clients, zod, csv-parse
// and the worker library included), so the runtime image needs no node_modules.
// PGlite stays external: it loads its WASM and data files from its package directory, and
// only the local warehouse uses it (the AWS image loads into Redshift).
// Usage: node container/build.mjs  (from anywhere)
import { build } from 'esbuild';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));

const result = await build({
  entryPoints: [join(here, 'sample/task.ts')],
  outfile: join(here, 'dist/task.js'),
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
});
const bytes = Object.values(result.metafile.outputs).reduce((sum, o) => sum + o.bytes, 0);
console.log(`container/dist/task.js built (${(bytes / 1024).toFixed(0)} KiB with map and licenses)`);
